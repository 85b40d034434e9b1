/**
 * Which series answers a DescribeDBInstancePerformance query: pure, tested at every boundary
 * (test/unit/metrics-period.test.ts). The table is the seed's (spec §4.21):
 *
 * | span (EndTime − StartTime) | Period |
 * | --- | --- |
 * | ≤ 4 h  | 30 s |
 * | ≤ 2 d  | 60 s |
 * | ≤ 10 d | 300 s |
 * | ≤ 30 d | 3600 s |
 * | > 30 d | refused |
 */
import { bucketStart, DAY, HOUR, retentionOf, SERIES, type Period } from './rollup.js';

export const MAX_SPAN_MS = 30 * DAY;

const TABLE: ReadonlyArray<{ maxSpanMs: number; period: Period }> = [
  { maxSpanMs: 4 * HOUR, period: 30 },
  { maxSpanMs: 2 * DAY, period: 60 },
  { maxSpanMs: 10 * DAY, period: 300 },
  { maxSpanMs: MAX_SPAN_MS, period: 3600 },
];

/** The Period of a span in ms; undefined when the span is negative or longer than 30 days. */
export function periodForSpan(spanMs: number): Period | undefined {
  if (!(spanMs >= 0)) return undefined;
  return TABLE.find((r) => spanMs <= r.maxSpanMs)?.period;
}

/**
 * The Period that answers [startMs, endMs] at time `now`: the table's, or — when StartTime is
 * older than that series keeps its points — the finest coarser series that still holds
 * StartTime (e.g. one hour three days ago is answered from the 60 s series, since the 30 s
 * series keeps one day). Beyond every retention: 3600. Undefined when the span is refused.
 */
export function choosePeriod(startMs: number, endMs: number, now: number): Period | undefined {
  const byspan = periodForSpan(endMs - startMs);
  if (byspan === undefined) return undefined;
  for (const s of SERIES) {
    if (s.period < byspan) continue;
    if (startMs >= bucketStart(now - retentionOf(s.period), s.period)) return s.period;
  }
  return 3600;
}
