/** Per-instance HA bookkeeping, kept as JSON in `instances.ha_state`. */
import type { RejoinStats } from './rejoin.js';

export interface HaState {
  /** Epoch ms of each automatic failover or switchover, newest last (trimmed to the flap window). */
  failovers?: number[];
  /** How many controlled switchovers (rolling restarts) happened; they do not count for the flap guard. */
  switchovers?: number;
  /** Last semi-sync observation on the primary: true = acknowledged commits are on the standby. */
  semiSync?: boolean;
  semiSyncCheckedAt?: number;
  /** The promoted node's gtid_binlog_pos at promotion: anything beyond it on the old primary is errant. */
  promotedAt?: string;
  /** Why automatic failover is currently withheld, for StatusDetail and the logs. */
  withheld?: string;
  /** How standby repairs ended: how many needed a full copy (src/ha/rejoin.ts). */
  rejoins?: RejoinStats;
}

export function parseHaState(s: string | null | undefined): HaState {
  try {
    const v = JSON.parse(s || '{}');
    return v && typeof v === 'object' ? (v as HaState) : {};
  } catch {
    return {};
  }
}

/** Pure: `ha` with a semi-sync observation of the primary at `now` (HaSemiSync in DescribeDBInstances). */
export function withSemiSync(ha: HaState, on: boolean, now: number): HaState {
  return { ...ha, semiSync: on, semiSyncCheckedAt: now };
}

export interface HaConfig {
  /** How often the HA monitor checks every HA instance. */
  checkIntervalMs: number;
  /** A primary that does not answer for this long (but whose process exists) is considered hung. */
  hangTimeoutMs: number;
  /** Semi-sync wait before the primary falls back to async (rpl_semi_sync_master_timeout). */
  semiSyncTimeoutMs: number;
  /** Flap guard: at most this many automatic failovers per window; then the primary is restarted in place. */
  maxFailoversPerWindow: number;
  flapWindowMs: number;
  /** Read-only instances stay CREATING at least this long (Terraform looks for a CREATING RoGroups item). */
  readOnlyMinCreatingMs: number;
  /**
   * A standby (an old primary above all) starts with the engine's crash recovery that removes
   * unacknowledged semi-sync transactions (NodeSpec.rejoinAsStandby), so it can rejoin without a
   * full copy. false: it starts as before (kept for the comparison in bench/failover.ts).
   */
  rejoinTruncation: boolean;
}

export const DEFAULT_HA_CONFIG: HaConfig = {
  checkIntervalMs: 250,
  hangTimeoutMs: 1500,
  semiSyncTimeoutMs: 10_000,
  maxFailoversPerWindow: 3,
  flapWindowMs: 10 * 60_000,
  readOnlyMinCreatingMs: 15_000,
  rejoinTruncation: true,
};
