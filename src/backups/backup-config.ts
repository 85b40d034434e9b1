/** The `backups` section of config.json (docs/backups.md, docs/operator-guide.md). */
export interface BackupConfig {
  /** Where backup files are kept; empty = `<home>/backups`. Give it its own filesystem in production. */
  dir: string;
  /** Base of BackupDownloadUrl, e.g. `https://rds.example.com`; empty = the address `serve` listens on. */
  publicBaseUrl: string;
  /** Base of BackupIntranetDownloadUrl; empty = the public base. */
  intranetBaseUrl: string;
  /** How long a signed download URL stays valid. */
  urlTtlSeconds: number;
  /** Automatic backups older than this are deleted (by the same path as DeleteBackup). */
  autoRetentionDays: number;
  /** Backups of a deleted instance are kept this long after the deletion, then deleted. */
  deletedInstanceRetentionDays: number;
  /** How often the policy scheduler and the retention run. */
  schedulerIntervalMs: number;
  /** Unfinished backups allowed per instance (one runs, the others wait their turn). */
  maxPendingPerInstance: number;
  /** How long a backup waits for its turn or for the instance to be RUNNING before it fails. */
  maxWaitMs: number;
  /** A backup tool that runs longer than this is killed and the backup fails. */
  jobTimeoutMs: number;
}

export const DEFAULT_BACKUP_CONFIG: BackupConfig = {
  dir: '',
  publicBaseUrl: '',
  intranetBaseUrl: '',
  urlTtlSeconds: 6 * 3600,
  autoRetentionDays: 7,
  deletedInstanceRetentionDays: 7,
  schedulerIntervalMs: 30_000,
  maxPendingPerInstance: 3,
  maxWaitMs: 3_600_000,
  jobTimeoutMs: 12 * 3_600_000,
};

/** Problems of a backups section, empty when it is usable. Pure. */
export function validateBackupConfig(c: BackupConfig): string[] {
  const errs: string[] = [];
  const int = (name: keyof BackupConfig, min: number, max: number) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) errs.push(`backups.${name} must be an integer ${min}–${max}`);
  };
  int('urlTtlSeconds', 60, 7 * 86400);
  int('autoRetentionDays', 1, 3650);
  int('deletedInstanceRetentionDays', 0, 3650);
  int('schedulerIntervalMs', 100, 3_600_000);
  int('maxPendingPerInstance', 1, 100);
  int('maxWaitMs', 0, 7 * 86_400_000);
  int('jobTimeoutMs', 1000, 7 * 86_400_000);
  for (const k of ['publicBaseUrl', 'intranetBaseUrl'] as const) {
    const v = c[k];
    if (typeof v !== 'string') errs.push(`backups.${k} must be a string`);
    else if (v && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(v)) errs.push(`backups.${k} must be an http(s) URL without query, got ${v}`);
  }
  if (typeof c.dir !== 'string') errs.push('backups.dir must be a string');
  return errs;
}
