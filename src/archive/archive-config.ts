/** The `archive` section of config.json (docs/recovery.md "Settings"). */
export interface ArchiveConfig {
  /** The continuous binlog archive of every instance; false turns it off (no point-in-time restores then). */
  enabled: boolean;
  /** How often the archiver makes the streamed binlog durable and records how far it got. */
  intervalMs: number;
  /** An open segment is closed (compressed, checksummed, stored) after this long. */
  closeEveryMs: number;
  /**
   * RightBorderTime of an idle instance moves this often. With `stream: "files"` an idle source's
   * files are looked at this often (a change is copied at once, inotify tells); with
   * `"replication"` a source whose position the archive covered, and that sent nothing since, is
   * asked its position again after this long, and a source that is writing every round.
   */
  sourceCheckIdleMs: number;
  /** Server binlogs already archived are purged at most this often. */
  purgeEveryMs: number;
  /** The restore window: points up to this many days back can be restored; older segments are pruned. Fractions allowed. */
  retentionDays: number;
  /** Where the streams' raw files are written until closed; empty = `<backups.dir>/.binlog-spool` (the archive's storage). */
  spoolDir: string;
  /**
   * How the binlog reaches the spool: `files` copies the primary's binlog files (the datadir is on
   * this host; no client process, no dump thread on the server), `replication` runs a replication
   * client (mariadb-binlog) per instance that outlives serve.
   */
  stream: ArchiveStreamKind;
}

export const ARCHIVE_STREAM_KINDS = ['files', 'replication'] as const;
export type ArchiveStreamKind = (typeof ARCHIVE_STREAM_KINDS)[number];

export const DEFAULT_ARCHIVE_CONFIG: ArchiveConfig = {
  enabled: true,
  intervalMs: 200,
  closeEveryMs: 180_000,
  sourceCheckIdleMs: 5_000,
  purgeEveryMs: 10_000,
  retentionDays: 7,
  spoolDir: '',
  stream: 'files',
};

/** Problems of an archive section, empty when it is usable. Pure. */
export function validateArchiveConfig(c: ArchiveConfig): string[] {
  const errs: string[] = [];
  if (typeof c.enabled !== 'boolean') errs.push('archive.enabled must be true or false');
  const int = (name: 'intervalMs' | 'closeEveryMs' | 'purgeEveryMs' | 'sourceCheckIdleMs', min: number, max: number) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) errs.push(`archive.${name} must be an integer ${min}–${max}`);
  };
  int('intervalMs', 20, 60_000);
  int('closeEveryMs', 100, 3_600_000);
  int('purgeEveryMs', 100, 3_600_000);
  int('sourceCheckIdleMs', 20, 600_000);
  // Days, fractions allowed (a test's window of seconds); at least about 9 s.
  if (typeof c.retentionDays !== 'number' || !Number.isFinite(c.retentionDays) || c.retentionDays < 0.0001 || c.retentionDays > 3650) {
    errs.push('archive.retentionDays must be a number of days from 0.0001 to 3650');
  }
  if (typeof c.spoolDir !== 'string') errs.push('archive.spoolDir must be a string');
  if (!(ARCHIVE_STREAM_KINDS as readonly unknown[]).includes(c.stream)) errs.push(`archive.stream must be one of ${ARCHIVE_STREAM_KINDS.join(', ')}`);
  return errs;
}
