/**
 * MariaDB backup tools as pure functions: the command lines of `mariadb-backup` (physical,
 * xbstream to stdout) and `mariadb-dump` (logical, SQL to stdout), the option file they read
 * first, and the parsing of the position each reports. Tested against golden strings in
 * test/unit/backup-tools.test.ts. The processes are run by backup-job.ts.
 */
import { join } from 'node:path';
import type { NodePaths, Target } from '../../engine/engine.js';
import type { BackupPosition } from '../provisioner.js';

/** What a backup job is asked to copy. */
export interface BackupToolRequest {
  kind: 'physical' | 'logical';
  /** The source node: its config carries the server options a physical copy needs. */
  node: NodePaths;
  target: Target;
  /** The job's private folder: the option file and the tool's temporary files go there. */
  workDir: string;
  /** Logical only: the databases to dump; undefined = every user database. */
  databases?: readonly string[];
  /** The source replicates (an HA standby): the backup also records its source's position. */
  replica: boolean;
}

export interface BackupToolCommand {
  command: string;
  args: string[];
  /** Written with mode 0600 before the run, removed after it; `args[0]` names it (`--defaults-file`). */
  optionFile: { path: string; content: string };
  /** When set, the tool made a complete backup only if its log (stderr) matches. */
  successMarker?: RegExp;
}

/**
 * The option file of a job: the node's own config (server options such as datadir and InnoDB
 * settings, which mariadb-backup needs to read the files), then how to connect. The password
 * therefore never appears on a command line.
 */
export function renderToolOptionFile(req: BackupToolRequest): string {
  return [
    '# openrds backup job: the node config, then the connection. Removed when the job ends.',
    `!include ${req.node.config}`,
    '[client]',
    `host = ${req.target.host}`,
    `port = ${req.target.port}`,
    `user = ${req.target.user}`,
    `password = ${req.target.password}`,
    '',
  ].join('\n');
}

/** `binaries`: absolute paths of mariadb-backup and mariadb-dump. */
export function backupToolCommand(req: BackupToolRequest, binaries: { backup: string; dump: string }): BackupToolCommand {
  const optionFile = { path: join(req.workDir, 'tool.cnf'), content: renderToolOptionFile(req) };
  const defaults = `--defaults-file=${optionFile.path}`; // always first (notes: /etc/mysql must not leak in)
  if (req.kind === 'physical') {
    return {
      command: binaries.backup,
      args: [
        defaults, '--backup', '--stream=xbstream',
        // Nothing is written there with --stream; it names the job in `ps` (orphan cleanup).
        `--target-dir=${join(req.workDir, 'target')}`,
        // The redo log copied during the backup is buffered here until it is streamed at the end.
        `--tmpdir=${req.workDir}`,
        ...(req.replica ? ['--slave-info'] : []),
      ],
      optionFile,
      successMarker: /completed OK!\s*$/,
    };
  }
  const scope = req.databases === undefined
    // information_schema and performance_schema are never dumped; mysql (accounts) and sys are left out.
    ? ['--all-databases', '--ignore-database=mysql', '--ignore-database=sys']
    : ['--databases', '--', ...req.databases]; // `--`: a database named like an option stays a name
  return {
    command: binaries.dump,
    args: [
      defaults,
      // One consistent snapshot (InnoDB), taken at a recorded binlog position.
      '--single-transaction', '--master-data=2', '--gtid',
      '--quick', '--routines', '--events', '--triggers', '--hex-blob', '--default-character-set=utf8mb4',
      ...scope,
    ],
    optionFile,
  };
}

/**
 * The position a backup is consistent with. Physical: mariadb-backup logs
 * `MySQL binlog position: filename 'mysql-bin.000002', position '1234', GTID of the last change '0-1-9'`.
 * Logical: the dump starts with `-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=1234;`
 * (its GTID comes at the very end of the dump, so it is looked up with BINLOG_GTID_POS instead).
 */
export function parseBackupPosition(kind: 'physical' | 'logical', log: string, head: string): BackupPosition {
  if (kind === 'physical') {
    const all = [...log.matchAll(/MySQL binlog position: filename '([^']*)', position '(\d+)'(?:, GTID of the last change '([^']*)')?/g)];
    const m = all.at(-1);
    if (!m) return { gtid: '', binlogFile: '', binlogPos: 0 };
    return { binlogFile: m[1]!, binlogPos: Number(m[2]), gtid: m[3] ?? '' };
  }
  const m = /^-- CHANGE MASTER TO MASTER_LOG_FILE='([^']*)', MASTER_LOG_POS=(\d+);/m.exec(head);
  if (!m) return { gtid: '', binlogFile: '', binlogPos: 0 };
  return { binlogFile: m[1]!, binlogPos: Number(m[2]), gtid: '' };
}
