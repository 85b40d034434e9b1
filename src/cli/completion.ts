/**
 * Shell completion. The bash and zsh scripts ask `openrds __complete WORD…` for the candidates
 * of the last word, so the candidates come from the same command registry and contracts.
 */
import type { Command } from 'commander';
import { CONTRACT_LIST, contractOf } from '../contract/index.js';

const CALL_OPTIONS = ['--get', '--wait', '--output', '--query', '--dry-run', '--profile', '--endpoint', '--key', '--secret', '--ca-file', '--help'];

/**
 * Pure: candidates for the last of `words` (the words after `openrds`, the last one being typed,
 * possibly ''). `commands` are the top-level command names.
 */
export function completeWords(words: readonly string[], commands: readonly string[]): string[] {
  const cur = words[words.length - 1] ?? '';
  const prev = words.slice(0, -1);
  const starts = (xs: readonly string[]) => xs.filter((x) => x.startsWith(cur));
  if (prev.length === 0) return starts(cur.startsWith('-') ? ['--version', '--help'] : commands);
  if (prev[0] !== 'call') return cur.startsWith('-') ? starts(['--help']) : [];
  const args = prev.slice(1).filter((w) => !w.startsWith('-'));
  if (prev[prev.length - 1] === '--output') return starts(['json', 'table']);
  if (cur.startsWith('-')) return starts(CALL_OPTIONS);
  if (args.length === 0) return starts(CONTRACT_LIST.map((c) => c.name));
  const c = contractOf(args[0]!);
  if (!c) return [];
  const given = new Set(args.slice(1).map((w) => w.split('=')[0]));
  return starts(Object.keys(c.params).filter((k) => !given.has(k)).map((k) => `${k}=`));
}

export function bashScript(): string {
  return `# openrds bash completion: eval "$(openrds completion bash)"
_openrds() {
  local IFS=$'\\n'
  COMPREPLY=($(openrds __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *= ]] && compopt -o nospace
}
complete -F _openrds openrds
`;
}

export function zshScript(): string {
  return `#compdef openrds
# openrds zsh completion: eval "$(openrds completion zsh)"
_openrds() {
  local -a cands
  cands=("\${(@f)$(openrds __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -S '' -- \${cands[@]}
}
compdef _openrds openrds
`;
}

export function registerCompletion(program: Command): void {
  program.command('completion <shell>')
    .description('print the completion script of bash or zsh (eval "$(openrds completion bash)")')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashScript());
      else if (shell === 'zsh') process.stdout.write(zshScript());
      else {
        process.stderr.write(`openrds: completion for bash or zsh, not ${shell}\n`);
        process.exitCode = 2;
      }
    });
  program.command('__complete [words...]', { hidden: true })
    .helpOption(false)
    .allowUnknownOption()
    .action((words: string[] = []) => {
      const names = program.commands.filter((c) => !c.name().startsWith('__')).map((c) => c.name());
      const out = completeWords(words.length ? words : [''], names);
      if (out.length) process.stdout.write(out.join('\n') + '\n');
    });
}
