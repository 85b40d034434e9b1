/** The public parts of src/backups/ (docs/backups.md). */
export { BackupService, type DownloadUrls } from './backup-service.js';
export { type BackupConfig, DEFAULT_BACKUP_CONFIG, validateBackupConfig } from './backup-config.js';
export { BackupMode, BackupStatus, BackupStrategy, BackupType, BACKUP_ID_PATTERN, BACKUP_TRANSITIONS, canTransitionBackup } from './backup-status.js';
export type { BackupStorage, PublishedArtifact } from './backup-storage.js';
export { LocalBackupStorage } from './local/local-backup-storage.js';
export { BackupScheduler } from './scheduler.js';
export { downloadRoute } from './download-route.js';
export { TIME_SLOTS, WEEKDAYS, slotHour } from './schedule.js';
export { CREATE_BACKUP_TASK, DELETE_BACKUP_TASK, newBackup, startBackupDeletion, type BackupTaskParams } from './submit.js';
