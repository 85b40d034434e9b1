/**
 * The replication observation kept in the store (`instances.replication`, JSON) for
 * DescribeDBInstances, and when it is rewritten. Pure. docs/ha.md "Replication health".
 *
 * Why not every round: the HA monitor looks every 250 ms, and any store write empties the
 * instance-row cache that DescribeDBInstances reads (src/store/store.ts). So the record is
 * written only when it changes meaningfully:
 * - at once when the state, a thread's running flag, or the observed node changes;
 * - when the lag moves to another bucket (0–2 s, then powers of two: 3 s, 4–7 s, 8–15 s, …) or the
 *   reason text changes, but at most once per LAG_WRITE_MIN_MS;
 * - and every REFRESH_MS regardless, so that a reader can tell a current record from one that
 *   nobody confirms any more (STALE_MS: then it reads UNKNOWN).
 * Prometheus gets every observation (from memory), not only the recorded ones.
 */
import type { ReplicationHealth, ReplicationState } from './replication-health.js';

export const REFRESH_MS = 60_000;
export const LAG_WRITE_MIN_MS = 5_000;
/** A record not confirmed for this long is shown as UNKNOWN (2.5 refresh periods: one missed write is not enough). */
export const STALE_MS = 150_000;

export interface ReplicationRecord {
  /** The node observed: the HA standby, or the read-only instance's node. */
  node: string;
  state: ReplicationState;
  reason: string;
  io: boolean | null;
  sql: boolean | null;
  behind: number | null;
  /** When this was last observed and written (epoch ms). */
  at: number;
  /** Since when the state has been what it is (epoch ms). */
  since: number;
}

export function parseReplicationRecord(s: string | null | undefined): ReplicationRecord | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(s) as ReplicationRecord;
    return v && typeof v === 'object' && typeof v.state === 'string' && typeof v.at === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** -1 = not known; 0 = 0–2 s (in step: a busy replica flickers between 0 and 1); then ⌊log2 s⌋. */
export function lagBucket(s: number | null): number {
  if (s === null) return -1;
  return s <= 2 ? 0 : Math.floor(Math.log2(s));
}

export function toRecord(nodeId: string, h: ReplicationHealth, now: number, prev?: ReplicationRecord): ReplicationRecord {
  return {
    node: nodeId, state: h.state, reason: h.reason, io: h.ioRunning, sql: h.sqlRunning, behind: h.secondsBehind,
    at: now, since: prev && prev.state === h.state && prev.node === nodeId ? prev.since : now,
  };
}

/** Whether the observation `h` of `nodeId` at `now` must be written over the stored `prev`. */
export function shouldWrite(prev: ReplicationRecord | undefined, nodeId: string, h: ReplicationHealth, now: number): boolean {
  if (!prev) return true;
  if (prev.node !== nodeId || prev.state !== h.state || prev.io !== h.ioRunning || prev.sql !== h.sqlRunning) return true;
  const age = now - prev.at;
  if (age >= REFRESH_MS || age < 0) return true;
  if (age < LAG_WRITE_MIN_MS) return false;
  return lagBucket(prev.behind) !== lagBucket(h.secondsBehind) || prev.reason !== h.reason;
}

/** What DescribeDBInstances shows (openrds extensions, docs/api.md). */
export interface ReplicationFields {
  ReplicationState: ReplicationState;
  ReplicationReason: string;
  ReplicationIoRunning: boolean | null;
  ReplicationSqlRunning: boolean | null;
  ReplicationSecondsBehind: number | null;
  /** When the record was last confirmed ('' = never). */
  ReplicationObservedTime: number | null;
  ReplicationNodeId: string;
}

/** The record as a reader sees it at `now`: missing or stale (not confirmed within STALE_MS) → UNKNOWN. */
export function readRecord(rec: ReplicationRecord | undefined, now: number): ReplicationFields {
  if (!rec) {
    return {
      ReplicationState: 'UNKNOWN', ReplicationReason: 'not observed yet', ReplicationIoRunning: null, ReplicationSqlRunning: null,
      ReplicationSecondsBehind: null, ReplicationObservedTime: null, ReplicationNodeId: '',
    };
  }
  if (now - rec.at > STALE_MS) {
    return {
      ReplicationState: 'UNKNOWN',
      ReplicationReason: `not observed for ${Math.round((now - rec.at) / 1000)} s (a task is running on the instance, or the control plane does not check it); last seen ${rec.state}`,
      ReplicationIoRunning: null, ReplicationSqlRunning: null, ReplicationSecondsBehind: null, ReplicationObservedTime: rec.at, ReplicationNodeId: rec.node,
    };
  }
  return {
    ReplicationState: rec.state, ReplicationReason: rec.reason, ReplicationIoRunning: rec.io, ReplicationSqlRunning: rec.sql,
    ReplicationSecondsBehind: rec.behind, ReplicationObservedTime: rec.at, ReplicationNodeId: rec.node,
  };
}
