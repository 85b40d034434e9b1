/** Shared by the backup actions (spec §4.14–§4.18, docs/backups.md): lookups and the §4.15 shape. */
import { notFound } from '../api/errors.js';
import { BackupStatus } from '../backups/index.js';
import type { Services } from '../services.js';
import type { Backup } from '../store/backups-repo.js';
import type { Instance } from '../store/store.js';
import { apiTime } from './present.js';


/**
 * The tenant's instance for reading or deleting its backups: a deleted instance still counts,
 * because its backups are kept for `backups.deletedInstanceRetentionDays`.
 */
export async function backupInstance(svc: Services, tenantId: string, uuid: string): Promise<Instance> {
  const inst = await svc.store.backups.instanceOf(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  return inst;
}

/** The backup `id` of instance `uuid` (parameters already checked by the contract). */
export async function backupOf(svc: Services, tenantId: string, { InstanceUuid: uuid, BackupId: id }: { InstanceUuid: string; BackupId: string }): Promise<{ inst: Instance; b: Backup }> {
  const inst = await backupInstance(svc, tenantId, uuid);
  const b = await svc.store.backups.getOf(tenantId, inst.uuid, id);
  if (!b) throw notFound(`backup of instance ${uuid}`, id);
  return { inst, b };
}

/** A backup with every §4.15 field in its documented JSON type, plus openrds extensions. */
export function presentBackup(b: Backup) {
  const done = b.status === BackupStatus.finished || b.status === BackupStatus.failed;
  return {
    BackupId: b.id,
    InstanceId: b.instance_uuid,
    BackupType: b.type,
    BackupMode: b.mode,
    BackupSize: Number(b.size_bytes),
    Status: b.status,
    StartTime: apiTime(b.started_at ?? b.created_at),
    EndTime: done ? apiTime(b.finished_at) : '',
    Desc: b.description,
    BackupStrategy: b.strategy,
    BackupFinishTime: b.status === BackupStatus.finished ? apiTime(b.finished_at) : '',
    // openrds extensions (the SDK ignores unknown keys)
    StatusDetail: b.status_detail,
    DBList: JSON.parse(b.db_list) as string[],
    Sha256: b.sha256,
    Gtid: b.gtid,
    BinlogFile: b.binlog_file,
    BinlogPos: Number(b.binlog_pos),
    SourceRole: b.source_role,
    CreatedTime: apiTime(b.created_at),
  };
}
