/**
 * What the HA monitor remembers of an instance across rounds and must hand to the next owner of
 * its loop (docs/cluster.md "Loop state"): since when the primary has been silent, and the last
 * healthy observation of the pair (decide-ha.ts: a failover relies on it being recent). Stored in
 * loop_state under HA_MEMORY_LOOP, one row per instance, written when it changes; the time of an
 * unchanged healthy observation is refreshed at most every LAST_GOOD_REFRESH_MS, not every round.
 * The flap counters (failover times) are in the instance's ha_state already.
 */
import type { HaSnapshot } from './decide-ha.js';

export const HA_MEMORY_LOOP = 'ha-monitor';

/**
 * How stale the stored healthy observation may get while nothing changes. The next owner takes
 * the loop ≤ loopTtlMs + tickMs (4 s) after the owner died and needs ~1 s for its first check of a
 * dead primary, so the observation it reads is ~5.5 s old, inside decide-ha's LAST_GOOD_MAX_AGE_MS
 * + hangTimeoutMs (6.5 s). With a 1 s refresh a loaded machine went past it (failover withheld, the
 * primary restarted in place). Cost: 2 writes/s per healthy HA instance on the monitor's owner.
 */
export const LAST_GOOD_REFRESH_MS = 500;

export interface HaMemory {
  silentSince?: number;
  lastGood?: HaSnapshot['lastGood'];
}

export function parseMemory(v: string): HaMemory {
  try {
    const o = JSON.parse(v) as HaMemory;
    return o && typeof o === 'object' ? { silentSince: o.silentSince, lastGood: o.lastGood } : {};
  } catch {
    return {};
  }
}

/** Pure: the record to write now, or undefined when the stored one `prev` still says the same. */
export function memoryToStore(prev: HaMemory | undefined, now: HaMemory): HaMemory | undefined {
  const next: HaMemory = { silentSince: now.silentSince, lastGood: now.lastGood && { ...now.lastGood } };
  if (!prev) return next.silentSince === undefined && next.lastGood === undefined ? undefined : next;
  if (prev.silentSince !== next.silentSince) return next;
  const a = prev.lastGood;
  const b = next.lastGood;
  if (!a || !b) return a === b ? undefined : next;
  if (a.standbyReplicating !== b.standbyReplicating || a.semiSyncOn !== b.semiSyncOn) return next;
  return b.at - a.at >= LAST_GOOD_REFRESH_MS ? next : undefined;
}
