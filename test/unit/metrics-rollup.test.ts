/** Rollups: synthetic samples with injected times → buckets, and what retention keeps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricValues } from '../../src/metrics/definitions.js';
import { addRows, bucketStart, DAY, HOUR, MINUTE, retentionCutoffs, rollup, sampleRows, SECOND, type Period } from '../../src/metrics/rollup.js';

const T0 = Date.UTC(2024, 4, 1, 8, 30, 0); // 2024-05-01 08:30:00 UTC, on every bucket boundary
const at = (ms: number) => T0 + ms;

test('bucketStart aligns to the epoch in UTC', () => {
  const cases: Array<[string, number, Period, number]> = [
    ['on a 30 s boundary', T0, 30, T0],
    ['1 ms after', T0 + 1, 30, T0],
    ['1 ms before the next', T0 + 30 * SECOND - 1, 30, T0],
    ['the next 30 s', T0 + 30 * SECOND, 30, T0 + 30 * SECOND],
    ['minute', T0 + 59 * SECOND, 60, T0],
    ['minute + 1', T0 + 60 * SECOND, 60, T0 + MINUTE],
    ['5 min: 08:34:59 → 08:30', T0 + 4 * MINUTE + 59 * SECOND, 300, T0],
    ['5 min: 08:35:00 → 08:35', T0 + 5 * MINUTE, 300, T0 + 5 * MINUTE],
    ['hour: 08:59:59 → 08:00', T0 + 29 * MINUTE + 59 * SECOND, 3600, T0 - 30 * MINUTE],
    ['hour: 09:00:00 → 09:00', T0 + 30 * MINUTE, 3600, T0 + 30 * MINUTE],
    ['epoch', 0, 3600, 0],
  ];
  for (const [name, t, p, want] of cases) assert.equal(bucketStart(t, p), want, name);
});

interface Case {
  name: string;
  period: Period;
  samples: Array<{ at: number; values: MetricValues }>;
  want: Array<{ ts: number; values: MetricValues }>;
}

const cpu = (v: number): MetricValues => ({ mysql_cpu_usage: v });

const CASES: Case[] = [
  { name: 'no samples, no points', period: 30, samples: [], want: [] },
  { name: 'one sample', period: 30, samples: [{ at: at(0), values: cpu(10) }], want: [{ ts: T0, values: cpu(10) }] },
  {
    name: 'three samples of one 30 s bucket are averaged', period: 30,
    samples: [{ at: at(0), values: cpu(10) }, { at: at(10_000), values: cpu(20) }, { at: at(20_000), values: cpu(60) }],
    want: [{ ts: T0, values: cpu(30) }],
  },
  {
    name: 'a sample at 30 s opens the next bucket', period: 30,
    samples: [{ at: at(29_999), values: cpu(10) }, { at: at(30_000), values: cpu(20) }],
    want: [{ ts: T0, values: cpu(10) }, { ts: T0 + 30_000, values: cpu(20) }],
  },
  {
    name: 'a whole bucket without samples is a gap, not a zero', period: 30,
    samples: [{ at: at(0), values: cpu(10) }, { at: at(65_000), values: cpu(30) }],
    want: [{ ts: T0, values: cpu(10) }, { ts: T0 + 60_000, values: cpu(30) }],
  },
  {
    name: 'a metric absent from a sample does not pull the average to 0', period: 30,
    samples: [{ at: at(0), values: { mysql_cpu_usage: 10, mysql_sessions: 4 } }, { at: at(10_000), values: { mysql_sessions: 6 } }],
    want: [{ ts: T0, values: { mysql_cpu_usage: 10, mysql_sessions: 5 } }],
  },
  {
    name: 'slow queries are summed per period, not averaged', period: 60,
    samples: [{ at: at(0), values: { mysql_slow_queries: 2 } }, { at: at(10_000), values: { mysql_slow_queries: 0 } }, { at: at(50_000), values: { mysql_slow_queries: 3 } }],
    want: [{ ts: T0, values: { mysql_slow_queries: 5 } }],
  },
  {
    name: 'slow queries of 0 are a measured 0', period: 30,
    samples: [{ at: at(0), values: { mysql_slow_queries: 0 } }],
    want: [{ ts: T0, values: { mysql_slow_queries: 0 } }],
  },
  {
    name: '1 min bucket takes six 10 s samples', period: 60,
    samples: [0, 1, 2, 3, 4, 5].map((i) => ({ at: at(i * 10_000), values: cpu(i * 10) })),
    want: [{ ts: T0, values: cpu(25) }],
  },
  {
    name: '5 min buckets', period: 300,
    samples: [{ at: at(0), values: cpu(1) }, { at: at(299_000), values: cpu(3) }, { at: at(300_000), values: cpu(7) }],
    want: [{ ts: T0, values: cpu(2) }, { ts: T0 + 300_000, values: cpu(7) }],
  },
  {
    name: '1 h bucket aligned to the hour', period: 3600,
    samples: [{ at: at(0), values: cpu(4) }, { at: at(29 * MINUTE), values: cpu(8) }, { at: at(31 * MINUTE), values: cpu(100) }],
    want: [{ ts: T0 - 30 * MINUTE, values: cpu(6) }, { ts: T0 + 30 * MINUTE, values: cpu(100) }],
  },
  {
    name: 'samples out of order give the same buckets', period: 30,
    samples: [{ at: at(20_000), values: cpu(30) }, { at: at(0), values: cpu(10) }],
    want: [{ ts: T0, values: cpu(20) }],
  },
  {
    name: 'every metric at once', period: 30,
    samples: [{ at: at(0), values: { mysql_cpu_usage: 1, mysql_mem_usage: 2, mysql_space_usage: 3, mysql_network_trffice: 4, mysql_sessions: 5, mysql_slow_queries: 6 } }],
    want: [{ ts: T0, values: { mysql_cpu_usage: 1, mysql_mem_usage: 2, mysql_space_usage: 3, mysql_network_trffice: 4, mysql_sessions: 5, mysql_slow_queries: 6 } }],
  },
  {
    name: 'non-finite values are dropped', period: 30,
    samples: [{ at: at(0), values: { mysql_cpu_usage: Number.NaN, mysql_sessions: 1 } }],
    want: [{ ts: T0, values: { mysql_sessions: 1 } }],
  },
];

for (const c of CASES) {
  test(`rollup: ${c.name}`, () => {
    assert.deepEqual(rollup(c.samples, c.period), c.want);
  });
}

test('one sample adds one row to each of the four series', () => {
  const rows = sampleRows(at(45_000), { mysql_sessions: 3 });
  assert.deepEqual(rows.map((r) => [r.period, r.ts]), [[30, T0 + 30_000], [60, T0], [300, T0], [3600, T0 - 30 * MINUTE]]);
  for (const r of rows) {
    assert.equal(r.sessions_sum, 3);
    assert.equal(r.sessions_n, 1);
    assert.equal(r.cpu_n, 0);
  }
});

test('addRows adds sums and counts of equal keys, as the store upsert does', () => {
  const m = addRows(new Map(), [...sampleRows(at(0), cpu(10)), ...sampleRows(at(10_000), cpu(20))]);
  assert.equal(m.size, 4);
  const r30 = m.get(`30:${T0}`)!;
  assert.equal(r30.cpu_sum, 30);
  assert.equal(r30.cpu_n, 2);
  addRows(m, sampleRows(at(20_000), cpu(30)));
  assert.equal(m.get(`30:${T0}`)!.cpu_n, 3);
});

test('retention cutoffs: 1 d, 15 d, 31 d, 62 d, keeping the bucket that holds now − retention', () => {
  const now = T0 + 12_345;
  const want: Record<number, number> = {
    30: bucketStart(now - 1 * DAY, 30),
    60: bucketStart(now - 15 * DAY, 60),
    300: bucketStart(now - 31 * DAY, 300),
    3600: bucketStart(now - 62 * DAY, 3600),
  };
  const got = retentionCutoffs(now);
  assert.deepEqual(got.map((c) => c.period), [30, 60, 300, 3600]);
  for (const c of got) assert.equal(c.before, want[c.period], `period ${c.period}`);
  // 62 d of 1 h points: 1488 (+1 for the partial bucket)
  assert.equal((now - got[3]!.before) / HOUR <= 62 * 24 + 1, true);
});
