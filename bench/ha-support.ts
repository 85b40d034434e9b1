/**
 * Shared pieces of the HA benchmarks (issue 3): a serve whose nftables endpoint table is removed
 * at exit whatever happens, HA instance helpers, sysbench, free loopback addresses, and the
 * "HA (issue 3)" section of bench/RESULTS.md (each benchmark replaces only its own block in it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { nftTableName } from '../src/endpoints/nftables/nft-endpoints.js';
import { TestClient } from '../test/support/cds-client.js';
import { homeNodes, pidAlive } from '../test/support/ha.js';
import { canBind, freeLoopbackNet, PIPE, ROOT, sleep, startServe, VDC, type Serve } from './support.js';

export const runP = promisify(execFile);
export const HA_1C2G = 17060;
export const BASIC_1C2G = 27060;
export const RO_2C4G = 15686;
export const PW = 'Bench-Pass-123';

// --- serve + endpoint table cleanup --------------------------------------------------------------

const nftTables = new Set<string>();
function dropNftTables(): void {
  for (const t of nftTables) {
    try { execFileSync('nft', ['delete', 'table', 'ip', t], { stdio: 'ignore' }); } catch { /* none */ }
  }
  nftTables.clear();
}
// Registered after bench/support.ts's own 'exit' handler (imported above), so serve is dead by then.
process.on('exit', dropNftTables);

export interface HaServe extends Serve {
  client: TestClient;
  cidr: string;
  /** Stops serve (SIGTERM), kills its databases, drops its nft table. */
  shutdown(): Promise<void>;
}

/** `--root DIR` runs the sources of another checkout (before/after comparisons of a src change). */
export async function startHaServe(config: Record<string, unknown> = {}, root = strArg('root')): Promise<HaServe> {
  const net = await freeLoopbackNet(24);
  const s = await startServe({ cidr: net.cidr, config, root });
  nftTables.add(nftTableName(s.home));
  const client = new TestClient(s.url, s.creds);
  return {
    ...s, client, cidr: net.cidr,
    async shutdown() {
      await s.stop();
      const logDir = strArg('logs');
      if (logDir) {
        mkdirSync(logDir, { recursive: true });
        writeFileSync(join(logDir, `${s.home.split('/').pop()}.log`), s.logs());
      }
      try { execFileSync('nft', ['delete', 'table', 'ip', nftTableName(s.home)], { stdio: 'ignore' }); } catch { /* none */ }
      nftTables.delete(nftTableName(s.home));
    },
  };
}

/** A free 127.x.y.z outside `excludeCidr` on which nothing listens at `port`. */
export async function freeLoopbackIp(excludeCidr: string, port = 3306): Promise<string> {
  const prefix = excludeCidr.replace(/\.0\/24$/, '.');
  for (let i = 0; i < 100; i++) {
    const ip = `127.${randomInt(20, 250)}.${randomInt(0, 256)}.${randomInt(1, 251)}`;
    if (!ip.startsWith(prefix) && (await canBind(ip, port))) return ip;
  }
  throw new Error('no free loopback address');
}

// --- instances ------------------------------------------------------------------------------------

export const createParams = (over: Record<string, unknown> = {}) => ({
  RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: 'bench-ha', PaasGoodsId: HA_1C2G,
  DiskType: 'ssd_disk', DiskValue: 100, ...over,
});

export async function describe(c: TestClient, uuid: string): Promise<any> {
  const r = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
  return r.body?.Data?.[0];
}

/** Polls every `pollMs` until the instance is RUNNING; returns the entry and the ms it took from `t0`. */
export async function waitRunning(c: TestClient, uuid: string, timeoutMs = 300_000, pollMs = 20): Promise<any> {
  const t0 = performance.now();
  for (;;) {
    const d = await describe(c, uuid);
    if (d?.Status === 'RUNNING') return d;
    if (d?.Status === 'ERROR') throw new Error(`instance ${uuid} went to ERROR: ${d.StatusDetail}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`instance ${uuid} not RUNNING after ${timeoutMs} ms (${d?.Status})`);
    await sleep(pollMs);
  }
}

export async function deleteAndWait(c: TestClient, uuid: string, timeoutMs = 120_000): Promise<void> {
  await c.ok('DeleteDBInstance', { InstanceUuid: uuid });
  const t0 = performance.now();
  for (;;) {
    const r = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    if (r.body.Code === 'ResourceNotFound') return;
    if (performance.now() - t0 > timeoutMs) throw new Error(`instance ${uuid} not gone after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** RUNNING, semi-sync ON, and both HA nodes (`nodeIds`) alive. */
export async function waitHealthy(s: HaServe, uuid: string, nodeIds: string[], timeoutMs = 120_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const d = await describe(s.client, uuid);
    const nodes = homeNodes(s.home).filter((n) => nodeIds.includes(n.id));
    if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && nodes.length === nodeIds.length && nodes.every((n) => pidAlive(n.pid))) return d;
    if (Date.now() - t0 > timeoutMs) {
      const warn = s.logs().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-10).join('\n');
      throw new Error(`not healthy after ${timeoutMs} ms: ${d?.Status} ${d?.StatusDetail} semi-sync ${d?.HaSemiSync}\n${warn}`);
    }
    await sleep(50);
  }
}

export async function sql(cfg: { host: string; port: number; user: string; password: string }, ...stmts: string[]): Promise<any[]> {
  const c = await mysql.createConnection({ ...cfg, connectTimeout: 5000, multipleStatements: false });
  try {
    const out = [];
    for (const q of stmts) out.push((await c.query(q))[0]);
    return out;
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** Parsed JSON log lines of serve that mention `needle`. */
export function logLines(s: Serve, needle: string): any[] {
  return s.logs().split('\n').filter((l) => l.includes(needle)).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
}

// --- sysbench --------------------------------------------------------------------------------------

export interface SysbenchTarget { host: string; port: number; user: string; password: string; db: string }

export function sysbenchArgs(t: SysbenchTarget): string[] {
  return [`--mysql-host=${t.host}`, `--mysql-port=${t.port}`, `--mysql-user=${t.user}`, `--mysql-password=${t.password}`, `--mysql-db=${t.db}`, '--db-driver=mysql'];
}

/** Runs one sysbench test; returns queries per second and the 95th percentile latency. */
export async function sysbenchRun(t: SysbenchTarget, test: string, opts: { threads: number; time: number; tables: number; tableSize: number }): Promise<{ qps: number; tps: number; p95: number; errors: number }> {
  const { stdout } = await runP('sysbench', [test, ...sysbenchArgs(t), `--tables=${opts.tables}`, `--table-size=${opts.tableSize}`,
    `--threads=${opts.threads}`, `--time=${opts.time}`, '--report-interval=0', 'run'], { timeout: (opts.time + 60) * 1000, maxBuffer: 1 << 24 });
  const num = (re: RegExp) => { const m = re.exec(stdout); if (!m) throw new Error(`sysbench output lacks ${re}:\n${stdout}`); return Number(m[1]); };
  return {
    qps: num(/queries:\s+\d+\s+\(([\d.]+) per sec\.\)/),
    tps: num(/transactions:\s+\d+\s+\(([\d.]+) per sec\.\)/),
    p95: num(/95th percentile:\s+([\d.]+)/),
    errors: num(/ignored errors:\s+(\d+)/),
  };
}

export async function sysbenchPrepare(t: SysbenchTarget, tables: number, tableSize: number, threads: number): Promise<void> {
  await runP('sysbench', ['oltp_read_write', ...sysbenchArgs(t), `--tables=${tables}`, `--table-size=${tableSize}`, `--threads=${threads}`, 'prepare'],
    { timeout: 3_600_000, maxBuffer: 1 << 24 });
}

// --- RESULTS.md --------------------------------------------------------------------------------------

export const RESULTS = join(ROOT, 'bench/RESULTS.md');
const HA_HEADING = '## HA (issue 3)';

/**
 * Writes `md` as this benchmark's block (between `<!-- ha:key -->` markers) inside the
 * "HA (issue 3)" section, adding the section at the end of the file if it is missing. Other
 * sections and other benchmarks' blocks are left as they are.
 */
export function writeHaResults(key: string, md: string): void {
  let doc = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const open = `<!-- ha:${key} -->`;
  const close = `<!-- /ha:${key} -->`;
  const block = `${open}\n${md.trim()}\n${close}`;
  if (!doc.includes(HA_HEADING)) {
    doc = doc.replace(/\s*$/, '\n\n') + `${HA_HEADING}\n\nBenchmarks of issue 3 (\`npm run bench:failover\`, \`bench:endpoint\`, \`bench:readonly\`, \`bench:ha-provision\`). ` +
      'Each figure sits beside its baseline measured in the same run, on the same noisy 2-core VM; medians and ratios.\n';
  }
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  if (i >= 0 && j > i) {
    doc = doc.slice(0, i) + block + doc.slice(j + close.length);
  } else {
    // End of the HA section: the next "## " heading after it, or the end of the file.
    const h = doc.indexOf(HA_HEADING);
    const next = doc.indexOf('\n## ', h + HA_HEADING.length);
    const at = next < 0 ? doc.length : next + 1;
    const before = doc.slice(0, at).replace(/\s*$/, '\n\n');
    doc = before + block + '\n' + (next < 0 ? '' : '\n' + doc.slice(at));
  }
  writeFileSync(RESULTS, doc);
}

export function jsonOutArg(): string | undefined {
  const i = process.argv.indexOf('--json');
  return i > 0 ? process.argv[i + 1] : undefined;
}
/** `--name VALUE`; `--logs DIR` keeps serve's log there (the home itself is always removed). */
export function strArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
export function numArg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
export const flag = (name: string) => process.argv.includes(`--${name}`);
export const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export { sleep };
