/**
 * The metrics openrds measures, keyed as DescribeDBInstancePerformance names them (spec §4.21,
 * typo `mysql_network_trffice` included). How each is measured: docs/monitoring.md.
 *
 * `column` names the pair of columns (`<column>_sum`, `<column>_n`) a rollup point keeps for the
 * metric; `report` says how a point becomes a Value: `avg` (sum / n, for gauges) or `sum` (the
 * total of per-interval increases, for the slow-query counter).
 */
export const METRICS = {
  mysql_cpu_usage: { column: 'cpu', metricType: 'gauge', monitorType: 'resources', unit: '%', report: 'avg' },
  mysql_mem_usage: { column: 'mem', metricType: 'gauge', monitorType: 'resources', unit: '%', report: 'avg' },
  mysql_space_usage: { column: 'space', metricType: 'gauge', monitorType: 'resources', unit: '%', report: 'avg' },
  mysql_network_trffice: { column: 'net', metricType: 'gauge', monitorType: 'resources', unit: 'MB/s', report: 'avg' },
  mysql_sessions: { column: 'sessions', metricType: 'gauge', monitorType: 'engine', unit: '个', report: 'avg' },
  mysql_slow_queries: { column: 'slow', metricType: 'counter', monitorType: 'engine', unit: '次', report: 'sum' },
} as const satisfies Record<string, MetricDef>;

export interface MetricDef {
  column: string;
  metricType: 'gauge' | 'counter';
  monitorType: 'resources' | 'engine';
  unit: string;
  report: 'avg' | 'sum';
}

export type MetricKey = keyof typeof METRICS;
export type MetricColumn = (typeof METRICS)[MetricKey]['column'];
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];
export const METRIC_COLUMNS = METRIC_KEYS.map((k) => METRICS[k].column) as MetricColumn[];

/** One value per metric; a metric that could not be measured in a sample is absent (a gap), never 0. */
export type MetricValues = Partial<Record<MetricKey, number>>;

export function isMetricKey(s: string): s is MetricKey {
  return Object.hasOwn(METRICS, s);
}

/** The API's MetricName: the key without its `mysql_` prefix (the seed's sample: `slow_queries`). */
export function metricName(k: MetricKey): string {
  return k.replace(/^mysql_/, '');
}
