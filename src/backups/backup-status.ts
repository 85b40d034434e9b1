/**
 * Backup vocabulary: status (one state machine, docs/backups.md), type, mode and strategy as
 * the CDS API spells them (spec §3, §4.14–§4.15).
 */
export const BackupStatus = {
  /** Recorded; the backup task is waiting for its turn or running the backup tool. */
  running: 'running',
  /** The file is complete, durable and checksummed: the only status whose file can be downloaded. */
  finished: 'finished',
  /** The backup did not complete; `status_detail` says why. No file is kept. */
  failed: 'failed',
  /** DeleteBackup (or retention) is removing the file; the row goes away when it is done. */
  deleting: 'deleting',
} as const;
export type BackupStatus = (typeof BackupStatus)[keyof typeof BackupStatus];

/** Every allowed transition; leaving `deleting` means the row is removed. */
export const BACKUP_TRANSITIONS: Record<BackupStatus, readonly BackupStatus[]> = {
  running: ['finished', 'failed'],
  finished: ['deleting'],
  failed: ['deleting'],
  deleting: [],
};

export function canTransitionBackup(from: string, to: BackupStatus): boolean {
  return Object.hasOwn(BACKUP_TRANSITIONS, from) && BACKUP_TRANSITIONS[from as BackupStatus].includes(to);
}

export const BackupType = { physical: 'physical-backup', logical: 'logical-backup' } as const;
export type BackupType = (typeof BackupType)[keyof typeof BackupType];

export const BackupMode = { auto: 'auto', manual: 'manual' } as const;
export type BackupMode = (typeof BackupMode)[keyof typeof BackupMode];

export const BackupStrategy = { instance: 'instance', db: 'db' } as const;
export type BackupStrategy = (typeof BackupStrategy)[keyof typeof BackupStrategy];

/** What the backup tool does: `physical` copies the datadir, `logical` dumps SQL. */
export function toolKind(type: string): 'physical' | 'logical' {
  return type === BackupType.logical ? 'logical' : 'physical';
}

/** File name suffix of a backup's artifact: an xbstream or an SQL dump, both zstd-compressed. */
export function artifactSuffix(type: string): string {
  return toolKind(type) === 'logical' ? '.sql.zst' : '.xb.zst';
}

/** The storage key of a backup's artifact: `<instance>/<backupId><suffix>`. */
export function artifactKey(instanceUuid: string, backupId: string, type: string): string {
  return `${instanceUuid}/${backupId}${artifactSuffix(type)}`;
}

/** BackupIds: `bk-` and 20 hex digits. Checked before any lookup. */
export const BACKUP_ID_PATTERN = /^bk-[0-9a-f]{20}$/;
