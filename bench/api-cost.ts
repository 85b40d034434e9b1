/**
 * API cost of the store backends (issue 12 "Benchmarks"): signed GET DescribeDBInstances by
 * InstanceUuid at 1,000 seeded instances, rounds interleaved in one run:
 *   sqlite  one `openrds serve` on its SQLite file;
 *   pg1     one serve on a scratch PostgreSQL (test/support/postgres.ts);
 *   pg2     two serves on that home and that PostgreSQL database, the load split over both
 *           (two load processes, half the connections each).
 * The second PostgreSQL node exists during pg1 rounds too (idle: heartbeats and loops only).
 * Reported per target: req/s, serve CPU per request (user+sys from /proc of the serve processes),
 * PostgreSQL's own CPU per request (the postmaster and all its children, from /proc), p99.
 * Target: pg1's serve CPU/request ≤ 1.5 × sqlite's.
 *
 *   npm run bench:api-cost -- [--rounds 3] [--duration 10] [--connections 10] [--json out.json]
 *                            [--profile DIR] (serves under node --cpu-prof)
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { scratchPostgres } from '../test/support/postgres.js';
import type { LoadJob } from './api-load.js';
import { cpuMs, load, N, seed, type Measured } from './api-support.js';
import { TestClient } from '../test/support/cds-client.js';
import { cleanupAll, freeLoopbackNet, machine, median, PIPE, round, sourceRevision, startServe, VDC, type Serve } from './support.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const ROUNDS = Number(opt('rounds') ?? 3);
const DURATION = Number(opt('duration') ?? 10);
const CONNECTIONS = Number(opt('connections') ?? 10);
const JSON_OUT = opt('json');
const PROFILE = opt('profile');

/** The same 1,000 RUNNING instances as api-support's seed(), written into the PostgreSQL store. */
async function seedPg(url: string, s: Serve, ip: (i: number) => string): Promise<string[]> {
  const version = /Ver\s+(\d+\.\d+\.\d+)/.exec(execFileSync('mariadbd', ['--version'], { encoding: 'utf8' }))?.[1] ?? '10.11.0';
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tenant = (await c.query('SELECT tenant_id FROM access_keys WHERE id = $1', [s.creds.AccessKeyId])).rows[0].tenant_id as string;
    const uuids: string[] = [];
    const now = Date.now();
    await c.query('BEGIN');
    for (let i = 0; i < N; i++) {
      const uuid = randomUUID();
      uuids.push(uuid);
      const t = now - (N - i) * 1000;
      await c.query(`INSERT INTO instances (uuid, tenant_id, name, region_id, vdc_id, pipe_id, paas_goods_id, architecture, cpu, ram_gb,
        disk_type, disk_gb, ip, port, time_zone, status, status_detail, version, parent_uuid, created_at, updated_at, deleted_at)
        VALUES ($1, $2, $3, 'CN_Beijing_A', $4, $5, 27060, 0, 1, 2, 'ssd_disk', 100, $6, 3306, '+08:00', 'RUNNING', '', $7, NULL, $8, $9, NULL)`,
      [uuid, tenant, `bench-${String(i).padStart(4, '0')}`, VDC, PIPE, ip(i), version, t, t]);
    }
    await c.query('COMMIT');
    return uuids;
  } finally {
    await c.end();
  }
}

async function check(s: Serve, uuids: string[]): Promise<void> {
  const cl = new TestClient(s.url, s.creds);
  const one = await cl.ok('DescribeDBInstances', { InstanceUuid: uuids[N >> 1] }, { method: 'GET' });
  const all = await cl.ok('DescribeDBInstances', {}, { method: 'GET' });
  if (all.data.length !== N || one.data.length !== 1 || one.data[0].Status !== 'RUNNING') throw new Error(`seeding check failed on ${s.url}`);
}

/** The scratch cluster's postmaster (its command line names the port) and its children. */
function postgresPids(port: number): number[] {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const info = (pid: number) => {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return { ppid: Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') };
    } catch { return undefined; }
  };
  const master = procs.find((p) => { const i = info(p); return i && i.cmd[0]?.endsWith('/postgres') && i.cmd.includes(String(port)); });
  if (!master) throw new Error(`no postmaster on port ${port}`);
  return [master, ...procs.filter((p) => info(p)?.ppid === master)];
}

/** CPU ms of the PostgreSQL processes; children that exited are in the postmaster's cutime/cstime. */
function postgresCpuMs(port: number): number {
  const pids = postgresPids(port);
  let ms = 0;
  for (const p of pids) {
    try {
      ms += cpuMs(p);
      if (p === pids[0]) {
        const st = readFileSync(`/proc/${p}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        ms += ((Number(f[13]) + Number(f[14])) * 1000) / 100;
      }
    } catch { /* exited meanwhile */ }
  }
  return ms;
}

type Target = 'sqlite' | 'pg1' | 'pg2';
interface Row { target: Target; rps: number; serveUsPerReq: number; pgUsPerReq: number; p99: number; total: number; bad: number }

async function main() {
  const uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  process.stderr.write(`start: ${uptime}\n`);
  const scratch = await scratchPostgres();
  const url = await scratch.createDatabase();
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  const netA = await freeLoopbackNet(16);
  const netB = await freeLoopbackNet(16);
  // The binlog archive is off (docs/recovery.md: on by default, it would start a first backup of
  // each of the 1,000 seeded instances and measure that instead of the API).
  const config = { archive: { enabled: false } };
  const lite = await startServe({ cidr: netA.cidr, nodeArgs, config });
  const pgA = await startServe({ cidr: netB.cidr, nodeArgs, config: { ...config, store: { url } } });
  const pgB = await startServe({ cidr: netB.cidr, nodeArgs, beside: pgA });
  const rows: Row[] = [];
  let idle: Record<string, number> = {};
  try {
    const liteIds = seed(lite, netA.ip);
    const pgIds = await seedPg(url, pgA, netB.ip);
    for (const s of [lite, pgA]) await check(s, s === lite ? liteIds : pgIds);
    await check(pgB, pgIds);
    // Background cost with no requests (heartbeats, loop leases, loops), CPU ms per second.
    {
      const ms = 5000;
      const s0 = [lite, pgA, pgB].map((s) => cpuMs(s.proc.pid!));
      const p0 = postgresCpuMs(scratch.port);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, ms));
      const wall = (performance.now() - t0) / 1000;
      const s1 = [lite, pgA, pgB].map((s) => cpuMs(s.proc.pid!));
      idle = {
        sqliteServe: round((s1[0]! - s0[0]!) / wall, 1), pgServeA: round((s1[1]! - s0[1]!) / wall, 1), pgServeB: round((s1[2]! - s0[2]!) / wall, 1),
        postgres: round((postgresCpuMs(scratch.port) - p0) / wall, 1),
      };
      process.stderr.write(`idle CPU ms/s: ${JSON.stringify(idle)}\n`);
    }
    const job = (s: Serve, ids: string[], connections: number, durationS: number): LoadJob =>
      ({ url: s.url, path: '/mysql/', query: 'signed', creds: s.creds, uuids: ids, expect: '"Code":"Success"', connections, durationS });
    const run = async (t: Target, durationS: number): Promise<Row> => {
      const serves = t === 'sqlite' ? [lite] : t === 'pg1' ? [pgA] : [pgA, pgB];
      const ids = t === 'sqlite' ? liteIds : pgIds;
      const pg0 = postgresCpuMs(scratch.port);
      const c0 = serves.map((s) => cpuMs(s.proc.pid!));
      // load() measures the CPU of the pid it is given; the sum over both serves is taken here.
      const rs: Measured[] = await Promise.all(serves.map((s) => load(job(s, ids, Math.max(1, Math.round(CONNECTIONS / serves.length)), durationS), s.proc.pid!)));
      const serveMs = serves.reduce((a, s, i) => a + cpuMs(s.proc.pid!) - c0[i]!, 0);
      const pgMs = postgresCpuMs(scratch.port) - pg0;
      const total = rs.reduce((a, r) => a + r.total, 0);
      return {
        target: t, total, rps: round(rs.reduce((a, r) => a + r.rps, 0)),
        serveUsPerReq: round((serveMs * 1000) / Math.max(1, total)), pgUsPerReq: round((pgMs * 1000) / Math.max(1, total)),
        p99: Math.max(...rs.map((r) => r.latency.p99)), bad: rs.reduce((a, r) => a + r.non2xx + r.badBodies + r.errors + r.timeouts, 0),
      };
    };
    const targets: Target[] = ['sqlite', 'pg1', 'pg2'];
    for (const t of targets) process.stderr.write(`warm-up ${t}: ${JSON.stringify(await run(t, 3))}\n`);
    for (let i = 0; i < ROUNDS; i++) {
      for (const t of targets.map((_, k) => targets[(k + i) % targets.length]!)) {
        const r = await run(t, DURATION);
        rows.push(r);
        process.stderr.write(`round ${i + 1} ${JSON.stringify(r)}\n`);
      }
    }
  } finally {
    await pgB.stop();
    await pgA.stop();
    await lite.stop();
    cleanupAll();
    scratch.stop();
  }
  const sum = (t: Target) => {
    const rs = rows.filter((r) => r.target === t);
    return {
      rps: round(median(rs.map((r) => r.rps))), serveUsPerReq: round(median(rs.map((r) => r.serveUsPerReq))),
      pgUsPerReq: round(median(rs.map((r) => r.pgUsPerReq))), p99: median(rs.map((r) => r.p99)), worstP99: Math.max(...rs.map((r) => r.p99)),
      requests: rs.reduce((a, r) => a + r.total, 0), bad: rs.reduce((a, r) => a + r.bad, 0), rounds: rs,
    };
  };
  const sqlite = sum('sqlite');
  const pg1 = sum('pg1');
  const pg2 = sum('pg2');
  const ratio = round(pg1.serveUsPerReq / sqlite.serveUsPerReq, 2);
  const result = {
    benchmark: 'api-cost', finishedAt: new Date().toISOString(), machine: machine(), revision: sourceRevision(), loadAtStart: uptime,
    command: `npm run bench:api-cost -- ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { rounds: ROUNDS, durationS: DURATION, connections: CONNECTIONS, instances: N },
    idleCpuMsPerS: idle, sqlite, pg1, pg2,
    target: { want: 'pg1 serve CPU/request <= 1.5 x sqlite', got: ratio, met: ratio <= 1.5 },
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:api-cost failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
