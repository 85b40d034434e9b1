/**
 * The Engine port: what runs inside a node (MariaDB now; Oracle MySQL fits the same contract),
 * in two parts. The profile (EngineProfile) is pure: the server config, the init SQL, the settings
 * a datadir is made with and the parameter rules. The client (EngineClient) speaks SQL to a
 * running server. Neither runs a program or knows where a node runs: starting servers, making
 * datadirs and running backup tools are the Provisioner's job (src/provisioner/).
 */
export interface NodeSpec {
  nodeId: string;
  serverId: number;
  ip: string;
  port: number;
  cpu: number;
  ramGb: number;
  diskGb: number;
  diskType: string;
  timeZone: string;
  role: 'primary' | 'standby' | 'replica';
  /**
   * Replication topology of the instance: `none` (basic), `ha` (primary + semi-sync standby),
   * `readonly` (an asynchronous replica that must never acknowledge semi-sync commits).
   */
  topology?: 'none' | 'ha' | 'readonly';
  /** Semi-sync wait before the primary falls back to asynchronous replication. */
  semiSyncTimeoutMs?: number;
  /**
   * HA standby only: the server starts as a replica that may have been a semi-sync primary, so its
   * crash recovery removes the binlog transactions no standby acknowledged (MariaDB
   * `--init-rpl-role=SLAVE`, 10.11.9+), and the old primary can rejoin without a full copy. Never
   * for a node that starts as the primary: it could drop commits its standby already has.
   */
  rejoinAsStandby?: boolean;
  /**
   * The server starts with read_only ON whatever its role: the disk guard holds the instance
   * (docs/storage.md), so a primary that restarts on a nearly full disk takes no write before the
   * guard's next round. The guard turns it OFF online when it lifts the hold.
   */
  readOnly?: boolean;
  /**
   * Engine parameters the user set with ModifyDBParameter (name → value, already validated by
   * the engine's ParameterCatalog). Rendered into the config so they survive restarts. Default {}.
   */
  overrides?: Readonly<Record<string, string>>;
  /**
   * Time-based binlog expiry; default 7 days. 0 while the binlog archive is on: it purges each file
   * itself once the file is archived (MariaDB has no setting for "not before it is archived").
   */
  binlogExpireSeconds?: number;
}

/**
 * Where a node's files are, as the server sees them (inside its host or container). Only a
 * provisioner makes one, to render the config; nothing above the provisioner sees it.
 */
export interface NodePaths {
  dir: string;
  datadir: string;
  config: string;
  initFile: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  tmpdir: string;
}

export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface AccountSpec {
  name: string;
  /** Engine password hash (mysql_native_password), never the clear password. */
  passwordHash: string;
  type: 'Super' | 'Normal';
}

/**
 * A change ran without an error, but reading it back from the server shows it is not in effect
 * (the account, grant or variable is not what was asked for). Every method of the Engine that
 * changes accounts, grants or variables reads its effect back and throws this rather than resolve.
 */
export class EngineEffectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineEffectError';
  }
}

/** The pure part of an engine: every method is a function of its arguments. */
export interface EngineProfile {
  readonly kind: string;
  /** The server config for a node, with its files at `paths`. */
  renderConfig(spec: NodeSpec, paths: NodePaths): string;
  /** Environment variables the server process starts with, beside its config (allocator settings). */
  serverEnvironment(spec: Pick<NodeSpec, 'cpu'>): Readonly<Record<string, string>>;
  /** SQL run at every start (without binlogging) that (re)creates the internal admin and replication accounts. */
  renderInitSql(adminUser: string, adminPasswordHash: string, repl?: { user: string; hash: string }): string;
  /**
   * The settings fixed when a datadir is made (page size, …), name → value. They depend on no
   * node spec: a datadir made with them (and one server version) fits every node, so a
   * provisioner may make one template and copy it (docs/engine-config.md "Datadir templates").
   * Settings the server adapts at start-up (the redo log size) are not among them.
   */
  initSettings(): Readonly<Record<string, string>>;
  /** The tunable parameters of this engine: list, defaults, checks and protected names. */
  readonly parameters: ParameterCatalog;
}

/** The SQL client of an engine: every method talks to a running server at a Target. */
export interface EngineClient {
  /** Resolves when the server answers a query with these credentials, rejects after timeoutMs. */
  waitReady(t: Target, timeoutMs: number): Promise<void>;
  ping(t: Target, timeoutMs?: number): Promise<boolean>;
  /**
   * Creates or updates the account (idempotent) with the privileges of its type. Resolves only
   * once the account read back has that password hash (and, for Super, those privileges);
   * otherwise EngineEffectError.
   */
  ensureAccount(t: Target, a: AccountSpec): Promise<void>;
  /** Drops the account (idempotent). Resolves only once the account is read back as gone; otherwise EngineEffectError. */
  dropAccount(t: Target, name: string): Promise<void>;
  serverVersion(t: Target): Promise<string>;
  /**
   * The server's status counters, for monitoring. Runs on a connection per target that stays
   * open between calls (it counts in Threads_connected); rejects when the server has not
   * answered within timeoutMs, and then drops that connection.
   */
  statusCounters(t: Target, timeoutMs: number): Promise<StatusCounters>;
  /** Closes the monitoring connections, except those to the `keep` targets. */
  closeMonitoring(keep?: readonly Target[]): void;

  // --- user privileges (run on the primary; they replicate through the binlog) ---

  /**
   * The grants each `name`@'%' really holds (SHOW GRANTS), parsed; undefined for a name with no
   * such user. One connection for all names.
   */
  listGrants(t: Target, names: readonly string[]): Promise<Map<string, AccountGrants | undefined>>;
  /** Whether a database (schema) of this exact name exists (case and all: names are case-sensitive on Linux). */
  databaseExists(t: Target, db: string): Promise<boolean>;
  /**
   * Makes the privileges of `name`@'%' on `db`.* exactly `privileges`: grants what is missing
   * first, then revokes the rest, so the account never passes through having none. Idempotent.
   * `db` is a literal name: wildcard characters in it are escaped. Resolves only once SHOW GRANTS
   * read back shows exactly `privileges` on `db`.*; otherwise EngineEffectError.
   */
  grantDatabase(t: Target, name: string, db: string, privileges: readonly string[]): Promise<void>;
  /**
   * Revokes every privilege of `name`@'%' on `db`.*. Idempotent: no grant there is not an error.
   * Resolves only once SHOW GRANTS read back shows nothing on `db`.*; otherwise EngineEffectError.
   */
  revokeDatabase(t: Target, name: string, db: string): Promise<void>;
  /** Grants or revokes one global privilege (ON *.*) of `name`@'%'. Idempotent. Read back like grantDatabase. */
  setGlobalPrivilege(t: Target, name: string, privilege: string, granted: boolean): Promise<void>;

  // --- engine parameters (run on every node) ---

  /** SHOW GLOBAL VARIABLES for these names (values as the server reports them); missing names are left out. */
  readVariables(t: Target, names: readonly string[]): Promise<Record<string, string>>;
  /**
   * SET GLOBAL name = value, for a value that `parameters.check` accepted. Resolves only once
   * SHOW GLOBAL VARIABLES reports the same value (`parameters.same`); otherwise EngineEffectError.
   */
  setGlobal(t: Target, name: string, value: string): Promise<void>;

  // --- replication (HA and read-only instances) ---

  /** GTID positions: binlog (written here), slave (applied from a source), current. */
  gtidState(t: Target): Promise<{ binlogPos: string; slavePos: string; currentPos: string }>;
  /**
   * The binlog position alone (gtidState's binlogPos), on the target's probe connection that stays
   * open between calls (the binlog archiver asks it of every source); rejects after timeoutMs.
   */
  binlogPosition(t: Target, timeoutMs?: number): Promise<string>;
  /** Replica threads and positions, or undefined when the node replicates from nobody. */
  replicaStatus(t: Target, timeoutMs?: number): Promise<ReplicaStatus | undefined>;
  /** Semi-synchronous state as seen by a primary. */
  semiSyncStatus(t: Target, timeoutMs?: number): Promise<{ masterOn: boolean; clients: number; noTx: number; yesTx: number }>;
  /** (Re)points the node at `source` and starts replicating. `gtidSlavePos` seeds the position of a restored copy. */
  startReplication(t: Target, source: Target, mode: 'slave_pos' | 'current_pos', gtidSlavePos?: string): Promise<void>;
  /** Waits until the node has applied `gtid`; false on timeout. */
  waitGtid(t: Target, gtid: string, timeoutS: number): Promise<boolean>;
  /**
   * Stops replicating, forgets the source, and accepts writes. Semi-sync stays off: with no
   * standby connected, every commit would wait for the timeout. enableSemiSync() turns it on
   * once a standby replicates again.
   */
  promote(t: Target): Promise<void>;
  /** Turns semi-sync on as a primary and writes a heartbeat so that it switches ON as soon as the standby acknowledges. Returns the resulting status. */
  enableSemiSync(t: Target): Promise<boolean>;
  setReadOnly(t: Target, on: boolean): Promise<void>;
  /**
   * Semi-sync off at a primary, before a planned stop of its standby: otherwise every commit
   * waits for the absent standby until the timeout. The HA monitor reports ASYNC meanwhile.
   */
  disableSemiSync(t: Target): Promise<void>;
  /** A primary about to become a standby: read_only on (waits for commits in flight) and semi-sync master off. */
  demote(t: Target): Promise<void>;

  // --- backups (docs/backups.md; the provisioner runs the backup tools next to the node) ---

  /** The GTID position of the server at one of its binlog coordinates (BINLOG_GTID_POS); '' when unknown. */
  gtidAt(t: Target, binlogFile: string, binlogPos: number): Promise<string>;

  // --- restores (docs/recovery.md) ---

  /**
   * Every user account `name`@'%' the server holds (RESERVED_ACCOUNTS left out), with its password
   * hash and its type as its grants show it (Super: it holds every privilege of a Super account).
   * Used to bring the store's account rows in line with restored data.
   */
  listAccounts(t: Target): Promise<AccountSpec[]>;
  /**
   * A node restored from a backup (no binlogs, no replication) starts its history at `gtid`:
   * the binlog is reset, gtid_binlog_state and gtid_slave_pos are set to `gtid`, so the next
   * transaction continues its sequence and copies of the node replicate from there. Resolves only
   * once @@gtid_binlog_pos reads `gtid`; otherwise EngineEffectError.
   */
  startHistoryAt(t: Target, gtid: string): Promise<void>;
  /**
   * Bulk apply on a node nobody uses yet (a point-in-time restore's replay; a crash during it
   * restores the base again anyway): `on` = commits stop waiting for the disk (no fsync of the
   * binlog or the redo log per commit) and the node takes the memory of its spec for the pages it
   * applies to; `off` = per-commit durability and memory back as configured for `spec`, and what
   * was applied meanwhile flushed to disk before it resolves.
   */
  setBulkApply(t: Target, on: boolean, spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType' | 'overrides'>): Promise<void>;

  // --- the binlog archive (docs/recovery.md) ---

  /** The server's binlog files, oldest first, each with the GTID position before its first transaction (its Gtid_list). */
  listBinlogs(t: Target): Promise<BinlogFileInfo[]>;
  /** Removes the binlog files before `file` (PURGE BINARY LOGS TO). */
  purgeBinlogsTo(t: Target, file: string): Promise<void>;
}

export interface BinlogFileInfo {
  file: string;
  sizeBytes: number;
  /** GTID position before the file's first transaction. */
  startGtid: string;
}

/** An engine as the control plane uses it: its profile and its SQL client. */
export interface Engine extends EngineProfile, EngineClient {}

export interface ReplicaStatus {
  ioRunning: string; // Yes | No | Connecting
  sqlRunning: string;
  masterHost: string;
  masterPort: number;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  gtidIoPos: string;
  secondsBehind: number | null;
}

/** Status counters of a server (SHOW GLOBAL STATUS); counters restart from 0 with the server. */
export interface StatusCounters {
  /** Seconds since the server started: a smaller value than before means it restarted. */
  uptime: number;
  threadsConnected: number;
  /** Of threadsConnected, the connections of openrds' own accounts (admin, replication): not user sessions. */
  internalSessions: number;
  slowQueries: number;
  bytesReceived: number;
  bytesSent: number;
}

export const ADMIN_USER = 'openrds_admin';
export const REPL_USER = 'openrds_repl';
/** Accounts the control plane owns; users can never see, create, change or drop them. */
export const RESERVED_ACCOUNTS = ['root', 'mysql', 'mariadb.sys', 'openrds_admin', 'openrds_repl', 'openrds_monitor', 'PUBLIC'];

/** Grants of one account as the engine holds them (see Engine.listGrants). */
export interface AccountGrants {
  /** Privileges ON *.*, upper case (USAGE left out). */
  global: string[];
  /**
   * Database-level grants (`table` is `*`) and table-level grants. `db` is the literal name
   * (wildcard escapes removed). Routine-level grants are left out.
   */
  objects: Array<{ db: string; table: string; privileges: string[] }>;
}

/** What DescribeDBParameter shows about a parameter, and what ModifyDBParameter may do with it. */
export interface ParameterInfo {
  name: string;
  description: string;
  /** Users may change it with ModifyDBParameter. */
  modifiable: boolean;
  /** A change takes effect only after the server restarts. */
  restart: boolean;
}

export type ParameterCheck = { ok: true; value: string } | { ok: false; why: string };

/** The curated parameter list of an engine (docs/parameters.md). Every method is pure. */
export interface ParameterCatalog {
  /** Every parameter DescribeDBParameter lists, in display order. */
  list(): readonly ParameterInfo[];
  /** The name as the catalog knows it: `Log-Bin` and `log_bin` are the same option. */
  canonicalName(name: string): string;
  get(name: string): ParameterInfo | undefined;
  /** The value a node of this spec runs with when the user has not changed it. */
  defaultValue(name: string, spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): string;
  /** The allowed values in the CDS form: `[1-65535]`, `[ON|OFF]`, `{A,B,…}` (any subset). */
  checkingCode(name: string, spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): string;
  /** Validates a value for a modifiable parameter; the normalized value, or why it is refused. */
  check(name: string, value: string, spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): ParameterCheck;
  /** Why `name` can never be changed through the API, or undefined when it is not protected. */
  protectedReason(name: string): string | undefined;
  /** Whether two values of `name` are the same setting (e.g. `1` and `1.000000`, set order). */
  same(name: string, a: string, b: string): boolean;
}
