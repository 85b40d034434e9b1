/**
 * The collector with hand-written fakes of the Provisioner and Engine ports on a real SQLite
 * store: a hung node delays nobody and gives a gap; which node an instance reports (HA primary,
 * read-only replica); which instances are read; continuity across a restart of serve.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { pino } from 'pino';
import type { Engine, StatusCounters, Target } from '../../src/engine/engine.js';
import { MetricsCollector, type RoundReport } from '../../src/metrics/collector.js';
import type { NodeUsage, Provisioner } from '../../src/provisioner/provisioner.js';
import type { Services } from '../../src/services.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

const GIB = 1024 ** 3;
const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);

/** Per node: what usage() and statusCounters() answer; `hang` never answers, `fail` rejects. */
interface FakeNode { usage?: NodeUsage; counters: StatusCounters; hang?: boolean; fail?: boolean }

class FakeProvisioner {
  readonly kind = 'fake';
  constructor(private readonly nodes: Map<string, FakeNode>) {}
  async usage(nodeId: string): Promise<NodeUsage | undefined> {
    const n = this.nodes.get(nodeId);
    return n?.fail || n?.hang ? undefined : n?.usage;
  }
}

class FakeEngine {
  readonly kind = 'fake';
  closed: string[][] = [];
  /** When each statusCounters call started (performance.now()). */
  calls: number[] = [];
  constructor(private readonly nodes: Map<string, FakeNode>, private readonly byIp: Map<string, string>) {}
  statusCounters(t: Target, _timeoutMs: number): Promise<StatusCounters> {
    this.calls.push(performance.now());
    const n = this.nodes.get(this.byIp.get(t.host)!);
    if (!n || n.fail) return Promise.reject(new Error('connection refused'));
    if (n.hang) return new Promise(() => {}); // a stopped process: never answers
    return Promise.resolve({ ...n.counters });
  }
  closeMonitoring(keep: readonly Target[] = []): void {
    this.closed.push(keep.map((t) => t.host));
  }
}

let dir: string;
let store: Store;
let now = T0;
const nodes = new Map<string, FakeNode>();
const byIp = new Map<string, string>();

function svcWith(engine: FakeEngine): Services {
  return {
    config: { metrics: { enabled: true, intervalMs: 1000, nodeTimeoutMs: 150, diskIntervalMs: 0, retentionIntervalMs: 60_000 }, storage: { gbBytes: 1024 ** 3 } },
    store, engine: engine as unknown as Engine, provisioner: new FakeProvisioner(nodes) as unknown as Provisioner,
    masterKey: Buffer.alloc(32, 7), clock: { now: () => now }, log: pino({ level: 'silent' }),
  } as unknown as Services;
}

let ipSeq = 0;
async function addInstance(uuid: string, opts: { status?: string; nodes: Array<{ id: string; role: string; desired?: string }>; cpu?: number }) {
  await store.db.insertInto('instances').values({
    uuid, tenant_id: 't', name: `name-${uuid}`, region_id: 'CN_Beijing_A', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 27060, architecture: 0,
    cpu: opts.cpu ?? 2, ram_gb: 4, disk_type: 'ssd_disk', disk_gb: 100, ip: `10.0.0.${++ipSeq}`, port: 3306, time_zone: '+08:00',
    status: opts.status ?? 'RUNNING', status_detail: '', version: '10.11.0', parent_uuid: null, created_at: T0, updated_at: T0, deleted_at: null,
  }).execute();
  for (const n of opts.nodes) {
    const ip = `10.1.0.${++ipSeq}`;
    byIp.set(ip, n.id);
    await store.db.insertInto('nodes').values({
      id: n.id, instance_uuid: uuid, role: n.role, ip, port: 3306, server_id: ipSeq, desired: n.desired ?? 'running', incarnation: null, last_seen_at: null, created_at: T0,
    }).execute();
    nodes.set(n.id, {
      usage: { incarnation: `run-${100 + ipSeq}`, cpuSeconds: 10, rssBytes: GIB, diskBytes: 10 * GIB },
      counters: { uptime: 100, threadsConnected: 1, internalSessions: 1, slowQueries: 0, bytesReceived: 0, bytesSent: 0 },
    });
  }
}

const node = (id: string) => nodes.get(id)!;
function advance(ms: number, f?: (id: string, n: FakeNode) => void): void {
  now += ms;
  for (const [id, n] of nodes) {
    n.counters.uptime += ms / 1000;
    f?.(id, n);
  }
}

async function points(uuid: string, column: string) {
  return store.metrics.points(uuid, 30, 0, Number.MAX_SAFE_INTEGER, column, column === 'slow' ? 'sum' : 'avg');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openrds-collector-'));
  store = await openSqliteStore(join(dir, 'openrds.db'));
  await addInstance('basic', { nodes: [{ id: 'n-basic', role: 'primary' }] });
  await addInstance('hung', { nodes: [{ id: 'n-hung', role: 'primary' }] });
  await addInstance('ha', { nodes: [{ id: 'n-ha-p', role: 'primary' }, { id: 'n-ha-s', role: 'standby' }] });
  await addInstance('ro', { nodes: [{ id: 'n-ro', role: 'replica' }] });
  await addInstance('creating', { status: 'CREATING', nodes: [{ id: 'n-creating', role: 'primary' }] });
  await addInstance('deleting', { status: 'DELETING', nodes: [{ id: 'n-deleting', role: 'primary' }] });
  await addInstance('stopped', { nodes: [{ id: 'n-stopped', role: 'primary', desired: 'stopped' }] });
  await addInstance('recovering', { status: 'RECOVERING', nodes: [{ id: 'n-rec', role: 'primary' }] });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const n of nodes.values()) { n.hang = false; n.fail = false; }
});

test('a round reads live nodes only, and a hung node costs one timeout, not the others\' readings', async () => {
  node('n-hung').hang = true;
  node('n-rec').fail = true;
  const engine = new FakeEngine(nodes, byIp);
  const c = new MetricsCollector(svcWith(engine), pino({ level: 'silent' }));
  const t = performance.now();
  const r = await c.runOnce(now);
  const took = performance.now() - t;
  assert.ok(took >= 140, `round took ${took} ms: the hung node's timeout was waited for`);
  // Concurrency, without a wall-clock bound that a loaded machine breaks: every node's read
  // started before the hung node's 150 ms timeout could have expired, so none waited for it.
  const spread = Math.max(...engine.calls) - Math.min(...engine.calls);
  assert.equal(engine.calls.length, 6);
  assert.ok(spread < 140, `reads started ${spread} ms apart: they run side by side, not one after another`);
  const ids = r.nodes.map((n) => n.node.id).sort();
  assert.deepEqual(ids, ['n-basic', 'n-ha-p', 'n-ha-s', 'n-hung', 'n-rec', 'n-ro'], 'no CREATING, DELETING or stopped nodes');
  const by = new Map(r.nodes.map((n) => [n.node.id, n]));
  assert.equal(by.get('n-hung')!.values, undefined);
  assert.match(by.get('n-hung')!.error!, /150 ms/);
  assert.equal(by.get('n-rec')!.values, undefined);
  assert.match(by.get('n-rec')!.error!, /refused/);
  assert.deepEqual(by.get('n-basic')!.values, { mysql_mem_usage: 25, mysql_space_usage: 10, mysql_sessions: 0 }, 'first reading: a baseline');
  assert.deepEqual(await points('hung', 'mem'), [], 'a gap, not a zero');
  assert.equal((await points('basic', 'mem')).length, 1);
  assert.deepEqual(engine.closed.at(-1)!.length, 6, 'monitoring connections kept for the nodes of the round');
});

test('rates from the second reading; HA reports its primary, a read-only instance its replica', async () => {
  const c = new MetricsCollector(svcWith(new FakeEngine(nodes, byIp)), pino({ level: 'silent' }));
  await c.runOnce(now);
  advance(1000, (id, n) => {
    n.usage!.cpuSeconds += 0.5; // half a core of 2 → 25 %
    n.counters.threadsConnected = id === 'n-ha-s' ? 9 : id === 'n-ha-p' ? 4 : 2;
    n.counters.bytesSent += 2_000_000;
    n.counters.slowQueries += id === 'n-ha-p' ? 2 : 0;
  });
  const r = await c.runOnce(now);
  const by = new Map(r.nodes.map((n) => [n.node.id, n]));
  assert.deepEqual(by.get('n-ha-p')!.values, { mysql_mem_usage: 25, mysql_space_usage: 10, mysql_sessions: 3, mysql_cpu_usage: 25, mysql_network_trffice: 2, mysql_slow_queries: 2 });
  assert.equal(by.get('n-ha-p')!.reporting, true);
  assert.equal(by.get('n-ha-s')!.reporting, false);
  assert.equal(by.get('n-ro')!.reporting, true);
  const ha = await points('ha', 'sessions');
  assert.equal(ha.at(-1)!.value <= 3, true, 'the standby\'s 8 sessions never enter the HA series');
  const slow = await points('ha', 'slow');
  assert.equal(slow.reduce((a, p) => a + p.value, 0), 2);
  assert.ok((await points('ro', 'cpu')).length >= 1, 'the read-only instance has its own series');
});

test('a restart of serve: a new collector continues from the stored readings (rates at once, no spike)', async () => {
  const first = new MetricsCollector(svcWith(new FakeEngine(nodes, byIp)), pino({ level: 'silent' }));
  await first.runOnce(now);
  advance(1500, (_id, n) => { n.usage!.cpuSeconds += 0.3; });
  const second = new MetricsCollector(svcWith(new FakeEngine(nodes, byIp)), pino({ level: 'silent' })); // empty memory
  const r = await second.runOnce(now);
  const v = r.nodes.find((n) => n.node.id === 'n-basic')!.values!;
  assert.ok(Math.abs(v.mysql_cpu_usage! - 10) < 1e-9, `0.3 s of CPU in 1.5 s on 2 cores = 10 %, got ${v.mysql_cpu_usage}`);
  assert.equal(v.mysql_slow_queries, 0);
});

test('after a long outage the first reading is a baseline again; a restarted server gives no CPU rate', async () => {
  const c = new MetricsCollector(svcWith(new FakeEngine(nodes, byIp)), pino({ level: 'silent' }));
  await c.runOnce(now);
  advance(10_000, (_id, n) => { n.usage!.cpuSeconds += 50; }); // more than three intervals: no rate across it
  let r = await c.runOnce(now);
  assert.equal(r.nodes.find((n) => n.node.id === 'n-basic')!.values!.mysql_cpu_usage, undefined);
  advance(1000, (id, n) => {
    if (id === 'n-basic') {
      n.usage = { ...n.usage!, incarnation: 'run-9999', cpuSeconds: 0.2 };
      n.counters = { uptime: 1, threadsConnected: 1, internalSessions: 1, slowQueries: 1, bytesReceived: 10, bytesSent: 10 };
    }
  });
  r = await c.runOnce(now);
  const v = r.nodes.find((n) => n.node.id === 'n-basic')!.values!;
  assert.equal(v.mysql_cpu_usage, undefined);
  assert.equal(v.mysql_network_trffice, undefined);
  assert.equal(v.mysql_slow_queries, 1);
});

test('the observer gets every round with due and done times', async () => {
  const seen: RoundReport[] = [];
  const c = new MetricsCollector(svcWith(new FakeEngine(nodes, byIp)), pino({ level: 'silent' }), { roundDone: (r) => seen.push(r) });
  await c.runOnce(now - 5);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.dueAt, now - 5);
  assert.equal(seen[0]!.doneAt, now);
  assert.equal(seen[0]!.nodes.length, 6);
});
