/**
 * Shared pieces of the binlog-archive benchmarks (issue 13, bench/archive.ts): a serve with one
 * basic instance and sysbench tables, a restart of that serve on the same home with another
 * `archive` config (the overhead rounds), a watcher that sees a GTID durable in the spool, and the
 * "Binlog archive (issue 13)" section of bench/RESULTS.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, fstatSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homeNodes } from '../test/support/ha.js';
import { TestClient } from '../test/support/cds-client.js';
import { formatGtid, newWalk, walk, type WalkState } from '../src/archive/binlog-events.js';
import { BASIC_1C2G, HA_1C2G, PW, RESULTS, startHaServe, sysbenchPrepare, type SysbenchTarget } from './ha-support.js';
import { exited, freeLoopbackNet, killByArgv, PIPE, ROOT, sleep, startServe, track, trackArgv, TSX, VDC, type Serve } from './support.js';

export interface ArchiveFixture {
  serve: Serve;
  client: TestClient;
  inst: any;
  sb: SysbenchTarget;
  tables: number;
  tableSize: number;
  spool: string;
}

/** `profileDir`: the first serve runs under node --cpu-prof (its profile is written when it is stopped). */
export async function archiveFixture(opts: { tables: number; tableSize: number; archive?: Record<string, unknown>; ha?: boolean; profileDir?: string }): Promise<ArchiveFixture> {
  const config = { archive: { enabled: true, ...opts.archive } };
  // HA: an endpoint table of its own, dropped at exit (ha-support.ts).
  const serve = opts.ha ? await startHaServe(config) : await startServe({ cidr: (await freeLoopbackNet(24)).cidr, config, nodeArgs: opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [] });
  const client = new TestClient(serve.url, serve.creds);
  const r = await client.ok('CreateDBInstance', {
    RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: 'bench-archive', PaasGoodsId: opts.ha ? HA_1C2G : BASIC_1C2G,
    DiskType: 'ssd_disk', DiskValue: 500, Password: PW,
  });
  const inst = await client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 300_000);
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  await c.query('CREATE DATABASE sbtest');
  await c.end();
  const sb = { host: inst.IP, port: inst.Port, user: 'root', password: PW, db: 'sbtest' };
  const t0 = Date.now();
  process.stderr.write(`preparing ${opts.tables} × ${opts.tableSize} sysbench rows… `);
  await sysbenchPrepare(sb, opts.tables, opts.tableSize, 2);
  process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  const f = { serve, client, inst, sb, tables: opts.tables, tableSize: opts.tableSize, spool: join(serve.home, 'backups', '.binlog-spool', inst.InstanceUuid) };
  await waitAutoBackup(f);
  return f;
}

/** The archive's automatic first full backup finished (it would otherwise run during a measurement). */
export async function waitAutoBackup(f: ArchiveFixture, timeoutMs = 600_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const { data } = await f.client.ok('DescribeBackups', { InstanceUuid: f.inst.InstanceUuid }, { method: 'GET' });
    const list = data as any[];
    if (list.some((b) => b.Status === 'finished') && !list.some((b) => b.Status === 'running')) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no finished automatic backup: ${JSON.stringify(list)}`);
    await sleep(500);
  }
}

/** RightBorderTime (epoch ms), or 0 when there is no window yet. */
export async function rightBorder(f: ArchiveFixture): Promise<number> {
  const { data } = await f.client.ok('DescribeRollbackRangeTime', { InstanceUuid: f.inst.InstanceUuid }, { method: 'GET' });
  return data.RightBorderTime ? Date.parse(`${String(data.RightBorderTime).replace(' ', 'T')}Z`) : 0;
}

export async function waitRightBorder(f: ArchiveFixture, atLeast: number, timeoutMs = 300_000): Promise<void> {
  const t0 = Date.now();
  while ((await rightBorder(f)) < atLeast) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the archive did not catch up to ${new Date(atLeast).toISOString()}`);
    await sleep(200);
  }
}

/**
 * Stops the fixture's serve (SIGTERM: its database nodes and detached streams keep running) and
 * starts it again on the same home with `archive` merged into its config. With the archive off,
 * the detached stream is ended too (serve leaves it running otherwise).
 */
export async function restartServe(f: ArchiveFixture, archive: Record<string, unknown>): Promise<void> {
  const old = f.serve.proc;
  if (old.exitCode === null && old.signalCode === null) {
    old.kill('SIGTERM');
    const t = setTimeout(() => old.kill('SIGKILL'), 15_000);
    await exited(old);
    clearTimeout(t);
  }
  const cfgFile = join(f.serve.home, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  cfg.archive = { ...cfg.archive, ...archive };
  writeFileSync(cfgFile, JSON.stringify(cfg));
  if (archive.enabled === false) killByArgv(`--result-file=${f.spool}/r`);
  let logBuf = '';
  const proc = track(spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'serve', '--home', f.serve.home, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start again:\n${logBuf}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      logBuf += d.toString();
      if (logBuf.length > 4_000_000) logBuf = logBuf.slice(-2_000_000);
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(logBuf.slice(-4000));
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    proc.stderr!.on('data', (d: Buffer) => { logBuf += d.toString(); });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${logBuf}`)); });
  });
  f.serve = { ...f.serve, url, proc, logs: () => logBuf };
  f.client = new TestClient(url, f.serve.creds);
}

/**
 * Sees transactions become durable in the archive's spool: every `pollMs` it fdatasyncs each spool
 * file, reads what is new and walks it (the archiver's own parser); a GTID counts as archived at the
 * moment the fsync that covered its commit event returned. The archiver records it at its next
 * round (`archive.intervalMs`) at the latest; the watcher's own fsync is the durability.
 */
export class SpoolWatcher {
  readonly seen = new Map<string, number>();
  private readonly files = new Map<string, WalkState>();
  private timer?: NodeJS.Timeout;
  errors = 0;
  constructor(private readonly dir: string, private readonly pollMs = 10) {}

  start(): void {
    const tick = () => {
      try { this.poll(); } catch { this.errors++; }
      this.timer = setTimeout(tick, this.pollMs);
    };
    tick();
  }
  stop(): void {
    clearTimeout(this.timer);
  }

  private poll(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir).filter((n) => /^r\d+-/.test(n)).sort()) {
      const path = join(this.dir, name);
      let fd: number;
      try { fd = openSync(path, 'r'); } catch { continue; } // closed into a segment and removed meanwhile
      try {
        fdatasyncSync(fd);
        const synced = performance.now();
        const size = fstatSync(fd).size;
        let st = this.files.get(name) ?? newWalk();
        if (size <= st.offset) continue;
        const buf = Buffer.alloc(size - st.offset);
        readSync(fd, buf, 0, buf.length, st.offset);
        const r = walk(st, buf, st.offset);
        st = r.state;
        this.files.set(name, st);
        for (const t of r.transactions) {
          const g = formatGtid(t.gtid);
          if (!this.seen.has(g)) this.seen.set(g, synced);
        }
      } finally {
        closeSync(fd);
      }
    }
  }
}

/**
 * A second stream, for the source-choice measurement: the same client the archive runs
 * (`mariadb-binlog --read-from-remote-server --raw --stop-never`), against an HA instance's
 * standby, as the standby server's own root over its socket, into `<home>/standby-spool` (files
 * `r9-<binlog>`, for SpoolWatcher). Returns the folder.
 */
export function streamFromStandby(f: ArchiveFixture): string {
  const standby = homeNodes(f.serve.home).find((n) => n.readOnly);
  if (!standby) throw new Error('no standby node');
  const socket = /socket = (\S+)/.exec(readFileSync(join(f.serve.home, 'nodes', standby.id, 'my.cnf'), 'utf8'))![1]!;
  const first = execFileSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', '-e', 'SHOW BINARY LOGS'], { encoding: 'utf8' }).trim().split('\n')[0]!.split('\t')[0]!;
  const dir = join(f.serve.home, 'standby-spool');
  mkdirSync(dir, { recursive: true });
  trackArgv(`--result-file=${dir}/`);
  track(spawn('mariadb-binlog', ['--no-defaults', `--socket=${socket}`, '-uroot', '--read-from-remote-server', '--raw', '--stop-never',
    `--stop-never-slave-server-id=${2 ** 31 + randomInt(2 ** 30)}`, `--result-file=${dir}/r9-`, first], { stdio: ['ignore', 'ignore', 'inherit'] }));
  return dir;
}

/**
 * A probe row committed every `everyMs` on its own connection: its acknowledgement time (the
 * client got the OK of the autocommit INSERT) and its GTID (`@@last_gtid`, read after).
 */
export class Probe {
  readonly acked: Array<{ gtid: string; at: number }> = [];
  private stopping = false;
  private done?: Promise<void>;
  constructor(private readonly t: SysbenchTarget, private readonly everyMs = 100) {}

  async start(): Promise<void> {
    const c = await mysql.createConnection({ host: this.t.host, port: this.t.port, user: this.t.user, password: this.t.password });
    await c.query('CREATE DATABASE IF NOT EXISTS probe');
    await c.query('CREATE TABLE IF NOT EXISTS probe.p (id BIGINT AUTO_INCREMENT PRIMARY KEY, at BIGINT)');
    this.done = (async () => {
      let next = performance.now();
      while (!this.stopping) {
        await c.query('INSERT INTO probe.p (at) VALUES (?)', [Date.now()]);
        const at = performance.now();
        const [rows] = await c.query('SELECT @@last_gtid AS g');
        this.acked.push({ gtid: (rows as Array<{ g: string }>)[0]!.g, at });
        next += this.everyMs;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        else next = performance.now();
      }
      await c.end();
    })();
  }
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const HEADING = '## Binlog archive and point-in-time restore (issue 13)';

/** Writes `md` as this benchmark's block (between `<!-- archive:key -->` markers) in the issue-13 section. */
export function writeArchiveResults(key: string, md: string): void {
  let doc = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const open = `<!-- archive:${key} -->`;
  const close = `<!-- /archive:${key} -->`;
  const block = `${open}\n${md.trim()}\n${close}`;
  if (!doc.includes(HEADING)) {
    doc = doc.replace(/\s*$/, '\n\n') + `${HEADING}\n\nBenchmarks of issue 13 (\`npm run bench:archive-lag\`, \`bench:archive-overhead\`, \`bench:pitr-restore\`), ` +
      'each on the shared 2-core VM; every figure beside its baseline (same run) and its target.\n';
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
