/**
 * Rejoining a standby without a full copy (docs/ha.md "Rejoin after a failover"). Pure.
 *
 * An old primary restarts as a standby with the engine's crash recovery for former semi-sync
 * primaries on (NodeSpec.rejoinAsStandby; MariaDB `--init-rpl-role=SLAVE`): the transactions of
 * its binlog that no standby acknowledged (prepared, not committed: the one in flight at the kill)
 * are removed. What is left must be a subset of the new primary's history before the node may
 * replicate from it again; anything else (commits made after semi-sync fell back to async, a
 * broken replica) falls back to a full copy of the primary, with the reason logged and counted.
 */
import { notOnPrimary, parseGtidPos } from '../engine/gtid.js';
import type { HaState } from './ha-state.js';
import { ReplicationState, type ReplicationHealth } from './replication-health.js';

export interface RejoinSnapshot {
  /** The standby's replication, classified against the primary. */
  health: Pick<ReplicationHealth, 'state' | 'reason'>;
  /** The standby's gtid_binlog_pos and gtid_current_pos, after its crash recovery. */
  node: { binlogPos: string; currentPos: string };
  /** The primary's gtid_binlog_pos now and its server_id. */
  primary: { binlogPos: string; serverId: number };
  /** HaState.promotedAt: the primary's gtid_binlog_pos when it was promoted; undefined = primary since creation. */
  promotedAt?: string;
}

export type RejoinPlan =
  | { kind: 'replicating' }
  | { kind: 'rejoin' }
  | { kind: 'copy'; reason: string };

export function decideRejoin(s: RejoinSnapshot): RejoinPlan {
  if (s.health.state === ReplicationState.REPLICATING) return { kind: 'replicating' };
  if (s.health.state === ReplicationState.BROKEN) return { kind: 'copy', reason: `its replication is broken: ${s.health.reason}` };
  let problems: string[];
  try {
    const primary = { pos: parseGtidPos(s.primary.binlogPos), serverId: s.primary.serverId, promotedAt: s.promotedAt === undefined ? undefined : parseGtidPos(s.promotedAt) };
    problems = [...new Set([...notOnPrimary(parseGtidPos(s.node.binlogPos), primary), ...notOnPrimary(parseGtidPos(s.node.currentPos), primary)])];
  } catch (e) {
    return { kind: 'copy', reason: `its GTID state cannot be compared: ${(e as Error).message}` };
  }
  if (problems.length) {
    return { kind: 'copy', reason: `its GTID state (binlog ${s.node.binlogPos || 'empty'}, current ${s.node.currentPos || 'empty'}) is not a subset of the primary's (${s.primary.binlogPos || 'empty'}): ${problems.join('; ')}` };
  }
  return { kind: 'rejoin' };
}

/** How standby repairs ended, in HaState.rejoins (DescribeDBInstances HaRejoinCount, HaRejoinFullCopyCount). */
export interface RejoinStats {
  /** Repairs that brought a standby back (with or without a copy). */
  total: number;
  /** Of those, the ones that needed a full copy of the primary. */
  fullCopies: number;
  /** Why the last full copy was needed. */
  lastFullCopyReason?: string;
  /** The task that counted last: a step run again after a crash does not count twice. */
  lastTaskId?: string;
}

/** Pure: `ha` with the repair of task `taskId` counted (once per task). */
export function countRejoin(ha: HaState, taskId: string, fullCopyReason: string | undefined): HaState {
  const r = ha.rejoins ?? { total: 0, fullCopies: 0 };
  if (r.lastTaskId === taskId) return ha;
  return {
    ...ha,
    rejoins: {
      total: r.total + 1,
      fullCopies: r.fullCopies + (fullCopyReason === undefined ? 0 : 1),
      lastFullCopyReason: fullCopyReason === undefined ? r.lastFullCopyReason : fullCopyReason.slice(0, 500),
      lastTaskId: taskId,
    },
  };
}
