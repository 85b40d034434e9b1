/**
 * From raw node readings to metric values: the pure "decide" step of the collector.
 * Rates (CPU, network) and the slow-query increase need the previous reading of the same
 * node; without a usable one the reading is a baseline and those metrics are absent (a gap),
 * never a spike and never a zero.
 */
import type { MetricValues } from './definitions.js';

const GIB = 1024 ** 3;
const MB = 1_000_000;

/** One reading of one node. Engine counters are always there (a node that does not answer gives no reading). */
export interface NodeReading {
  /** When it was read, epoch ms. */
  at: number;
  /** The server's run (NodeUsage.incarnation, opaque): a different value means it restarted. */
  incarnation?: string;
  /** Cumulative user+system CPU seconds of this run of the server. */
  cpuSeconds?: number;
  rssBytes?: number;
  /** Bytes the datadir (data and binary logs) occupies on disk. */
  diskBytes?: number;
  uptime: number;
  threadsConnected: number;
  /** Of threadsConnected, openrds' own (StatusCounters.internalSessions); absent in readings stored before it existed. */
  internalSessions?: number;
  slowQueries: number;
  bytesReceived: number;
  bytesSent: number;
}

/** What the percentages are of: the instance's spec. */
export interface NodeLimits {
  cpu: number;
  ramGb: number;
  diskGb: number;
  /** Bytes per DiskValue GB (storage.gbBytes); default 1 GiB. */
  gbBytes?: number;
}

/**
 * Metric values of `cur`. `prev` is the node's previous reading (maybe from before a restart
 * of serve, read back from the store); it is used only when it is at most `maxGapMs` older,
 * so a rate never spans an outage.
 */
export function deriveValues(prev: NodeReading | undefined, cur: NodeReading, limits: NodeLimits, maxGapMs: number): MetricValues {
  const v: MetricValues = {};
  if (cur.rssBytes !== undefined && limits.ramGb > 0) v.mysql_mem_usage = (cur.rssBytes / (limits.ramGb * GIB)) * 100;
  if (cur.diskBytes !== undefined && limits.diskGb > 0) v.mysql_space_usage = (cur.diskBytes / (limits.diskGb * (limits.gbBytes ?? GIB))) * 100;
  // User sessions: Threads_connected without openrds' own connections (the collector's, a standby's
  // replication, the binlog archiver's stream). A reading without the count has at least the collector's.
  v.mysql_sessions = Math.max(0, cur.threadsConnected - (cur.internalSessions ?? 1));

  const dtMs = prev ? cur.at - prev.at : 0;
  if (!prev || !(dtMs > 0) || dtMs > maxGapMs) return v;
  const dt = dtMs / 1000;
  const restarted = prev.incarnation !== undefined && cur.incarnation !== undefined && prev.incarnation !== cur.incarnation;
  const sameServer = !restarted && cur.uptime >= prev.uptime;

  if (prev.incarnation !== undefined && prev.incarnation === cur.incarnation && prev.cpuSeconds !== undefined && cur.cpuSeconds !== undefined && limits.cpu > 0) {
    const d = cur.cpuSeconds - prev.cpuSeconds;
    if (d >= 0) v.mysql_cpu_usage = (d / dt / limits.cpu) * 100;
  }
  if (sameServer) {
    const d = cur.bytesReceived + cur.bytesSent - (prev.bytesReceived + prev.bytesSent);
    if (d >= 0) v.mysql_network_trffice = d / dt / MB;
  }
  // A restarted server (or FLUSH STATUS) starts Slow_queries again from 0 within this interval.
  const slow = cur.slowQueries - prev.slowQueries;
  v.mysql_slow_queries = sameServer && slow >= 0 ? slow : cur.slowQueries;
  return v;
}

/** How old a previous reading may be to serve as the base of a rate: three intervals. */
export function maxGapFor(intervalMs: number): number {
  return 3 * intervalMs;
}
