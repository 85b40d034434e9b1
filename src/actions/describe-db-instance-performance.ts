/**
 * DescribeDBInstancePerformance (spec §4.21): one metric of one instance over [StartTime,
 * EndTime], both `YYYY-MM-DD HH:MM:SS` in UTC, from the rollup series the span picks
 * (src/metrics/period.ts). An HA instance reports its primary, a read-only instance its own node
 * (docs/monitoring.md). Values are JSON integers and MonitorType a string: the SDK decodes
 * `Value` into an int and fails the whole call on `12.5`, even on `12.0`.
 */
import { implement } from '../api/contract-params.js';
import { DescribeDBInstancePerformance } from '../contract/monitoring.js';
import { invalidParam, notFound } from '../api/errors.js';
import { architecture } from '../catalog/catalog.js';
import { METRICS, metricName, type MetricKey } from '../metrics/definitions.js';
import { choosePeriod, MAX_SPAN_MS } from '../metrics/period.js';
import { bucketStart, type Period } from '../metrics/rollup.js';
import type { SeriesPoint } from '../store/metrics-repo.js';
import { apiTime } from './present.js';

const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `YYYY-MM-DD HH:MM:SS` (UTC) → epoch ms; undefined unless it names a real instant (no 02-30, no 24:00). */
export function parseApiTime(s: string): number | undefined {
  const m = TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  return apiTime(ms) === s ? ms : undefined;
}

function readTime(name: string, text: string): { text: string; ms: number } {
  const ms = parseApiTime(text);
  if (ms === undefined) throw invalidParam(name, `must be a UTC time in the form YYYY-MM-DD HH:MM:SS, e.g. 2024-05-01 08:30:00; got ${JSON.stringify(text)}`);
  return { text, ms };
}

export interface PerformanceQuery {
  instanceUuid: string;
  productType: string;
  key: MetricKey;
  period: Period;
  startTime: string;
  endTime: string;
}

const DAY_MS = 86_400_000;
const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * apiTime() for a run of times: the date part is formatted once per day, the rest by hand.
 * A 30-day answer formats 720 times; toISOString for each was a third of the request's cost.
 */
export function apiTimeFormatter(): (ms: number) => string {
  let day = Number.NaN;
  let date = '';
  return (ms) => {
    const d = Math.floor(ms / DAY_MS);
    if (d !== day) {
      day = d;
      date = apiTime(d * DAY_MS).slice(0, 11);
    }
    const s = Math.floor((ms - d * DAY_MS) / 1000);
    return date + pad2(Math.floor(s / 3600)) + ':' + pad2(Math.floor(s / 60) % 60) + ':' + pad2(s % 60);
  };
}

/** Stored points → the Data object of §4.21, with every Value rounded to an integer. */
export function presentPerformance(q: PerformanceQuery, points: readonly SeriesPoint[]) {
  const def = METRICS[q.key];
  const fmt = apiTimeFormatter(); // points are only buckets where the metric was measured: gaps are absent
  const values: Array<{ DateTime: string; Value: number }> = [];
  for (const pt of points) {
    const v = Number(pt.value);
    if (!Number.isFinite(v)) continue;
    values.push({ DateTime: fmt(pt.ts), Value: Math.round(v) + 0 }); // + 0 turns -0 into 0
  }
  return {
    InstanceUuid: q.instanceUuid,
    ProductType: q.productType,
    MetricKey: q.key,
    Period: q.period,
    StartTime: q.startTime,
    EndTime: q.endTime,
    DataPoints: [{
      MetricName: metricName(q.key),
      MetricType: def.metricType,
      MonitorType: def.monitorType,
      Unit: def.unit,
      Values: values,
    }],
  };
}

export const describeDbInstancePerformance = implement(DescribeDBInstancePerformance, async ({ svc, tenantId }, a) => {
  const uuid = a.InstanceUuid;
  const key: MetricKey = a.MetricKey;
  const start = readTime('StartTime', a.StartTime);
  const end = readTime('EndTime', a.EndTime);
  if (end.ms < start.ms) throw invalidParam('EndTime', `must not be before StartTime (${start.text})`);
  const period = choosePeriod(start.ms, end.ms, svc.clock.now());
  if (period === undefined || end.ms - start.ms > MAX_SPAN_MS) {
    throw invalidParam('EndTime', 'must be at most 30 days after StartTime; query a longer range in several calls');
  }
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  const def = METRICS[key];
  const points = await svc.store.metrics.points(inst.uuid, period, bucketStart(start.ms, period), end.ms, def.column, def.report);
  return {
    data: presentPerformance({
      instanceUuid: inst.uuid, productType: architecture(svc.config.catalog, inst.architecture).SubProductKey,
      key, period, startTime: start.text, endTime: end.text,
    }, points),
  };
});
