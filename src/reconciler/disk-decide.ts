/**
 * Pure decisions of the disk guard (docs/storage.md): from how full an instance's disks are and
 * what the guard did before, what to do now. MariaDB hangs every commit when a binlog cannot grow,
 * so an instance is made read-only before its disk fills, and writable again once disk was added.
 */
export interface DiskThresholds {
  readOnlyAtPercent: number;
  writableBelowPercent: number;
}

export interface DiskGuardObservation {
  /** Highest used share among the instance's running nodes, in percent; undefined when none was measured. */
  percent?: number;
  /** The guard holds the instance read-only now (stored). */
  held: boolean;
  /** A task runs on the instance (a switchover may be moving the writable node): writes are only ever blocked then. */
  busy: boolean;
  /** read_only of the node that takes writes, read only while held; undefined when not read (or no such node). */
  writableNodeReadOnly?: boolean;
  /** The last stored percent. */
  lastPercent: number | null;
}

export type DiskGuardAction =
  /** Make the writable node read-only and remember it. */
  | 'hold'
  /** Held, but the writable node accepts writes again (a restart or a failover turned read_only off): set it again. */
  | 'reassert'
  /** Below the lower threshold again: let the writable node take writes. */
  | 'release';

export interface DiskGuardDecision {
  action?: DiskGuardAction;
  /** The percent to store, when it changed by at least 0.1. */
  record?: number;
}

export function decideDiskGuard(o: DiskGuardObservation, t: DiskThresholds): DiskGuardDecision {
  if (o.percent === undefined) return {};
  const pct = Math.round(o.percent * 10) / 10;
  const d: DiskGuardDecision = {};
  if (o.lastPercent === null || Math.abs(pct - o.lastPercent) >= 0.1) d.record = pct;
  if (!o.held) {
    if (o.percent >= t.readOnlyAtPercent) d.action = 'hold';
  } else if (!o.busy) {
    if (o.percent < t.writableBelowPercent) d.action = 'release';
    else if (o.writableNodeReadOnly === false) d.action = 'reassert';
  }
  return d;
}

/** Used share of a disk in percent (0–100). */
export function usedPercent(usedBytes: number, totalBytes: number): number {
  if (!(totalBytes > 0)) return 0;
  return Math.min(100, Math.max(0, (usedBytes / totalBytes) * 100));
}

/**
 * The fastest the guard assumes a node's disk can fill: 2 GiB/s, above what MariaDB's own writes
 * (binlog, redo, tablespaces, temporary files) reach on the disks openrds runs on. A change of
 * disk only comes from such writes, so a disk far below the threshold needs no measuring until it
 * could have crossed it (issue 15 §3: work that grows with change, not with nodes × frequency).
 */
export const MAX_FILL_BYTES_PER_S = 2 * 1024 ** 3;
/** The longest a disk goes unmeasured; DescribeDBInstances' DiskUsedPercent is at most this old. */
export const MAX_PROBE_GAP_MS = 30_000;

/**
 * How long the guard may leave a node's disk unmeasured after a measurement of `usedBytes` of
 * `totalBytes`: the time the disk needs to reach the read-only threshold at MAX_FILL_BYTES_PER_S,
 * less one guard interval (the round after the gap may come that much later), within
 * [0, MAX_PROBE_GAP_MS]. 0 means "measure every round" (at or above the threshold, or close to it).
 */
export function diskProbeGapMs(usedBytes: number, totalBytes: number, readOnlyAtPercent: number, guardIntervalMs: number,
  maxFillBytesPerS = MAX_FILL_BYTES_PER_S, maxGapMs = MAX_PROBE_GAP_MS): number {
  const room = (totalBytes * readOnlyAtPercent) / 100 - usedBytes;
  if (!(room > 0) || !(maxFillBytesPerS > 0)) return 0;
  return Math.min(maxGapMs, Math.max(0, Math.floor((room / maxFillBytesPerS) * 1000) - guardIntervalMs));
}
