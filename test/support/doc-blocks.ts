/**
 * The shell examples of README.md and docs/*.md, for the tests that run them as written.
 * A runnable block is a ```sh fence right after a marker line `<!-- name -->`; unmarked blocks
 * (such as `npm start`) are never run. Placeholders are `<Name>` words (an upper-case letter, then
 * letters), filled in by the test from what the commands before printed; `$VAR`s come from the
 * environment the test gives the block, as a reader's shell would.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';

export interface DocBlock {
  /** Path relative to the repository root. */
  file: string;
  /** The marker name, or undefined for an unmarked block. */
  marker?: string;
  lang: string;
  text: string;
}

/** README.md and every docs/*.md. */
export function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** Every fenced block of a file, with the marker right before it, if any. */
export function blocksOf(file: string): DocBlock[] {
  const doc = readFileSync(join(ROOT, file), 'utf8');
  return [...doc.matchAll(/(?:<!-- ([\w:-]+) -->\n)?```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ file, marker: m[1], lang: m[2]!, text: m[3]! }));
}

/** The ```sh block of `file` after `<!-- marker -->`, or the first one containing `contains`. */
export function docBlock(file: string, opts: { marker?: string; contains?: string }): string {
  const b = blocksOf(file).find((x) => x.lang === 'sh' && (opts.marker ? x.marker === opts.marker : x.text.includes(opts.contains!)));
  if (!b) throw new Error(`no sh block ${JSON.stringify(opts)} in ${file}`);
  return b.text;
}

const PLACEHOLDER = /<([A-Z][A-Za-z]*)>/g;

/** The `<Name>` placeholders of a block, in order, each once. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Fills every placeholder; a placeholder the test has no value for is an error, never left in. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (all, name: string) => {
    if (!(name in values)) throw new Error(`the docs block needs <${name}>, which the test does not provide`);
    return values[name]!;
  });
}

/**
 * Runs a docs block with bash -euo pipefail, from the repository root, with these variables.
 * A block that sends a command's output to files (`>"$DIR/install.log" 2>&1`) fails silently on
 * the terminal; `logsDir` names where such files are, and their tails go into the error.
 */
export function runDocBlock(script: string, env: Record<string, string>, timeoutMs = 300_000, logsDir?: string): string {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-xc', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`docs commands failed (${r.status ?? r.signal}):\n${script}\nstdout:\n${r.stdout}\nstderr (with the trace of each command):\n${r.stderr.slice(-8000)}${logsDir ? logTails(logsDir) : ''}`);
  return r.stdout;
}

/** The last lines of every *.log file in `dir` (not recursive), for a failure message. */
function logTails(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  } catch (err) {
    return `\n(no logs: ${(err as Error).message})`;
  }
  return names.map((f) => `\n--- ${join(dir, f)} (tail) ---\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-40).join('\n')}`).join('');
}

/**
 * A reader's shell session across blocks: what one block exports (`export OPENRDS_ACCESS_KEY_ID=…`)
 * the next one sees, as when the blocks are pasted into one terminal. Each block still runs in its
 * own `bash -euo pipefail`; the exported variables are saved after it and sourced before the next.
 */
export class DocShell {
  private readonly state: string;
  constructor(private readonly env: Record<string, string>, dir: string) {
    this.state = join(dir, 'doc-shell.env');
    writeFileSync(this.state, '');
  }
  run(script: string, timeoutMs = 600_000): string {
    const wrapped = `source ${JSON.stringify(this.state)}\n${script}\nexport -p | grep -v '^declare -[a-zA-Z]*r' > ${JSON.stringify(this.state)}`;
    return runDocBlock(wrapped, this.env, timeoutMs);
  }
}
