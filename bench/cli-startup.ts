/**
 * CLI start-up (issue 14 §3): the wall time of a whole `openrds call DescribeRegions` against a
 * running serve (the real bin/openrds, compiled CLI, round trip included) beside `node -e 0` in
 * the same run, rounds interleaved. For context, the same call through tsx from the sources
 * (what bin/openrds did before). Target: median ≤ 0.3 s and ≤ 5× `node -e 0`.
 *
 *   npm run bench:cli -- [--rounds 30]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BIN, cleanupAll, freeLoopbackNet, machine, median, ROOT, round, sourceRevision, startServe, TSX } from './support.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const ROUNDS = Number(opt('rounds') ?? 30);

const TIMES = join(tmpdir(), `openrds-bench-cli-${process.pid}.times`);
const cpu: Record<string, number[]> = { node: [], cli: [], tsx: [] };

/** Wall seconds of one run; its CPU seconds (user + system, from /usr/bin/time: load-independent) go to cpu[kind]. */
function wall(kind: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', TIMES, cmd, ...args], { env, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (cmd === BIN && !r.stdout.includes('"Success"')) throw new Error(`no Success: ${r.stdout}`);
  const [u, sy] = readFileSync(TIMES, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  cpu[kind]?.push(u! + sy!);
  return s;
}

const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

async function main() {
  const net = await freeLoopbackNet(24);
  const s = await startServe({ cidr: net.cidr });
  try {
    const env = { ...process.env, OPENRDS_ENDPOINT: s.url, OPENRDS_ACCESS_KEY_ID: s.creds.AccessKeyId, OPENRDS_ACCESS_KEY_SECRET: s.creds.AccessKeySecret, XDG_CONFIG_HOME: '/nonexistent' };
    wall('warm', BIN, ['call', 'DescribeRegions'], env); // builds build/cli when stale
    const runs = { node: [] as number[], cli: [] as number[], tsx: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? (['node', 'cli', 'tsx'] as const) : (['tsx', 'cli', 'node'] as const);
      for (const k of order) {
        if (k === 'node') runs.node.push(wall('node', process.execPath, ['-e', '0'], env));
        else if (k === 'cli') runs.cli.push(wall('cli', BIN, ['call', 'DescribeRegions'], env));
        else if (i % 3 === 0) runs.tsx.push(wall('tsx', process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'call', 'DescribeRegions'], env));
      }
    }
    const m = { node: median(runs.node), cli: median(runs.cli), tsx: median(runs.tsx) };
    const ratio = m.cli / m.node;
    const lines = [
      `## CLI start-up (issue 14 §3, \`npm run bench:cli\`), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `${machine()}; source ${sourceRevision()}; ${ROUNDS} interleaved rounds; load average at the end ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}.`,
      '',
      '| command | median wall s | p90 wall s | wall × `node -e 0` | median CPU s (user+sys) | CPU × `node -e 0` |',
      '| --- | --- | --- | --- | --- | --- |',
      `| \`node -e 0\` (baseline) | ${round(m.node, 3)} | ${round(p90(runs.node), 3)} | 1 | ${round(median(cpu.node!), 3)} | 1 |`,
      `| \`bin/openrds call DescribeRegions\` (compiled, round trip included) | ${round(m.cli, 3)} | ${round(p90(runs.cli), 3)} | ${round(ratio, 2)} | ${round(median(cpu.cli!), 3)} | ${round(median(cpu.cli!) / median(cpu.node!), 2)} |`,
      `| same through tsx from the sources (before) | ${round(m.tsx, 3)} | ${round(p90(runs.tsx), 3)} | ${round(m.tsx / m.node, 2)} | ${round(median(cpu.tsx!), 3)} | ${round(median(cpu.tsx!) / median(cpu.node!), 2)} |`,
      '',
      `Target ≤ 0.3 s and ≤ 5×: ${m.cli <= 0.3 && ratio <= 5 ? 'met' : `${m.cli <= 0.3 ? 'time met' : 'time NOT met'}, ${ratio <= 5 ? 'ratio met' : 'ratio NOT met'}`}.`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    rmSync(TIMES, { force: true });
    await s.stop();
  }
}

main().then(() => cleanupAll(), (e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  cleanupAll();
  process.exit(1);
});
