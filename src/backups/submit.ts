/**
 * Recording backups and their tasks: the one place where backups are created and where their
 * deletion starts, for the API actions and the scheduler alike.
 */
import { randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { Services } from '../services.js';
import type { Backup, DeletionStart } from '../store/backups-repo.js';
import type { BackupTable } from '../store/schema.js';
import { newTaskRow } from '../tasks/new-task.js';
import { artifactKey, BackupStatus, type BackupMode, type BackupStrategy, type BackupType } from './backup-status.js';

export const CREATE_BACKUP_TASK = 'CreateBackup';
export const DELETE_BACKUP_TASK = 'DeleteBackup';

/** Parameters of both backup tasks. Their tasks row holds the BackupId in `instance_uuid` (the resource they lock). */
export interface BackupTaskParams {
  backupId: string;
  instanceUuid: string;
}

export function newBackupId(): string {
  return `bk-${randomBytes(10).toString('hex')}`;
}

export interface NewBackup {
  tenantId: string;
  instanceUuid: string;
  type: BackupType;
  mode: BackupMode;
  strategy: BackupStrategy;
  databases: readonly string[];
  description: string;
  now: number;
  slotAt?: number;
  detail?: string;
}

/** The backup row and its CreateBackup task, not yet stored. */
export function newBackup(b: NewBackup): { backup: Insertable<BackupTable>; task: ReturnType<typeof newTaskRow> } {
  const id = newBackupId();
  const params: BackupTaskParams = { backupId: id, instanceUuid: b.instanceUuid };
  const task = newTaskRow({ tenantId: b.tenantId, instanceUuid: id, type: CREATE_BACKUP_TASK, now: b.now, params });
  return {
    task,
    backup: {
      id, tenant_id: b.tenantId, instance_uuid: b.instanceUuid, type: b.type, mode: b.mode, strategy: b.strategy,
      db_list: JSON.stringify(b.databases), description: b.description, status: BackupStatus.running, status_detail: b.detail ?? '',
      task_id: task.id!, file: artifactKey(b.instanceUuid, id, b.type), size_bytes: 0, sha256: '', gtid: '', binlog_file: '', binlog_pos: 0,
      source_node: '', source_role: '', slot_at: b.slotAt ?? null, created_at: b.now, started_at: null, finished_at: null, updated_at: b.now,
    },
  };
}

/** Starts deleting a finished or failed backup (DeleteBackup, retention). */
export async function startBackupDeletion(svc: Services, b: Pick<Backup, 'id' | 'tenant_id' | 'instance_uuid'>): Promise<{ result: DeletionStart; taskId: string }> {
  const params: BackupTaskParams = { backupId: b.id, instanceUuid: b.instance_uuid };
  const task = newTaskRow({ tenantId: b.tenant_id, instanceUuid: b.id, type: DELETE_BACKUP_TASK, now: svc.clock.now(), params });
  const result = await svc.store.backups.startDeletion(b.id, task, svc.clock.now());
  if (result === 'ok') svc.kickTasks();
  return { result, taskId: task.id! };
}
