/**
 * Pure decisions of a backup task (src/tasks/definitions/create-backup.ts): whether it is its
 * turn, and which node it copies.
 */
import { InstanceStatus } from '../instances/status.js';

export interface TurnSnapshot {
  now: number;
  /** When this task started waiting (reset by a restart of serve). */
  waitingSince: number;
  maxWaitMs: number;
  backupStatus: string | undefined;
  instance: { status: string; deleted: boolean; detail: string } | undefined;
  /** Older unfinished backups of the same instance whose task is still active. */
  aheadOfUs: readonly string[];
}

export type TurnDecision =
  | { kind: 'go' }
  | { kind: 'wait'; why: string }
  | { kind: 'fail'; why: string }
  /** The backup is no longer running (recorded as failed by housekeeping): nothing to do. */
  | { kind: 'done' };

export function decideTurn(s: TurnSnapshot): TurnDecision {
  if (s.backupStatus !== 'running') return { kind: 'done' };
  if (!s.instance || s.instance.deleted || s.instance.status === InstanceStatus.DELETING || s.instance.status === InstanceStatus.DELETED) {
    return { kind: 'fail', why: 'the instance was deleted before the backup could run' };
  }
  if (s.instance.status === InstanceStatus.ERROR) {
    return { kind: 'fail', why: `the instance is in ERROR${s.instance.detail ? ` (${s.instance.detail})` : ''}` };
  }
  let why: string | undefined;
  if (s.aheadOfUs.length) why = `waiting for backup ${s.aheadOfUs[0]} of the same instance`;
  // CREATING, RECOVERING, FAILOVER, REBUILDING, MODIFYING_PARAMETERS: work on the nodes a backup
  // would collide with. A status this code does not know yet is waited out alike.
  else if (s.instance.status !== InstanceStatus.RUNNING) why = `waiting for the instance to be RUNNING (it is ${s.instance.status})`;
  if (!why) return { kind: 'go' };
  if (s.now - s.waitingSince > s.maxWaitMs) return { kind: 'fail', why: `gave up after ${Math.round(s.maxWaitMs / 1000)} s ${why}` };
  return { kind: 'wait', why };
}

export interface SourceCandidate {
  nodeId: string;
  role: string;
  /** The node should run (desired) and its process is alive. */
  alive: boolean;
  /** Standby only: its replication SQL thread runs without error. */
  replicating?: boolean;
}

export type SourceDecision = { ok: true; nodeId: string; role: string } | { ok: false; why: string };

/**
 * The node a backup copies. HA pairs: the standby while it is alive and replicating, so the
 * primary's workload is not touched; otherwise the primary (the backup is then as fresh as
 * possible rather than not made). Basic instances: their one node.
 */
export function pickBackupSource(nodes: readonly SourceCandidate[]): SourceDecision {
  const standby = nodes.find((n) => n.role === 'standby' && n.alive && n.replicating);
  if (standby) return { ok: true, nodeId: standby.nodeId, role: standby.role };
  const primary = nodes.find((n) => n.role === 'primary' && n.alive);
  if (primary) return { ok: true, nodeId: primary.nodeId, role: primary.role };
  if (nodes.length === 0) return { ok: false, why: 'the instance has no nodes' };
  return { ok: false, why: 'no node of the instance is running' };
}
