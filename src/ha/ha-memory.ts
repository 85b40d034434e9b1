/**
 * What the HA monitor remembers of an instance across rounds and must hand to the next owner of
 * its loop (docs/cluster.md "Loop state"): since when the primary has been silent, and the last
 * healthy observation of the pair (decide-ha.ts: a failover relies on it being recent). Stored in
 * loop_state under HA_MEMORY_LOOP, one row per instance, with the member id of the node that wrote
 * it (`by`).
 *
 * Written when it changes, not every round: a change of silentSince or of the healthy
 * observation's flags is written in the round that sees it; an unchanged healthy observation only
 * when its time crosses into a new LAST_GOOD_REFRESH_MS bucket, or when another node wrote the
 * stored record (right after a takeover). The next owner restores the time with restoreMemory():
 * the writer kept observing until it died, and it would have written any change it saw, so the
 * pair was healthy until min(the writer's last heartbeat, stored time + LAST_GOOD_REFRESH_MS) —
 * never later than the writer was seen alive, never later than it would have refreshed.
 * The flap counters (failover times) are in the instance's ha_state already.
 */
import type { HaSnapshot } from './decide-ha.js';

export const HA_MEMORY_LOOP = 'ha-monitor';

/**
 * The bucket of an unchanged healthy observation's time: 0.5 writes/s per healthy HA instance on
 * the monitor's owner (it was 2/s with a fixed 500 ms refresh). A takeover then reads an
 * observation restored to the dead owner's last heartbeat (≤ 0.5 s before its death): the new
 * owner's first check of a dead primary, ~4.5 s after the kill, sees it ~5 s old, inside
 * decide-ha's LAST_GOOD_MAX_AGE_MS + hangTimeoutMs (6.5 s).
 */
export const LAST_GOOD_REFRESH_MS = 2000;

export interface HaMemory {
  silentSince?: number;
  lastGood?: HaSnapshot['lastGood'];
  /** Member id of the node that wrote the record. */
  by?: string;
}

export function parseMemory(v: string): HaMemory {
  try {
    const o = JSON.parse(v) as HaMemory;
    return o && typeof o === 'object' ? { silentSince: o.silentSince, lastGood: o.lastGood, by: o.by } : {};
  } catch {
    return {};
  }
}

/** Pure: the record `me` writes now, or undefined when the stored one `prev` still says the same. */
export function memoryToStore(prev: HaMemory | undefined, now: HaMemory, me: string): HaMemory | undefined {
  const next: HaMemory = { silentSince: now.silentSince, lastGood: now.lastGood && { ...now.lastGood }, by: me };
  if (!prev) return next.silentSince === undefined && next.lastGood === undefined ? undefined : next;
  if (prev.silentSince !== next.silentSince) return next;
  const a = prev.lastGood;
  const b = next.lastGood;
  if (!a || !b) return a === b ? undefined : next;
  if (a.standbyReplicating !== b.standbyReplicating || a.semiSyncOn !== b.semiSyncOn) return next;
  if (prev.by !== me) return next; // taken over: the record names its writer, whose heartbeat the next owner reads
  return Math.floor(b.at / LAST_GOOD_REFRESH_MS) !== Math.floor(a.at / LAST_GOOD_REFRESH_MS) ? next : undefined;
}

/**
 * Pure: the memory a new owner of the loop starts from. `writerSeenAt`: the last heartbeat of the
 * member that wrote the record (undefined when its row is gone): the healthy observation holds
 * until then, and at most LAST_GOOD_REFRESH_MS past its stored time.
 */
export function restoreMemory(stored: HaMemory, writerSeenAt: number | undefined): HaMemory {
  const g = stored.lastGood;
  if (!g || writerSeenAt === undefined || stored.silentSince !== undefined) return stored;
  return { ...stored, lastGood: { ...g, at: Math.max(g.at, Math.min(writerSeenAt, g.at + LAST_GOOD_REFRESH_MS)) } };
}
