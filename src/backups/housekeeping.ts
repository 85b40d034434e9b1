/**
 * Retention and repair of backup records, decided by one pure function (docs/backups.md,
 * "Retention"). Every deletion it decides goes through the DeleteBackup task, the one path by
 * which a backup ever disappears.
 */
import { BackupMode, BackupStatus } from './backup-status.js';
import { DAY_MS } from './schedule.js';

/** A deletion whose task failed is started again after this long. */
export const DELETE_RETRY_MS = 10 * 60_000;

export interface BackupFact {
  id: string;
  instanceUuid: string;
  mode: string;
  status: string;
  createdAt: number;
  /** Last change of the row (a stuck deletion is retried only after DELETE_RETRY_MS). */
  updatedAt: number;
  /** When the instance was deleted; null while it lives. */
  instanceDeletedAt: number | null;
  /** The backup's last task (create or delete) is NEW or DOING. */
  taskActive: boolean;
}

export interface PolicyFact {
  instanceUuid: string;
  /** The instance row is gone or deleted. */
  instanceGone: boolean;
}

export interface HousekeepingSnapshot {
  now: number;
  autoRetentionDays: number;
  deletedInstanceRetentionDays: number;
  backups: readonly BackupFact[];
  policies: readonly PolicyFact[];
  /** Backups a binlog archive's restore window needs (its anchor and later bases): never deleted by age. */
  keep?: ReadonlySet<string>;
}

export type HousekeepingAction =
  /** Start (or restart) the deletion of a backup. */
  | { kind: 'delete-backup'; id: string; reason: string }
  /** A `running` backup whose task is over without a result (its compensation failed): record the failure. */
  | { kind: 'fail-stale'; id: string; reason: string }
  /** Forget the policy of a deleted instance. */
  | { kind: 'forget-policy'; instanceUuid: string };

export function decideHousekeeping(s: HousekeepingSnapshot): HousekeepingAction[] {
  const out: HousekeepingAction[] = [];
  const autoCutoff = s.now - s.autoRetentionDays * DAY_MS;
  const deletedCutoff = s.now - s.deletedInstanceRetentionDays * DAY_MS;
  for (const b of s.backups) {
    if (b.taskActive) continue;
    if (b.status === BackupStatus.running) {
      out.push({ kind: 'fail-stale', id: b.id, reason: 'the backup task ended without recording a result' });
      continue;
    }
    if (b.status === BackupStatus.deleting) {
      if (s.now - b.updatedAt >= DELETE_RETRY_MS) out.push({ kind: 'delete-backup', id: b.id, reason: 'an earlier deletion did not finish' });
      continue;
    }
    if (b.status !== BackupStatus.finished && b.status !== BackupStatus.failed) continue;
    if (b.instanceDeletedAt !== null && b.instanceDeletedAt < deletedCutoff) {
      out.push({ kind: 'delete-backup', id: b.id, reason: `instance deleted more than ${s.deletedInstanceRetentionDays} days ago` });
    } else if (b.mode === BackupMode.auto && b.createdAt < autoCutoff && !s.keep?.has(b.id)) {
      out.push({ kind: 'delete-backup', id: b.id, reason: `automatic backup older than ${s.autoRetentionDays} days` });
    }
  }
  for (const p of s.policies) if (p.instanceGone) out.push({ kind: 'forget-policy', instanceUuid: p.instanceUuid });
  return out;
}
