/** deriveValues: raw readings → metric values, with every rule about rates, restarts and gaps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricValues } from '../../src/metrics/definitions.js';
import { deriveValues, maxGapFor, type NodeLimits, type NodeReading } from '../../src/metrics/derive.js';

const GIB = 1024 ** 3;
const LIMITS: NodeLimits = { cpu: 2, ramGb: 4, diskGb: 100 };
const T = 1_700_000_000_000;

/** A fluent reading builder. */
class R {
  constructor(private r: NodeReading) {}
  static base(): R {
    return new R({ at: T, incarnation: 'run-100', cpuSeconds: 50, rssBytes: GIB, diskBytes: 10 * GIB, uptime: 1000, threadsConnected: 1, internalSessions: 1, slowQueries: 7, bytesReceived: 1e6, bytesSent: 2e6 });
  }
  after(ms: number) { return new R({ ...this.r, at: this.r.at + ms, uptime: this.r.uptime + Math.floor(ms / 1000) }); }
  with(p: Partial<NodeReading>) { return new R({ ...this.r, ...p }); }
  without(...keys: Array<keyof NodeReading>) { const x = { ...this.r }; for (const k of keys) delete x[k]; return new R(x); }
  get(): NodeReading { return this.r; }
}

const b = R.base();
const steady = { mysql_mem_usage: 25, mysql_space_usage: 10, mysql_sessions: 0 };

interface Case { name: string; prev?: R; cur: R; limits?: NodeLimits; gap?: number; want: MetricValues }

const CASES: Case[] = [
  { name: 'first reading is a baseline: gauges only', cur: b, want: { ...steady } },
  { name: 'a reading stored without the internal count: the collector\'s own connection is excluded', cur: b.without('internalSessions').with({ threadsConnected: 6 }), want: { ...steady, mysql_sessions: 5 } },
  { name: 'sessions exclude every internal connection (collector, standby replication, archiver)', cur: b.with({ threadsConnected: 6, internalSessions: 3 }), want: { ...steady, mysql_sessions: 3 } },
  { name: 'sessions never below 0', cur: b.with({ threadsConnected: 0 }), want: { ...steady, mysql_sessions: 0 } },
  { name: 'mem is RSS / spec RAM', cur: b.with({ rssBytes: 3 * GIB }), want: { ...steady, mysql_mem_usage: 75 } },
  { name: 'space is disk bytes / DiskValue GiB', cur: b.with({ diskBytes: 50 * GIB }), want: { ...steady, mysql_space_usage: 50 } },
  {
    name: 'cpu: 5 s of CPU in 10 s on 2 cores = 25 %', prev: b, cur: b.after(10_000).with({ cpuSeconds: 55 }),
    want: { ...steady, mysql_cpu_usage: 25, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'cpu above one core counts on a multi-core spec', prev: b, cur: b.after(10_000).with({ cpuSeconds: 65 }),
    want: { ...steady, mysql_cpu_usage: 75, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'cpu of an idle server is a measured 0', prev: b, cur: b.after(10_000),
    want: { ...steady, mysql_cpu_usage: 0, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'network: 30 MB in 10 s = 3 MB/s', prev: b, cur: b.after(10_000).with({ bytesReceived: 11e6, bytesSent: 22e6 }),
    want: { ...steady, mysql_cpu_usage: 0, mysql_network_trffice: 3, mysql_slow_queries: 0 },
  },
  {
    name: 'slow queries: the increase since the previous reading', prev: b, cur: b.after(10_000).with({ slowQueries: 10 }),
    want: { ...steady, mysql_cpu_usage: 0, mysql_network_trffice: 0, mysql_slow_queries: 3 },
  },
  {
    name: 'server restarted (new incarnation): no cpu or network rate, slow counts since the restart',
    prev: b, cur: b.after(10_000).with({ incarnation: 'run-200', cpuSeconds: 1, uptime: 3, bytesReceived: 5000, bytesSent: 100, slowQueries: 2 }),
    want: { ...steady, mysql_slow_queries: 2 },
  },
  {
    name: 'server restarted (uptime went back, incarnation unknown)', prev: b.without('incarnation'), cur: b.after(10_000).without('incarnation').with({ uptime: 2, slowQueries: 1, bytesReceived: 10 }),
    want: { ...steady, mysql_slow_queries: 1 },
  },
  {
    name: 'FLUSH STATUS (counters went back, same server): no network rate, slow = counted since',
    prev: b, cur: b.after(10_000).with({ bytesReceived: 10, bytesSent: 10, slowQueries: 1 }),
    want: { ...steady, mysql_cpu_usage: 0, mysql_slow_queries: 1 },
  },
  {
    name: 'previous reading too old (an outage): a baseline again',
    prev: b, cur: b.after(31_000).with({ cpuSeconds: 60, slowQueries: 100 }), gap: 30_000,
    want: { ...steady },
  },
  {
    name: 'previous reading exactly at the limit is used', prev: b, cur: b.after(30_000).with({ cpuSeconds: 56 }), gap: 30_000,
    want: { ...steady, mysql_cpu_usage: 10, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'previous reading from the future (clock stepped back): a baseline', prev: b.after(5000), cur: b,
    want: { ...steady },
  },
  {
    name: 'previous reading at the same instant: a baseline', prev: b, cur: b,
    want: { ...steady },
  },
  {
    name: 'no process usage (provisioner could not read it): engine metrics only',
    prev: b, cur: b.after(10_000).without('incarnation', 'cpuSeconds', 'rssBytes', 'diskBytes'),
    want: { mysql_sessions: 0, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'previous reading had no CPU time: no cpu rate', prev: b.without('cpuSeconds'), cur: b.after(10_000).with({ cpuSeconds: 60 }),
    want: { ...steady, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'CPU time went backwards in one process (impossible): no cpu value', prev: b, cur: b.after(10_000).with({ cpuSeconds: 40 }),
    want: { ...steady, mysql_network_trffice: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'a read-after-restart reading with the same incarnation but an older uptime is a restart',
    prev: b, cur: b.after(10_000).with({ uptime: 1, slowQueries: 0 }),
    want: { ...steady, mysql_cpu_usage: 0, mysql_slow_queries: 0 },
  },
  {
    name: 'percentages on a 1C2G spec', cur: b.with({ rssBytes: GIB / 2 }), limits: { cpu: 1, ramGb: 2, diskGb: 1 },
    want: { mysql_mem_usage: 25, mysql_space_usage: 1000, mysql_sessions: 0 },
  },
  { name: 'a spec with 0 RAM or disk gives no percentage', cur: b, limits: { cpu: 0, ramGb: 0, diskGb: 0 }, want: { mysql_sessions: 0 } },
];

for (const c of CASES) {
  test(`deriveValues: ${c.name}`, () => {
    const got = deriveValues(c.prev?.get(), c.cur.get(), c.limits ?? LIMITS, c.gap ?? 30_000);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(c.want).sort());
    for (const [k, v] of Object.entries(c.want)) assert.ok(Math.abs((got as any)[k] - v) < 1e-9, `${k}: got ${(got as any)[k]}, want ${v}`);
  });
}

test('maxGapFor: three intervals', () => {
  assert.equal(maxGapFor(10_000), 30_000);
  assert.equal(maxGapFor(1000), 3000);
});
