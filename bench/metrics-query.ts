/**
 * DescribeDBInstancePerformance latency and metric storage at steady state.
 *
 * A real `openrds serve` (SQLite store) gets 50 RUNNING instances of tenant-a and, for each,
 * a synthetic backfill of exactly what 62 days of 10 s collection leaves after retention: every
 * bucket of the 30 s (1 d), 60 s (15 d), 300 s (31 d) and 3600 s (62 d) series, ending now.
 * Then autocannon (own process, bench/metrics-query-load.ts) POSTs signed requests over HTTP —
 * fresh nonce and signature each, random instance and metric key — for a 30-day span (the
 * target: p99 < 20 ms), and for comparison 10-day, 2-day and 4-hour spans. Storage is measured
 * with SQLite's dbstat (pages of the metric tables and their index).
 *
 *   npm run bench:metrics-query -- [--duration 15] [--rounds 3] [--connections 10] [--json out.json] [--no-results]
 *                                  [--profile DIR]   (serve under node --cpu-prof; profile in DIR)
 *                                  [--append FILE]   (only write the RESULTS.md section of an earlier --json)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { bucketStart, DAY, SERIES } from '../src/metrics/rollup.js';
import { METRIC_KEYS } from '../src/metrics/definitions.js';
import { TestClient } from '../test/support/cds-client.js';
import type { QueryJob, QueryResult } from './metrics-query-load.js';
import { cleanupAll, exited, freeLoopbackNet, machine, median, PIPE, ROOT, round, startServe, track, TSX, VDC, type Serve } from './support.js';

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const DURATION = Number(opt('duration') ?? 15);
const ROUNDS = Number(opt('rounds') ?? 3);
const CONNECTIONS = Number(opt('connections') ?? 10);
const JSON_OUT = opt('json');
const WRITE_RESULTS = !process.argv.includes('--no-results');
const PROFILE = opt('profile');
const N = 50;
const apiTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

function cpuMs(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** 50 instances, their series, and every point that 62 days of collection keep. Returns the uuids and rows. */
function backfill(s: Serve, ip: (i: number) => string, now: number): { uuids: string[]; rows: number; ms: number } {
  const t0 = performance.now();
  const db = new BetterSqlite3(join(s.home, 'openrds.db'));
  db.pragma('busy_timeout = 10000');
  try {
    const tenant = (db.prepare('SELECT tenant_id FROM access_keys WHERE id = ?').get(s.creds.AccessKeyId) as { tenant_id: string }).tenant_id;
    const insInst = db.prepare(`INSERT INTO instances (uuid, tenant_id, name, region_id, vdc_id, pipe_id, paas_goods_id, architecture, cpu, ram_gb,
      disk_type, disk_gb, ip, port, time_zone, status, status_detail, version, parent_uuid, created_at, updated_at, deleted_at)
      VALUES (?, ?, ?, 'CN_Beijing_A', ?, ?, 27060, 0, 1, 2, 'ssd_disk', 100, ?, 3306, '+08:00', 'RUNNING', '', '10.11.0', NULL, ?, ?, NULL)`);
    const insSeries = db.prepare('INSERT INTO metric_series (id, instance_uuid, created_at) VALUES (?, ?, ?)');
    const insPoint = db.prepare(`INSERT INTO metric_points (series_id, period, ts, cpu_sum, cpu_n, mem_sum, mem_n, space_sum, space_n,
      net_sum, net_n, sessions_sum, sessions_n, slow_sum, slow_n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const uuids: string[] = [];
    let rows = 0;
    db.transaction(() => {
      for (let i = 0; i < N; i++) {
        const uuid = randomUUID();
        uuids.push(uuid);
        insInst.run(uuid, tenant, `perf-${String(i).padStart(2, '0')}`, VDC, PIPE, ip(i + 1), now - 63 * DAY, now - 63 * DAY);
        insSeries.run(i + 1, uuid, now - 63 * DAY);
      }
    })();
    for (let i = 0; i < N; i++) {
      db.transaction(() => {
        for (const { period, retentionMs } of SERIES) {
          const n = period / 10; // readings per bucket at a 10 s interval
          for (let ts = bucketStart(now - retentionMs, period); ts <= now; ts += period * 1000) {
            const day = Math.sin(((ts % DAY) / DAY) * 2 * Math.PI); // a daily cycle, values with fractions like real ones
            insPoint.run(i + 1, period, ts, n * (20 + 15 * day + Math.random() * 5), n, n * (45 + Math.random()), n, n * (12 + ts / 1e12), n,
              n * (0.4 + 0.3 * day + Math.random() * 0.1), n, Math.round(n * (8 + 4 * day)), n, Math.floor(Math.random() * 3), n); // sums of integer readings are integers
            rows++;
          }
        }
      })();
    }
    return { uuids, rows, ms: performance.now() - t0 };
  } finally {
    db.close();
  }
}

/** Bytes of the metric tables and their indexes (dbstat), and the row count. */
function storage(home: string): { pointsBytes: number; seriesBytes: number; rows: number; pageSize: number } {
  const db = new BetterSqlite3(join(home, 'openrds.db'), { readonly: true });
  try {
    const by = new Map((db.prepare('SELECT name, SUM(pgsize) AS b FROM dbstat GROUP BY name').all() as Array<{ name: string; b: number }>).map((r) => [r.name, r.b]));
    const of = (prefix: string) => [...by].filter(([n]) => n === prefix || n.startsWith(`sqlite_autoindex_${prefix}_`)).reduce((a, [, b]) => a + b, 0);
    const rows = (db.prepare('SELECT count(*) AS n FROM metric_points').get() as { n: number }).n;
    return { pointsBytes: of('metric_points'), seriesBytes: of('metric_series'), rows, pageSize: Number(db.pragma('page_size', { simple: true })) };
  } finally {
    db.close();
  }
}

async function load(job: QueryJob, serverPid: number): Promise<QueryResult & { serverCpuUsPerReq: number }> {
  const p = track(spawn(process.execPath, ['--import', TSX, join(ROOT, 'bench/metrics-query-load.ts'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const c0 = cpuMs(serverPid);
  await exited(p);
  const c1 = cpuMs(serverPid);
  if (p.exitCode !== 0) throw new Error(`load generator failed (exit ${p.exitCode}): ${out}`);
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as QueryResult;
  return { ...r, serverCpuUsPerReq: round(((c1 - c0) * 1000) / Math.max(1, r.total)) };
}

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const net = await freeLoopbackNet(24);
  const s = await startServe({ cidr: net.cidr, nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [] });
  const now = Date.now();
  const spans = [
    { name: '30 d', ms: 30 * DAY, period: 3600, target: true },
    { name: '10 d', ms: 10 * DAY, period: 300 },
    { name: '2 d', ms: 2 * DAY, period: 60 },
    { name: '4 h', ms: 4 * 3600_000, period: 30 },
  ];
  const runs: Array<{ span: string; connections: number; points: number; r: QueryResult & { serverCpuUsPerReq: number } }> = [];
  let bf: ReturnType<typeof backfill>;
  let st: ReturnType<typeof storage>;
  try {
    bf = backfill(s, net.ip, now);
    st = storage(s.home);
    process.stderr.write(`backfilled ${bf.rows} points for ${N} instances in ${round(bf.ms)} ms; metric_points ${round(st.pointsBytes / 2 ** 20, 1)} MiB\n`);
    const c = new TestClient(s.url, s.creds);
    const check = await c.ok('DescribeDBInstancePerformance', { InstanceUuid: bf.uuids[0], MetricKey: 'mysql_cpu_usage', StartTime: apiTime(now - 30 * DAY), EndTime: apiTime(now) });
    if (check.data.Period !== 3600 || check.data.DataPoints[0].Values.length < 720) throw new Error(`backfill check failed: ${JSON.stringify(check.data).slice(0, 300)}`);

    const job = (span: (typeof spans)[number], connections: number, durationS: number): QueryJob => ({
      url: s.url, creds: s.creds, uuids: bf.uuids, keys: [...METRIC_KEYS],
      startTime: apiTime(now - span.ms), endTime: apiTime(now), period: span.period,
      minValues: Math.floor(span.ms / (span.period * 1000)) - 1, connections, durationS,
    });
    const warm = await load(job(spans[0]!, CONNECTIONS, 3), s.proc.pid!);
    process.stderr.write(`warm-up: ${round(warm.rps)} req/s, p99 ${warm.latency.p99} ms\n`);
    // The target rows (30 d) ROUNDS times, interleaved with the others; the table reports every row.
    const plan: Array<{ span: (typeof spans)[number]; conns: number }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const conns of [...new Set([1, 4, CONNECTIONS])]) plan.push({ span: spans[0]!, conns });
      if (i === 0) for (const span of spans.slice(1)) plan.push({ span, conns: CONNECTIONS });
    }
    for (const { span, conns } of plan) {
      const r = await load(job(span, conns, DURATION), s.proc.pid!);
      runs.push({ span: span.name, connections: conns, points: Math.floor(span.ms / (span.period * 1000)) + 1, r });
      process.stderr.write(`${span.name} × ${conns} conn: ${round(r.rps)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms, ` +
        `body ${r.avgBodyBytes} B, server ${r.serverCpuUsPerReq} µs/req, bad ${r.badBodies + r.non2xx + r.errors}, load ${loadavg()}\n`);
    }
  } catch (e) {
    process.stderr.write(`serve log (last lines):\n${s.logs().split('\n').slice(-15).join('\n')}\n`);
    throw e;
  } finally {
    await s.stop();
    cleanupAll();
  }

  const perInstance = (st.pointsBytes + st.seriesBytes) / N;
  const pointsPerInstance = st.rows / N;
  const bytesPerPoint = st.pointsBytes / st.rows;
  const pointsPerDay = SERIES.reduce((a, x) => a + (DAY / 1000) / x.period, 0); // 4,632
  const p99Of = (conns: number) => runs.filter((x) => x.span === '30 d' && x.connections === conns).map((x) => x.r.latency.p99);
  const targetP99 = median(p99Of(CONNECTIONS));
  const clean = runs.every((x) => x.r.badBodies === 0 && x.r.non2xx === 0 && x.r.errors === 0 && x.r.timeouts === 0);
  const result = {
    benchmark: 'metrics-query', startedAt: startedAt.toISOString(), machine: mach,
    command: `npm run bench:metrics-query -- ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { instances: N, durationS: DURATION, rounds: ROUNDS, connections: CONNECTIONS, backfillPoints: bf!.rows, backfillMs: round(bf!.ms) },
    runs: runs.map((x) => ({ span: x.span, connections: x.connections, points: x.points, rps: round(x.r.rps), ...x.r.latency, bodyBytes: x.r.avgBodyBytes, serverCpuUsPerReq: x.r.serverCpuUsPerReq, total: x.r.total, bad: x.r.badBodies + x.r.non2xx + x.r.errors + x.r.timeouts })),
    storage: {
      metricPointsBytes: st!.pointsBytes, rows: st!.rows, pointsPerInstance: round(pointsPerInstance), bytesPerPoint: round(bytesPerPoint, 1),
      steadyStateBytesPerInstance: round(perInstance), bytesPerInstanceDay: round(pointsPerDay * bytesPerPoint), pointsPerInstanceDay: pointsPerDay,
    },
    p99MedianByConnections: Object.fromEntries([...new Set([1, 4, CONNECTIONS])].map((c) => [c, median(p99Of(c))])),
    loadavgAtEnd: loadavg(),
    targets: { p99: { want: `< 20 ms (30-day span, SQLite, median of ${ROUNDS} rounds at ${CONNECTIONS} connections)`, got: targetP99, met: targetP99 < 20 }, allSuccess: { met: clean } },
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (WRITE_RESULTS) appendResults(result);
}

function appendResults(r: any): void {
  const file = join(ROOT, 'bench/RESULTS.md');
  const lines = [
    '', '<!-- metrics:query -->', `## Metrics query: DescribeDBInstancePerformance latency and storage (\`npm run bench:metrics-query\`, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC)`, '',
    `Machine: ${r.machine}. Real \`openrds serve\` on SQLite; ${r.settings.instances} instances with 62 days of synthetic rollups (${r.settings.backfillPoints.toLocaleString('en')} points, ` +
    `every bucket of every series up to now); signed POST /mysql/ requests (fresh nonce each, random instance and metric key), autocannon in its own process, ${r.settings.durationS} s per row.`, '',
    '| span | Period | points/answer | connections | req/s | p50 ms | p99 ms | max ms | body bytes | serve CPU µs/req |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.runs.map((x: any) => `| ${x.span} | ${({ '30 d': 3600, '10 d': 300, '2 d': 60, '4 h': 30 } as any)[x.span]} s | ${x.points} | ${x.connections} | ${x.rps} | ${x.p50} | ${x.p99} | ${x.max} | ${x.bodyBytes} | ${x.serverCpuUsPerReq} |`),
    '', `30-day span, median p99 of ${r.settings.rounds} rounds by connections: ` +
    Object.entries(r.p99MedianByConnections).map(([c, v]) => `${c} → ${v} ms`).join(', ') + '. ' +
    `Target p99 < 20 ms at ${r.settings.connections} connections: **${r.targets.p99.got} ms, ${r.targets.p99.met ? 'met' : 'NOT met'}**; ` +
    `every answer Success with the right Period and its points: ${r.targets.allSuccess.met ? 'yes' : 'NO'}. Load average at the end: ${r.loadavgAtEnd}.`, '',
    `Storage at steady state (dbstat of \`metric_points\` and its primary key): ${r.storage.pointsPerInstance.toLocaleString('en')} points per instance, ` +
    `${r.storage.bytesPerPoint} bytes per point, **${(r.storage.steadyStateBytesPerInstance / 2 ** 20).toFixed(2)} MiB per instance**; one day of collection adds ` +
    `${r.storage.pointsPerInstanceDay.toLocaleString('en')} points = **${Math.round(r.storage.bytesPerInstanceDay / 1024)} KiB per instance-day**, and retention removes as much each day.`, '',
  ];
  lines.push('<!-- /metrics:query -->', '');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  appendFileSync(file, (existing && !existing.endsWith('\n') ? '\n' : '') + lines.join('\n'));
}

// --append FILE: write the RESULTS.md section of an earlier run's --json output (no new run).
const APPEND = opt('append');
(APPEND ? Promise.resolve(appendResults(JSON.parse(readFileSync(APPEND, 'utf8')))) : main()).then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:metrics-query failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
