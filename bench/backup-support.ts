/**
 * Shared pieces of the backup benchmarks (issue 5): a serve with one basic instance filled by
 * `sysbench oltp_read_write prepare` (8 × 500k rows ≈ 1 GB by default), backup helpers, and the
 * "Backups (issue 5)" section of bench/RESULTS.md (each benchmark replaces only its own block).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { TestClient } from '../test/support/cds-client.js';
import { homeNodes } from '../test/support/ha.js';
import { BASIC_1C2G, numArg, PW, sysbenchPrepare } from './ha-support.js';
import { freeLoopbackNet, PIPE, ROOT, sleep, startServe, VDC, type Serve } from './support.js';

export interface Fixture {
  serve: Serve;
  client: TestClient;
  inst: any;
  nodeId: string;
  /** The node's my.cnf and socket: the raw baseline connects as root@localhost through it. */
  nodeCnf: string;
  socket: string;
  datadir: string;
  /** Bytes of the datadir that a physical backup copies (binlogs excluded). */
  sourceBytes: number;
  tables: number;
  tableSize: number;
}

export const dataArgs = () => ({ tables: numArg('tables', 8), tableSize: numArg('table-size', 500_000), threads: numArg('threads', 2) });

export async function prepareFixture(opts: { tables: number; tableSize: number; threads: number }): Promise<Fixture> {
  const net = await freeLoopbackNet(24);
  const serve = await startServe({ cidr: net.cidr });
  const client = new TestClient(serve.url, serve.creds);
  const r = await client.ok('CreateDBInstance', {
    RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: 'bench-backup', PaasGoodsId: BASIC_1C2G,
    DiskType: 'ssd_disk', DiskValue: 500, Password: PW,
  });
  const inst = await client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 300_000);
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  await c.query('CREATE DATABASE sbtest');
  await c.end();
  const t0 = Date.now();
  process.stderr.write(`preparing ${opts.tables} × ${opts.tableSize} sysbench rows… `);
  await sysbenchPrepare({ host: inst.IP, port: inst.Port, user: 'root', password: PW, db: 'sbtest' }, opts.tables, opts.tableSize, opts.threads);
  process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  const node = homeNodes(serve.home)[0]!;
  const nodeCnf = join(serve.home, 'nodes', node.id, 'my.cnf');
  const socket = /socket = (\S+)/.exec(readFileSync(nodeCnf, 'utf8'))![1]!;
  const datadir = join(serve.home, 'nodes', node.id, 'disk', 'data');
  return { serve, client, inst, nodeId: node.id, nodeCnf, socket, datadir, sourceBytes: copiedBytes(datadir), tables: opts.tables, tableSize: opts.tableSize };
}

/** Sum of the files mariadb-backup copies: the datadir without binlogs, relay logs and the pid/socket files. */
export function copiedBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += copiedBytes(p);
    else if (e.isFile() && !/^(mysql-bin|.*-relay-bin)\.|\.pid$|\.sock$/.test(e.name)) n += statSync(p).size;
  }
  return n;
}

/** CreateBackup, then poll DescribeBackups every 50 ms; returns the backup and the call → finished time. */
export async function openrdsBackup(f: Fixture, params: Record<string, unknown> = {}): Promise<{ b: any; ms: number }> {
  const t0 = performance.now();
  const r = await f.client.ok('CreateBackup', { InstanceUuid: f.inst.InstanceUuid, BackupType: 'physical-backup', ...params });
  for (;;) {
    const { data } = await f.client.ok('DescribeBackups', { InstanceUuid: f.inst.InstanceUuid }, { method: 'GET' });
    const b = (data as any[]).find((x) => x.BackupId === r.data.BackupId);
    if (b.Status === 'finished') return { b, ms: performance.now() - t0 };
    if (b.Status !== 'running') throw new Error(`backup ${b.BackupId} ${b.Status}: ${b.StatusDetail}`);
    await sleep(50);
  }
}

export function backupFile(f: Fixture, b: any): string {
  return join(f.serve.home, 'backups', f.inst.InstanceUuid, `${b.BackupId}${b.BackupType === 'logical-backup' ? '.sql.zst' : '.xb.zst'}`);
}

export async function deleteBackup(f: Fixture, id: string): Promise<void> {
  await f.client.ok('DeleteBackup', { InstanceUuid: f.inst.InstanceUuid, BackupId: id });
}

/** Runs a shell pipeline with bash -o pipefail; resolves with its wall time in ms. */
export function timeShell(script: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    p.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${script}\nexit ${code}: ${err}`))));
  });
}

/** Evicts a file from the page cache (posix_fadvise DONTNEED through dd), for cold-cache runs. */
export function evict(file: string): void {
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

export const mb = (bytes: number) => bytes / 1e6;

// --- RESULTS.md --------------------------------------------------------------------------------------

const RESULTS = join(ROOT, 'bench/RESULTS.md');
const HEADING = '## Backups (issue 5)';

/**
 * Writes `md` as this benchmark's block (between `<!-- backups:key -->` markers) inside the
 * "Backups (issue 5)" section, adding the section at the end of the file if it is missing.
 * Other sections and other blocks are left as they are.
 */
export function writeBackupResults(key: string, md: string): void {
  let doc = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const open = `<!-- backups:${key} -->`;
  const close = `<!-- /backups:${key} -->`;
  const block = `${open}\n${md.trim()}\n${close}`;
  if (!doc.includes(HEADING)) {
    doc = doc.replace(/\s*$/, '\n\n') + `${HEADING}\n\nBenchmarks of issue 5 (\`npm run bench:backup\`, \`bench:download\`, \`bench:restore\`). ` +
      'Each openrds figure sits beside its raw baseline measured in the same run (interleaved), on the same shared 2-core VM; medians.\n';
  }
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  if (i >= 0 && j > i) {
    doc = doc.slice(0, i) + block + doc.slice(j + close.length);
  } else {
    const h = doc.indexOf(HEADING);
    const next = doc.indexOf('\n## ', h + HEADING.length);
    const at = next < 0 ? doc.length : next + 1;
    doc = doc.slice(0, at).replace(/\s*$/, '\n\n') + block + '\n' + (next < 0 ? '' : '\n' + doc.slice(at));
  }
  writeFileSync(RESULTS, doc);
}
