/**
 * Helpers for backup tests: wait for a backup, download it, and restore it with exactly the
 * commands of docs/backups.md (the marked ```sh blocks are read from the file and run by bash).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { TestClient } from './cds-client.js';
import { docBlock as docBlockOf } from './doc-blocks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls DescribeBackups until the backup leaves `running`; returns its entry. */
export async function waitBackup(c: TestClient, instanceUuid: string, backupId: string, timeoutMs = 120_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const { data } = await c.ok('DescribeBackups', { InstanceUuid: instanceUuid }, { method: 'GET' });
    const b = (data as any[]).find((x) => x.BackupId === backupId);
    if (!b) throw new Error(`backup ${backupId} is not listed`);
    if (b.Status !== 'running') return b;
    if (Date.now() - t0 > timeoutMs) throw new Error(`backup ${backupId} still running after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** CreateBackup, then wait; asserts nothing about the outcome. */
export async function backupNow(c: TestClient, instanceUuid: string, params: Record<string, unknown> = {}): Promise<any> {
  const r = await c.ok('CreateBackup', { InstanceUuid: instanceUuid, BackupType: 'physical-backup', ...params });
  return waitBackup(c, instanceUuid, r.data.BackupId);
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const sha256File = (f: string) => sha256(readFileSync(f));

/** A ```sh block of docs/backups.md: the one after `<!-- name -->`, or the first one containing `contains`. */
export function docBlock(opts: { marker?: string; contains?: string }): string {
  return docBlockOf('docs/backups.md', opts);
}

/** Runs a docs block with bash -euo pipefail and these variables (test/support/doc-blocks.ts). */
export { runDocBlock } from './doc-blocks.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A restored server (started by the docs commands) in `dir`. */
export class Restored {
  constructor(readonly dir: string) {}
  sql(q: string): string {
    return execFileSync('mariadb', ['--no-defaults', `--socket=${this.dir}/mysqld.sock`, '-uroot', '-N', '-B', '-e', q], { encoding: 'utf8' }).trim();
  }
  /** Stops the server (SIGKILL by its datadir) and removes the folder. */
  destroy(): void {
    killByArgv(`--datadir=${this.dir}/data`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGKILLs processes whose argv contains `needle`; returns their pids. */
export function killByArgv(needle: string): number[] {
  const out: number[] = [];
  for (const pid of pidsByArgv(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
      out.push(pid);
    } catch { /* gone */ }
  }
  return out;
}

export function pidsByArgv(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** The seq of domain 0 in a GTID position such as `0-12-345` or `0-12-345,1-3-4`. */
export function seqOf(gtid: string, domain = 0): number {
  const m = gtid.split(',').map((x) => x.trim().split('-').map(Number)).find((p) => p[0] === domain);
  if (!m) throw new Error(`no domain ${domain} in GTID ${gtid}`);
  return m[2]!;
}
