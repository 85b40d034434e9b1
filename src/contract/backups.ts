/** Backups (spec §4.14–§4.18, docs/backups.md). */
import { EMPTY, ENGINE_NAME, INSTANCE_UUID } from './common.js';
import { defineAction } from './types.js';

/** BackupIds as openrds makes them (src/backups/backup-status.ts BACKUP_ID_PATTERN). */
export const BACKUP_ID_PATTERN = /^bk-[0-9a-f]{20}$/;

const BACKUP_INSTANCE = { ...INSTANCE_UUID, desc: "the backup's instance (a deleted instance's backups are kept for the retention)" } as const;
export const BACKUP_ID = {
  type: 'string', required: true, maxLen: 64, pattern: BACKUP_ID_PATTERN,
  patternHint: 'must be a BackupId such as bk-0123456789abcdef0123 (DescribeBackups lists them)', desc: 'the backup (DescribeBackups lists them)', example: 'bk-0123456789abcdef0123',
} as const;

export const BACKUP_SHAPE = {
  BackupId: 'string', InstanceId: 'string', BackupType: 'string', BackupMode: 'string', BackupSize: 'number', Status: 'string', StartTime: 'string',
  EndTime: 'string', Desc: 'string', BackupStrategy: 'string', BackupFinishTime: 'string', StatusDetail: 'string', DBList: ['string'],
  Sha256: 'string|null', Gtid: 'string|null', BinlogFile: 'string|null', BinlogPos: 'number', SourceRole: 'string|null', CreatedTime: 'string',
} as const;

export const CreateBackup = defineAction({
  name: 'CreateBackup', group: 'backups', spec: '§4.14', wait: 'task',
  summary: 'start a physical or logical backup (the instance stays RUNNING)',
  params: {
    InstanceUuid: INSTANCE_UUID,
    BackupType: { type: 'string', required: true, oneOf: ['physical-backup', 'logical-backup'], desc: 'mariadb-backup copy or mariadb-dump', example: 'physical-backup' },
    Desc: { type: 'text', maxLen: 256, desc: 'a description (free text)', example: 'before the upgrade' },
    BackupStrategy: { type: 'string', oneOf: ['instance', 'db'], desc: 'whole instance, or the databases of DBList (logical only)', example: 'instance' },
    DBList: { type: 'string[]', maxItems: 100, item: ENGINE_NAME, desc: 'databases (BackupStrategy db)', example: '["shop"]' },
  },
  response: { BackupId: 'string' },
});

export const DescribeBackups = defineAction({
  name: 'DescribeBackups', group: 'backups', spec: '§4.15', idempotent: true,
  summary: "an instance's backups, newest first",
  params: { InstanceUuid: BACKUP_INSTANCE },
  response: [BACKUP_SHAPE],
});

export const DeleteBackup = defineAction({
  name: 'DeleteBackup', group: 'backups', spec: '§4.16', wait: 'task',
  summary: 'delete a finished or failed backup (file, then record)',
  params: { InstanceUuid: BACKUP_INSTANCE, BackupId: BACKUP_ID },
  response: EMPTY,
});

export const DownloadBackup = defineAction({
  name: 'DownloadBackup', group: 'backups', spec: '§4.17', idempotent: true,
  summary: 'signed download URLs of a finished backup',
  params: { InstanceUuid: BACKUP_INSTANCE, BackupId: BACKUP_ID },
  response: { ...BACKUP_SHAPE, BackupDownloadUrl: 'string', BackupIntranetDownloadUrl: 'string', DownloadUrlExpireTime: 'string' },
});

export const ModifyDbBackupPolicy = defineAction({
  name: 'ModifyDbBackupPolicy', group: 'backups', spec: '§4.18',
  summary: 'the automatic backup schedule',
  params: {
    InstanceUuid: INSTANCE_UUID,
    DataBackups: {
      type: 'object', required: true, desc: 'the schedule', example: '{"TimeSlot":"02:00-03:00","DateList":["1","4"],"Sign":1}',
      fields: {
        TimeSlot: { type: 'string', required: true, maxLen: 16, desc: "a one-hour slot in the instance's TimeZone", example: '02:00-03:00', range: '00:00-01:00 … 23:00-24:00' },
        DateList: { type: 'string[]', required: true, maxItems: 7, item: { oneOf: ['0', '1', '2', '3', '4', '5', '6'] }, desc: 'week days, 0 = Sunday', example: '["1","4"]' },
        Sign: { type: 'integer', required: true, min: 0, max: 1, desc: '1 on, 0 off', example: '1' },
      },
    },
  },
  response: EMPTY,
});

export const DescribeDbBackupPolicy = defineAction({
  name: 'DescribeDbBackupPolicy', group: 'backups', idempotent: true,
  summary: 'read back the automatic backup schedule (openrds extension; null while none was set)',
  params: { InstanceUuid: INSTANCE_UUID },
  response: {
    InstanceUuid: 'string', TimeZone: 'string', UpdatedTime: 'string',
    DataBackups: { nullable: { TimeSlot: 'string', DateList: ['string'], Sign: 'number' } },
  },
});
