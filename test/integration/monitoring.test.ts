/**
 * Monitoring against real MariaDB through the real server: measured metrics seen through
 * DescribeDBInstancePerformance and GET /metrics, gaps (a hung node, a killed node) that are
 * never zeros, a restart of serve, and every parameter rule over HTTP.
 *
 * Timing: the collector reads every node on ticks at multiples of `metrics.intervalMs` (1 s
 * here), and a 30 s point averages the readings of its bucket. Phases that check a bucket's
 * value start 1.5 s before a bucket boundary, so that every reading of that bucket sees them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { sign, TestClient } from '../support/cds-client.js';
import { createRunning, HA_1C2G, newKey, startServer, type ServerHandle } from '../support/harness.js';
import { dbPids } from '../support/ha.js';

const BUCKET = 30_000;
const SMALL_DISKS = [
  { DiskValue: 'ssd_disk', DiskName: 'SSD', BasicIops: '', DiskMin: 1, DiskMax: 2000, DiskMaxExpand: 2000, DiskStep: 1, DiskUnit: 'G' },
  { DiskValue: 'high_disk', DiskName: '性能型', BasicIops: '3000', DiskMin: 1, DiskMax: 2000, DiskMaxExpand: 2000, DiskStep: 1, DiskUnit: 'G' },
];

let s: ServerHandle;
let A: any; // sessions, slow queries, traffic, data
let B: any; // hung, then killed
let H: any; // HA: primary + standby
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const apiTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

before(async () => {
  s = await startServer({ config: { metrics: { intervalMs: 1000, diskIntervalMs: 1000 }, catalog: { disks: SMALL_DISKS } } });
  // 1 GiB disks, so that a few hundred MB of data move mysql_space_usage by whole percents.
  [A, B, H] = await Promise.all([
    createRunning(s.client, { InstanceName: 'mon-a', Password: 'Mon-Pass1', DiskValue: 1 }),
    createRunning(s.client, { InstanceName: 'mon-b', Password: 'Mon-Pass1', DiskValue: 1 }),
    createRunning(s.client, { InstanceName: 'mon-ha', Password: 'Mon-Pass1', DiskValue: 1, PaasGoodsId: HA_1C2G }),
  ]);
});
after(async () => { await s?.cleanup(); });


async function scrape(): Promise<{ status: number; type: string; text: string }> {
  const r = await fetch(`${s.url}/metrics`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = text.split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  assert.ok(hits.length <= 1, `several samples match: ${hits.join(' / ')}`);
  return hits[0] === undefined ? undefined : Number(hits[0].slice(hits[0].lastIndexOf(' ') + 1));
}

async function nodeOf(uuid: string): Promise<string> {
  const { text } = await scrape();
  const m = new RegExp(`openrds_node_up\\{[^}]*instance_uuid="${uuid}"[^}]*\\}`).exec(text);
  assert.ok(m, `no openrds_node_up for ${uuid}`);
  return /node="([^"]+)"/.exec(m[0])![1]!;
}

/** DescribeDBInstancePerformance → Map of bucket start (ms) → Value. */
async function perf(uuid: string, key: string, from: number, to: number, c: TestClient = s.client): Promise<{ period: number; values: Map<number, number> }> {
  const { data } = await c.ok('DescribeDBInstancePerformance', { InstanceUuid: uuid, MetricKey: key, StartTime: apiTime(from), EndTime: apiTime(to) });
  const values = new Map<number, number>();
  for (const v of data.DataPoints[0].Values) values.set(Date.parse(v.DateTime.replace(' ', 'T') + 'Z'), v.Value);
  return { period: data.Period, values };
}

/** Waits until `leadMs` before the next bucket boundary (at least 2 s away); returns that boundary. */
async function beforeNextBucket(leadMs = 1500): Promise<number> {
  let boundary = Math.ceil(Date.now() / BUCKET) * BUCKET;
  if (boundary - Date.now() < leadMs + 2000) boundary += BUCKET;
  await sleep(boundary - leadMs - Date.now());
  return boundary;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const connA = () => mysql.createConnection({ host: A.IP, port: A.Port, user: 'root', password: 'Mon-Pass1' });

test('measured: sessions reach N, slow queries rise, traffic and data show; meanwhile a hung node gives a gap, not a zero, and blocks nobody', async (t) => {
  await sleep(3000); // a few readings of both nodes before
  const nodeB = await nodeOf(B.InstanceUuid);
  const pidB = dbPids(s.home).get(nodeB)!;
  assert.ok(pidB, 'B runs');

  const B1 = await beforeNextBucket();
  const N = 7;
  const worker = await connA(); // one of the N sessions
  const idle = await Promise.all(Array.from({ length: N - 1 }, () => connA()));
  process.kill(pidB, 'SIGSTOP'); // B hangs: alive for the watchdog, silent for the collector
  let midScrape = '';
  // Client-side durations: a query the server counts as slow (> long_query_time) took longer than that here too.
  let overOneSecond = 0;
  const timed = async (q: string) => {
    const t = Date.now();
    await worker.query(q);
    if (Date.now() - t > 1000) overOneSecond++;
  };
  try {
    await until('the bucket to start', async () => Date.now() > B1 + 1500);
    for (let i = 0; i < 3; i++) await timed('SELECT SLEEP(1.2)'); // 3 slow queries (long_query_time = 1 s)
    midScrape = (await scrape()).text;
    const t0 = Date.now();
    while (Date.now() - t0 < 4000) await timed("SELECT REPEAT('x', 8388608) AS big"); // ~8 MB per query to the client
    await timed('CREATE DATABASE fill');
    await timed('CREATE TABLE fill.t (id INT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB');
    for (let i = 0; i < 30; i++) await timed("INSERT INTO fill.t (b) SELECT REPEAT(CHAR(65 + RAND() * 26), 4194304)"); // ~120 MB of data, as much binlog
    assert.ok(Date.now() < B1 + BUCKET - 500, 'the work fits in one bucket');
    await sleep(B1 + BUCKET + 300 - Date.now());
  } finally {
    process.kill(pidB, 'SIGCONT');
    for (const c of [worker, ...idle]) await c.end().catch(() => {});
  }
  await sleep(3000); // readings of bucket B1 + 30 s (B2) for both

  // While B was stopped, A was read every second: the gauges of A, up 0 for B.
  assert.equal(sample(midScrape, 'openrds_mysql_sessions', { instance_uuid: A.InstanceUuid }), N);
  assert.equal(sample(midScrape, 'openrds_node_up', { instance_uuid: B.InstanceUuid }), 0);
  assert.equal(sample(midScrape, 'openrds_mysql_mem_usage_percent', { instance_uuid: B.InstanceUuid }), undefined, 'a gap, not a zero');
  assert.equal(sample(midScrape, 'openrds_node_up', { instance_uuid: A.InstanceUuid }), 1);

  const from = B1 - BUCKET;
  const to = B1 + BUCKET;
  const sessions = await perf(A.InstanceUuid, 'mysql_sessions', from, to);
  assert.equal(sessions.period, 30);
  assert.equal(sessions.values.get(B1), N, `sessions in the bucket of ${apiTime(B1)}: ${JSON.stringify([...sessions.values])}`);
  assert.ok((sessions.values.get(from) ?? 99) < N, 'fewer before');

  const slow = await perf(A.InstanceUuid, 'mysql_slow_queries', from, to);
  // The three SLEEP(1.2), plus any other query that a busy machine made run over a second.
  const slowB1 = slow.values.get(B1)!;
  assert.ok(slowB1 >= 3 && slowB1 <= overOneSecond, `slow queries per period: ${JSON.stringify([...slow.values])}, ${overOneSecond} queries over 1 s`);
  assert.equal(slow.values.get(from), 0);

  const net = await perf(A.InstanceUuid, 'mysql_network_trffice', from, to);
  assert.ok((net.values.get(B1) ?? 0) >= 1, `MB/s in the busy bucket: ${JSON.stringify([...net.values])}`);
  assert.equal(net.values.get(from), 0, 'idle before');

  const space = await perf(A.InstanceUuid, 'mysql_space_usage', from, to);
  const spaceBefore = space.values.get(from)!;
  const spaceAfter = space.values.get(to)!;
  assert.ok(spaceBefore > 0 && spaceAfter - spaceBefore >= 15, `space % before ${spaceBefore}, after ${spaceAfter}`);

  const cpu = await perf(A.InstanceUuid, 'mysql_cpu_usage', from, to);
  t.diagnostic(`A, buckets ${apiTime(from)} / ${apiTime(B1)} / ${apiTime(to)}: ` + JSON.stringify({
    sessions: [...sessions.values.values()], slow: [...slow.values.values()], netMBps: [...net.values.values()],
    spacePct: [...space.values.values()], cpuPct: [...cpu.values.values()],
  }));
  assert.ok(cpu.values.has(from) && cpu.values.has(B1) && cpu.values.has(to), 'A measured in every bucket');

  // B: points before and after, none for the bucket it was stopped through — for every metric.
  for (const key of ['mysql_mem_usage', 'mysql_space_usage', 'mysql_sessions', 'mysql_cpu_usage', 'mysql_network_trffice', 'mysql_slow_queries']) {
    const b = await perf(B.InstanceUuid, key, from, to);
    assert.equal(b.values.has(B1), false, `${key}: no point for the hung bucket, got ${b.values.get(B1)}`);
    assert.ok(b.values.has(from), `${key}: a point before`);
    if (key !== 'mysql_cpu_usage' && key !== 'mysql_network_trffice') assert.ok(b.values.has(to), `${key}: a point after`);
  }
  const memB = await perf(B.InstanceUuid, 'mysql_mem_usage', from, to);
  for (const [t, v] of memB.values) assert.ok(v > 0, `mem of B at ${apiTime(t)} is ${v}`);
});

test('kill -9 of a node: the reading in the outage is a gap (node_up 0, no gauges), never a zero; it comes back by itself', async () => {
  const nodeB = await nodeOf(B.InstanceUuid);
  const pid = dbPids(s.home).get(nodeB)!;
  const gaps0 = sample((await scrape()).text, 'openrds_collector_readings_total', { result: 'gap' }) ?? 0;
  // Kill just before a collector tick: that tick finds nothing to read (a restart takes ≥ 0.3 s).
  await sleep(1000 - (Date.now() % 1000) + 1000 - 80);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  let sawGap = false;
  let gapText = '';
  await until('node B to be read again after its restart', async () => {
    const { text } = await scrape();
    const up = sample(text, 'openrds_node_up', { instance_uuid: B.InstanceUuid });
    if (up === 0 && !sawGap) {
      sawGap = true;
      gapText = text;
    }
    return sawGap && up === 1;
  }, 20_000, 50);
  assert.ok(sawGap);
  for (const g of ['openrds_mysql_mem_usage_percent', 'openrds_mysql_sessions', 'openrds_mysql_space_usage_percent']) {
    assert.equal(sample(gapText, g, { instance_uuid: B.InstanceUuid }), undefined, `${g} absent during the gap`);
  }
  assert.ok((sample((await scrape()).text, 'openrds_collector_readings_total', { result: 'gap' }) ?? 0) > gaps0);
  const newPid = dbPids(s.home).get(nodeB);
  assert.ok(newPid && newPid !== pid, 'restarted by the watchdog');
  await sleep(2500);
  // The first reading of the new process is a CPU baseline: no spike, and no zero pulled into any average.
  const { text } = await scrape();
  assert.ok((sample(text, 'openrds_mysql_cpu_usage_percent', { instance_uuid: B.InstanceUuid }) ?? 0) < 100);
  for (const key of ['mysql_mem_usage', 'mysql_space_usage']) {
    const v = await perf(B.InstanceUuid, key, killedAt - BUCKET, Date.now());
    assert.ok(v.values.size >= 1);
    for (const [t, x] of v.values) assert.ok(x > 0, `${key} at ${apiTime(t)} is ${x}`);
  }
});

test('a restart of serve (kill -9) keeps collecting from the saved readings: no spike, no zero, no lost points', async () => {
  const t0 = Date.now();
  await sleep(1500);
  await s.kill9();
  await sleep(500);
  await s.restart();
  // The first rates after the restart (from the saved reading, or from the first new one when the
  // restart took longer than three intervals): an idle server's, not the restart gap's.
  let text = '';
  await until('CPU and traffic rates of A after the restart', async () => {
    text = (await scrape()).text;
    return sample(text, 'openrds_mysql_cpu_usage_percent', { instance_uuid: A.InstanceUuid }) !== undefined
      && sample(text, 'openrds_mysql_network_traffic_mb_per_second', { instance_uuid: A.InstanceUuid }) !== undefined;
  }, 30_000, 100);
  const cpu = sample(text, 'openrds_mysql_cpu_usage_percent', { instance_uuid: A.InstanceUuid });
  const net = sample(text, 'openrds_mysql_network_traffic_mb_per_second', { instance_uuid: A.InstanceUuid });
  assert.ok(cpu !== undefined && cpu < 50, `idle CPU after the restart: ${cpu}`);
  assert.ok(net !== undefined && net < 1, `idle traffic after the restart: ${net}`);
  const mem = await perf(A.InstanceUuid, 'mysql_mem_usage', t0 - BUCKET, Date.now());
  assert.ok(mem.values.size >= 2, 'points from before and after the restart');
  for (const [t, v] of mem.values) assert.ok(v > 0, `mem at ${apiTime(t)}: ${v}`);
  const slow = await perf(A.InstanceUuid, 'mysql_slow_queries', t0, Date.now());
  for (const [t, v] of slow.values) assert.equal(v, 0, `no invented slow queries at ${apiTime(t)}`);
});

test('an HA instance reports its primary: sessions on the standby stay out of DescribeDBInstancePerformance', async () => {
  const { text } = await scrape();
  const line = (role: string) => new RegExp(`openrds_node_up\\{[^}]*instance_uuid="${H.InstanceUuid}"[^}]*role="${role}"[^}]*\\}`).exec(text)?.[0];
  const ipOf = (nodeLine: string) => readFileSync(`${s.home}/nodes/${/node="([^"]+)"/.exec(nodeLine)![1]}/my.cnf`, 'utf8').match(/bind_address = (\S+)/)![1]!;
  const primaryLine = line('primary');
  const standbyLine = line('standby');
  assert.ok(primaryLine && standbyLine, 'both nodes of the HA instance are exported with their roles');
  const standbyIp = ipOf(standbyLine);
  assert.notEqual(standbyIp, ipOf(primaryLine));

  const B1 = await beforeNextBucket();
  const onStandby = await Promise.all(Array.from({ length: 6 }, () => mysql.createConnection({ host: standbyIp, port: H.Port, user: 'root', password: 'Mon-Pass1' })));
  const onPrimary = await Promise.all(Array.from({ length: 3 }, () => mysql.createConnection({ host: H.IP, port: H.Port, user: 'root', password: 'Mon-Pass1' }))); // the endpoint
  try {
    await sleep(B1 + 3500 - Date.now()); // four readings of bucket B1
    const mid = (await scrape()).text;
    assert.ok(sample(mid, 'openrds_mysql_sessions', { instance_uuid: H.InstanceUuid, role: 'standby' })! >= 6);
    const v = (await perf(H.InstanceUuid, 'mysql_sessions', B1, B1 + 5000)).values.get(B1);
    // The primary's user sessions: our 3 (the standby's replication connection and the HA monitor's probes are openrds' own).
    assert.equal(v, 3, `HA sessions ${v}: the primary's user sessions, not the standby's`);
  } finally {
    for (const c of [...onStandby, ...onPrimary]) await c.end().catch(() => {});
  }
});

test('GET /metrics: per-node gauges labelled instance_uuid, instance_name, node, role; tasks, API and collector metrics', async () => {
  await s.client.ok('DescribeDBInstancePerformance', { InstanceUuid: A.InstanceUuid, MetricKey: 'mysql_cpu_usage', StartTime: apiTime(Date.now() - 60_000), EndTime: apiTime(Date.now()) });
  const r = await scrape();
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain/);
  for (const inst of [A, B]) {
    const node = await nodeOf(inst.InstanceUuid);
    const labels = { instance_uuid: inst.InstanceUuid, instance_name: inst.InstanceName, node, role: 'primary' };
    for (const g of ['openrds_mysql_cpu_usage_percent', 'openrds_mysql_mem_usage_percent', 'openrds_mysql_space_usage_percent',
      'openrds_mysql_network_traffic_mb_per_second', 'openrds_mysql_sessions', 'openrds_mysql_slow_queries_total', 'openrds_node_up']) {
      const v = sample(r.text, g, labels);
      assert.ok(v !== undefined && Number.isFinite(v), `${g} for ${inst.InstanceName}`);
    }
    assert.ok(sample(r.text, 'openrds_mysql_mem_usage_percent', labels)! > 0);
  }
  assert.ok((sample(r.text, 'openrds_tasks', { status: 'FINISH' }) ?? 0) >= 2);
  assert.ok((sample(r.text, 'openrds_api_requests_total', { action: 'DescribeDBInstancePerformance', code: 'Success' }) ?? 0) >= 1);
  assert.ok((sample(r.text, 'openrds_api_request_duration_seconds_count', { action: 'DescribeDBInstancePerformance' }) ?? 0) >= 1);
  const lag = sample(r.text, 'openrds_collector_lag_seconds')!;
  assert.ok(lag >= 0 && lag < 1, `lag ${lag}`);
  assert.ok(Date.now() / 1000 - sample(r.text, 'openrds_collector_last_round_timestamp_seconds')! < 3);
  assert.ok((sample(r.text, 'openrds_collector_round_duration_seconds_count') ?? 0) > 0);
  assert.match(r.text, /^process_cpu_seconds_total /m);
});

/** A raw signed call, to see the response text exactly as the SDK decodes it. */
async function rawCall(path: string, method: 'GET' | 'POST', params: Record<string, string>): Promise<{ status: number; text: string }> {
  const common: Record<string, string> = {
    Action: 'DescribeDBInstancePerformance', AccessKeyId: s.creds.AccessKeyId, SignatureMethod: 'HMAC-SHA1', SignatureNonce: randomUUID(),
    SignatureVersion: '1.0', Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Version: '2019-08-08',
  };
  const q = method === 'GET' ? { ...common, ...params } : common;
  q.Signature = sign(method, q, s.creds.AccessKeySecret, 'HMAC-SHA1');
  const res = await fetch(`${s.url}${path}?${new URLSearchParams(q)}`, { method, body: method === 'POST' ? JSON.stringify(params) : undefined });
  return { status: res.status, text: await res.text() };
}

test('served on /mysql/ and /paas/monitor/, GET and POST; Values are integer literals in the raw JSON', async () => {
  const params = { InstanceUuid: A.InstanceUuid, MetricKey: 'mysql_mem_usage', StartTime: apiTime(Date.now() - 3_600_000), EndTime: apiTime(Date.now()) };
  for (const path of ['/mysql/', '/mysql', '/paas/monitor/', '/paas/monitor', '/']) {
    for (const method of ['GET', 'POST'] as const) {
      const r = await rawCall(path, method, params);
      assert.equal(r.status, 200, `${method} ${path}: ${r.text.slice(0, 200)}`);
      const body = JSON.parse(r.text);
      assert.equal(body.Code, 'Success');
      assert.equal(body.TaskId, '');
      assert.equal(typeof body.Data.DataPoints[0].MonitorType, 'string');
      assert.ok(Number.isInteger(body.Data.Period));
      const literals = [...r.text.matchAll(/"Value":([^,}\]]*)/g)].map((m) => m[1]!);
      assert.ok(literals.length >= 3, `${method} ${path}: ${literals.length} values`);
      for (const l of literals) assert.match(l, /^\d+$/, `${method} ${path}: Value ${l}`);
      for (const v of body.Data.DataPoints[0].Values) assert.ok(Number.isInteger(v.Value) && v.Value > 0);
    }
  }
});

test('every parameter rule over HTTP: ArgMissing, InvalidParameter naming the parameter, ResourceNotFound for others\' instances', async () => {
  const other = new TestClient(s.url, newKey(s.home, 'tenant-b'));
  const now = Date.now();
  const ok = { InstanceUuid: A.InstanceUuid, MetricKey: 'mysql_sessions', StartTime: apiTime(now - 3_600_000), EndTime: apiTime(now) };
  const cases: Array<[string, Record<string, unknown>, number, string, RegExp, TestClient?]> = [
    ['InstanceUuid missing', { ...ok, InstanceUuid: undefined }, 400, 'ArgMissing', /InstanceUuid/],
    ['MetricKey missing', { ...ok, MetricKey: undefined }, 400, 'ArgMissing', /MetricKey/],
    ['StartTime missing', { ...ok, StartTime: undefined }, 400, 'ArgMissing', /StartTime/],
    ['EndTime missing', { ...ok, EndTime: null }, 400, 'ArgMissing', /EndTime/],
    ['unknown MetricKey', { ...ok, MetricKey: 'mysql_iops' }, 400, 'InvalidParameter', /MetricKey/],
    ['StartTime in ISO form', { ...ok, StartTime: new Date(now - 3_600_000).toISOString() }, 400, 'InvalidParameter', /StartTime/],
    ['EndTime not a date', { ...ok, EndTime: '2024-13-45 99:00:00' }, 400, 'InvalidParameter', /EndTime/],
    ['EndTime before StartTime', { ...ok, EndTime: apiTime(now - 3_601_000) }, 400, 'InvalidParameter', /EndTime/],
    ['span over 30 days', { ...ok, StartTime: apiTime(now - 31 * 86_400_000) }, 400, 'InvalidParameter', /30 days/],
    ['unknown instance', { ...ok, InstanceUuid: randomUUID() }, 404, 'ResourceNotFound', /does not exist/],
    ['another tenant\'s instance', ok, 404, 'ResourceNotFound', new RegExp(A.InstanceUuid), other],
  ];
  for (const [name, params, status, code, msg, client] of cases) {
    for (const method of ['GET', 'POST'] as const) {
      const r = await (client ?? s.client).call('DescribeDBInstancePerformance', params, { method, path: '/paas/monitor/' });
      assert.equal(r.status, status, `${name} (${method}): ${JSON.stringify(r.body)}`);
      assert.equal(r.body.Code, code, name);
      assert.match(r.body.Message, msg, name);
    }
  }
  const fine = await other.call('DescribeDBInstancePerformance', ok);
  assert.equal(fine.body.Code, 'ResourceNotFound');
});
