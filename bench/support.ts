/**
 * Shared pieces of the benchmarks: a `bin/openrds serve` on a fresh home (like
 * test/support/harness.ts, but under /tmp/openrds-bench-* so that scripts/test.sh, which wipes
 * /tmp/openrds-test-* when it ends, cannot kill a benchmark that runs next to the tests), a
 * cleanup registry that runs even when a benchmark fails or is interrupted, and statistics.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Creds } from '../test/support/cds-client.js';
import { unmountUnder } from '../test/support/harness.js';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const BIN = join(ROOT, 'bin/openrds');
export const TSX = join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

// --- cleanup -------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
/** Substrings of argv: any process whose command line contains one is SIGKILLed at cleanup. */
const argvNeedles = new Set<string>();
let cleaned = false;

export function track(p: ChildProcess): ChildProcess {
  children.add(p);
  p.once('exit', () => children.delete(p));
  return p;
}
export function trackDir(d: string): string {
  dirs.add(d);
  return d;
}
export function trackArgv(needle: string): void {
  argvNeedles.add(needle);
}

/** SIGKILLs every process whose argv contains `needle`; returns how many. */
export function killByArgv(needle: string): number {
  let n = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (argv.includes(needle)) {
        process.kill(Number(d), 'SIGKILL');
        n++;
      }
    } catch { /* gone */ }
  }
  return n;
}

/** Synchronous, idempotent: safe from 'exit' and signal handlers. */
export function cleanupAll(): void {
  if (cleaned) return;
  cleaned = true;
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null && p.pid) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  for (const n of argvNeedles) killByArgv(n);
  for (const d of dirs) {
    unmountUnder(d); // data volumes of the homes (src/provisioner/local/volumes.ts)
    rmSync(d, { recursive: true, force: true });
  }
}

process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: cleaning up\n`);
    cleanupAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (e) => {
  process.stderr.write(`uncaught: ${e.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  process.stderr.write(`unhandled rejection: ${(e as Error)?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});

// --- serve ---------------------------------------------------------------------------------

export interface Serve {
  home: string;
  url: string;
  creds: Creds;
  proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

export const VDC = 'vdc-default';
export const PIPE = 'pipe-default';

export function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
}

/**
 * Starts the real `openrds serve` (the same command line as bin/openrds; `nodeArgs` such as
 * --cpu-prof go to node) on a fresh home with one pipe `cidr`, and creates a key for tenant-a.
 * `root` runs the sources of another checkout instead of this one (before/after comparisons).
 */
export async function startServe(opts: { cidr: string; nodeArgs?: string[]; config?: Record<string, unknown>; root?: string; beside?: Serve }): Promise<Serve> {
  const root = opts.root ?? ROOT;
  // `beside`: a second serve node on that serve's home and (PostgreSQL) store, with its key.
  const home = opts.beside?.home ?? trackDir(join('/tmp', `openrds-bench-${process.pid}-${randomInt(1e9)}`));
  if (!opts.beside) {
    trackArgv(`${home}/`); // its mariadbd, and mariadb-install-db with its bootstrap server if interrupted mid-way
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.json'), JSON.stringify({
      networks: [{ VdcId: VDC, VdcName: 'bench', RegionIds: '*', Pipes: [{ BasePipeId: PIPE, PipeName: 'bench', Cidr: opts.cidr }] }],
      ...opts.config,
    }));
  }
  let logBuf = '';
  const proc = track(spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', TSX, join(root, 'src/cli/main.ts'),
    'serve', '--home', home, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${logBuf}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      logBuf += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(logBuf.slice(-4000));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => { logBuf += d.toString(); });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${logBuf}`)); });
  });
  const creds = opts.beside?.creds ?? JSON.parse(execFileSync(process.execPath, ['--import', TSX, join(root, 'src/cli/main.ts'), 'keys', 'create', '--tenant', 'tenant-a', '--json', '--home', home], { encoding: 'utf8' })) as Creds;
  return {
    home, url, creds, proc,
    logs: () => logBuf,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited(proc);
        clearTimeout(t);
      }
      killByArgv(`${home}/`);
    },
  };
}

/** A random 127.x.y.0/24 (or /16) that nothing listens on at `port` (checked on .1 and .2). */
export async function freeLoopbackNet(bits: 16 | 24, port = 3306): Promise<{ cidr: string; ip: (i: number) => string }> {
  for (let tries = 0; tries < 50; tries++) {
    const a = randomInt(20, 250);
    const b = randomInt(0, 256);
    const base = bits === 24 ? `127.${a}.${b}` : `127.${a}`;
    const ip = (i: number) => (bits === 24 ? `${base}.${i}` : `${base}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    if ((await canBind(ip(1), port)) && (await canBind(ip(2), port))) {
      return { cidr: bits === 24 ? `${base}.0/24` : `${base}.0.0/16`, ip };
    }
  }
  throw new Error('no free loopback network found');
}

export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// --- statistics and reporting ----------------------------------------------------------------

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
export const max = (xs: number[]) => Math.max(...xs);
export const min = (xs: number[]) => Math.min(...xs);
export const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

export function machine(): string {
  const c = cpus();
  let load = '';
  try { load = readFileSync('/proc/loadavg', 'utf8').trim(); } catch { /* not linux */ }
  return `${c.length} x ${c[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, node ${process.version}, loadavg at start ${load}`;
}

/** The source revision measured: the git commit (+ "-dirty" when src/ has uncommitted changes), else `unknown`. */
export function sourceRevision(): string {
  try {
    const rev = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    try { return readFileSync(join(ROOT, '.bench-revision'), 'utf8').trim(); } catch { return 'unknown'; }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
