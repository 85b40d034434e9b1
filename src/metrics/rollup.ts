/**
 * Rollups, as pure functions of samples and an injected time (docs/monitoring.md).
 *
 * Every sample of an instance adds to one bucket of each series below: the bucket's sum and
 * sample count per metric (a metric absent from a sample adds nothing, so a gap never becomes
 * a zero). Sums and counts add up, so the store keeps them with an upsert that survives
 * restarts of `serve` (an open bucket simply goes on growing), and a point's Value is
 * sum / n for gauges (avg) or sum for the slow-query counter (see definitions.ts).
 */
import { METRIC_COLUMNS, METRICS, type MetricColumn, type MetricKey, type MetricValues } from './definitions.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type Period = 30 | 60 | 300 | 3600;

/** The seed's series: granularity (seconds) and how long its points are kept. */
export const SERIES: ReadonlyArray<{ period: Period; retentionMs: number }> = [
  { period: 30, retentionMs: 1 * DAY },
  { period: 60, retentionMs: 15 * DAY },
  { period: 300, retentionMs: 31 * DAY },
  { period: 3600, retentionMs: 62 * DAY },
];

export const PERIODS: readonly Period[] = SERIES.map((s) => s.period);

export function retentionOf(period: Period): number {
  return SERIES.find((s) => s.period === period)!.retentionMs;
}

/** Start (epoch ms, UTC) of the bucket of `period` seconds that holds `at`. Buckets are aligned to the epoch. */
export function bucketStart(at: number, period: Period): number {
  const p = period * SECOND;
  return Math.floor(at / p) * p;
}

type SumCol = `${MetricColumn}_sum`;
type CountCol = `${MetricColumn}_n`;

/** One rollup point (or what a sample adds to one): the store row without its series id. */
export type PointRow = { period: Period; ts: number } & Record<SumCol | CountCol, number>;

const SUM: readonly SumCol[] = METRIC_COLUMNS.map((c) => `${c}_sum` as const);
const COUNT: readonly CountCol[] = METRIC_COLUMNS.map((c) => `${c}_n` as const);
const KEY_COLUMN = new Map(Object.entries(METRICS).map(([k, d]) => [k, METRIC_COLUMNS.indexOf(d.column)]));

function emptyRow(period: Period, ts: number): PointRow {
  const row = { period, ts } as PointRow;
  for (let i = 0; i < SUM.length; i++) {
    row[SUM[i]!] = 0;
    row[COUNT[i]!] = 0;
  }
  return row;
}

/** What one sample taken at `at` adds: one row per series. */
export function sampleRows(at: number, values: MetricValues): PointRow[] {
  const measured: Array<[number, number]> = [];
  for (const key in values) {
    const v = values[key as MetricKey];
    if (v !== undefined && Number.isFinite(v)) measured.push([KEY_COLUMN.get(key)!, v]);
  }
  return PERIODS.map((period) => {
    const row = emptyRow(period, bucketStart(at, period));
    for (const [i, v] of measured) {
      row[SUM[i]!] += v;
      row[COUNT[i]!] += 1;
    }
    return row;
  });
}

export const rowKey = (r: Pick<PointRow, 'period' | 'ts'>) => `${r.period}:${r.ts}`;

/**
 * Adds rows into `into` (keyed by period and bucket) exactly as the store's upsert adds them
 * into stored points; returns `into`. Used to merge a round's rows before writing them (one
 * statement may not touch a row twice) and by tests as the reference of the upsert.
 */
export function addRows(into: Map<string, PointRow>, rows: Iterable<PointRow>): Map<string, PointRow> {
  for (const r of rows) {
    const k = rowKey(r);
    const cur = into.get(k);
    if (!cur) {
      into.set(k, { ...r });
      continue;
    }
    for (let i = 0; i < SUM.length; i++) {
      cur[SUM[i]!] += r[SUM[i]!];
      cur[COUNT[i]!] += r[COUNT[i]!];
    }
  }
  return into;
}

/** The value a point reports for a metric, unrounded; undefined when no sample measured it (a gap). */
export function pointValue(row: Record<string, number>, key: MetricKey): number | undefined {
  const { column, report } = METRICS[key];
  const n = Number(row[`${column}_n`] ?? 0);
  if (!(n > 0)) return undefined;
  const sum = Number(row[`${column}_sum`]);
  return report === 'sum' ? sum : sum / n;
}

/**
 * Samples → points of one series: the bucket start and each metric's value. The whole rollup
 * path in one pure function (sampleRows, addRows, pointValue), for tests and tools.
 */
export function rollup(samples: ReadonlyArray<{ at: number; values: MetricValues }>, period: Period): Array<{ ts: number; values: MetricValues }> {
  const rows = addRows(new Map(), samples.flatMap((s) => sampleRows(s.at, s.values).filter((r) => r.period === period)));
  return [...rows.values()].sort((a, b) => a.ts - b.ts).map((r) => {
    const values: MetricValues = {};
    for (const k of Object.keys(METRICS) as MetricKey[]) {
      const v = pointValue(r, k);
      if (v !== undefined) values[k] = v;
    }
    return { ts: r.ts, values };
  });
}

/**
 * Retention at time `now`: for each series, points with a bucket start before `before` are
 * deleted. The bucket that holds `now - retention` is kept whole, so a series always covers at
 * least its full retention.
 */
export function retentionCutoffs(now: number): Array<{ period: Period; before: number }> {
  return SERIES.map((s) => ({ period: s.period, before: bucketStart(now - s.retentionMs, s.period) }));
}
