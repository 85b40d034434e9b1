/**
 * The raw baseline of the provisioning benchmarks: what MariaDB alone needs for a new server,
 * `mariadb-install-db` (default arguments) + `mariadbd` until `SELECT 1` as root answers over TCP.
 * Every server is killed and its datadir removed after its run.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { canBind, exited, sleep, track, trackArgv, trackDir } from './support.js';

const run = promisify(execFile);
const POLL_MS = 20;

export interface RawResult { totalMs: number; installMs: number; startToReadyMs: number; polls: number }

export async function rawOnce(ip: string): Promise<RawResult> {
  const dir = trackDir(mkdtempSync('/tmp/orb-')); // short: the socket path must stay < 108 bytes
  const D = join(dir, 'd');
  trackArgv(`--datadir=${D}`);
  const t0 = performance.now();
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${D}`, '--user=root', '--auth-root-authentication-method=normal',
    '--skip-test-db', '--skip-name-resolve'], { timeout: 120_000 });
  const t1 = performance.now();
  const out = openSync(join(dir, 'server.log'), 'a');
  const child = track(spawn('mariadbd', ['--no-defaults', `--datadir=${D}`, '--user=root', `--bind-address=${ip}`, '--port=3306',
    `--socket=${join(dir, 's.sock')}`, `--pid-file=${join(dir, 'p.pid')}`], { stdio: ['ignore', out, out] }));
  closeSync(out);
  let polls = 0;
  try {
    for (;;) {
      polls++;
      if (await selectOne(ip)) break;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`raw mariadbd exited: ${readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000)}`);
      }
      if (performance.now() - t0 > 120_000) throw new Error('raw mariadbd not ready after 120 s');
      await sleep(POLL_MS);
    }
    const t2 = performance.now();
    return { totalMs: t2 - t0, installMs: t1 - t0, startToReadyMs: t2 - t1, polls };
  } finally {
    child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two raw servers made side by side (what an HA pair needs from MariaDB alone): wall time of both. */
export async function rawPairOnce(ips: readonly [string, string]): Promise<RawResult & { each: RawResult[] }> {
  const t0 = performance.now();
  const each = await Promise.all(ips.map((ip) => rawOnce(ip)));
  return { totalMs: performance.now() - t0, installMs: Math.max(...each.map((r) => r.installMs)),
    startToReadyMs: Math.max(...each.map((r) => r.startToReadyMs)), polls: each[0]!.polls + each[1]!.polls, each };
}

async function selectOne(host: string): Promise<boolean> {
  let c: mysql.Connection | undefined;
  try {
    c = await mysql.createConnection({ host, port: 3306, user: 'root', password: '', connectTimeout: 1000 });
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    c?.destroy();
  }
}

/** `n` free loopback addresses for raw servers, outside the openrds pipes `avoid` (x.y.z.0/24). */
export async function rawIps(n: number, avoid: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 200 && out.length < n; i++) {
    const cand = `127.${20 + Math.floor(Math.random() * 230)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 250)}`;
    if (avoid.some((c) => cand.startsWith(c.replace(/0\/24$/, ''))) || out.includes(cand)) continue;
    if (await canBind(cand, 3306)) out.push(cand);
  }
  if (out.length < n) throw new Error('no free loopback address for the raw baseline');
  return out;
}
