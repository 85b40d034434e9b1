/**
 * The MariaDB 10.11 parameters users may tune through DescribeDBParameter / ModifyDBParameter:
 * a curated list (docs/parameters.md), not every server variable. Pure.
 *
 * - `restart: false` parameters are dynamic: SET GLOBAL on every node, and persisted in my.cnf.
 * - `restart: true` ones are only read at start-up: persisted, then the nodes are restarted.
 * - Values are given and stored in the unit SHOW GLOBAL VARIABLES reports (bytes, seconds), so
 *   the running value can be compared with the requested one. Where the server would round a
 *   value (block sizes), the check asks for a multiple instead, so what runs is what was asked.
 * - Protected parameters (PROTECTED, PROTECTED_PREFIXES) would break the service, its
 *   replication or its durability promise; they can never be changed.
 */
import type { NodeSpec, ParameterCatalog, ParameterCheck, ParameterInfo } from '../../engine.js';
import { memoryPlan } from './mycnf.js';

type SpecLike = Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>;
type Dyn<T> = T | ((s: SpecLike) => T);

type Check =
  | { kind: 'int'; min: number; max: Dyn<number>; multipleOf?: number }
  | { kind: 'float'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'set'; values: readonly string[] };

interface Def {
  name: string;
  description: string;
  restart: boolean;
  default: Dyn<string>;
  /** Absent: shown but not modifiable (why: `fixedReason`). */
  check?: Check;
  fixedReason?: string;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;
const YEAR_S = 31_536_000;
const ON_OFF = { kind: 'enum', values: ['ON', 'OFF'] } as const;

/** Atomic sql_mode flags. Composite ones (ANSI, TRADITIONAL, …) expand on the server and are left out. */
export const SQL_MODES = [
  'REAL_AS_FLOAT', 'PIPES_AS_CONCAT', 'ANSI_QUOTES', 'IGNORE_SPACE', 'IGNORE_BAD_TABLE_OPTIONS', 'ONLY_FULL_GROUP_BY',
  'NO_UNSIGNED_SUBTRACTION', 'NO_DIR_IN_CREATE', 'NO_KEY_OPTIONS', 'NO_TABLE_OPTIONS', 'NO_FIELD_OPTIONS',
  'NO_AUTO_VALUE_ON_ZERO', 'NO_BACKSLASH_ESCAPES', 'STRICT_TRANS_TABLES', 'STRICT_ALL_TABLES', 'NO_ZERO_IN_DATE', 'NO_ZERO_DATE',
  'ALLOW_INVALID_DATES', 'ERROR_FOR_DIVISION_BY_ZERO', 'NO_AUTO_CREATE_USER', 'HIGH_NOT_PRECEDENCE',
  'NO_ENGINE_SUBSTITUTION', 'PAD_CHAR_TO_FULL_LENGTH', 'EMPTY_STRING_IS_NULL', 'SIMULTANEOUS_ASSIGNMENT',
  'TIME_ROUND_FRACTIONAL',
] as const; // NO_BACKSLASH_ESCAPES is allowed: internal sessions pin their own sql_mode (session.ts, docs/parameters.md).

/** innodb_buffer_pool_size may take at most 80 % of the spec's RAM, in 128 MiB steps. */
const bufferPoolMax = (s: SpecLike) => Math.max(128, Math.floor((s.ramGb * 1024 * 0.8) / 128) * 128) * MB;

const DEFS: readonly Def[] = [
  // --- connections and timeouts
  { name: 'max_connections', restart: false, default: (s) => String(memoryPlan(s).maxConnections), check: { kind: 'int', min: 10, max: 10000 },
    description: 'Maximum number of simultaneous client connections.' },
  { name: 'max_connect_errors', restart: false, default: '100', check: { kind: 'int', min: 1, max: 4294967295 },
    description: 'Failed connection attempts after which a host is blocked until FLUSH HOSTS.' },
  { name: 'back_log', restart: true, default: (s) => String(Math.min(900, 50 + Math.floor(memoryPlan(s).maxConnections / 5))),
    check: { kind: 'int', min: 1, max: 65535 },
    description: 'Connection requests queued while the server is busy accepting others. Unset, the server sizes it at start as 50 + max_connections / 5 (at most 900).' },
  { name: 'wait_timeout', restart: false, default: '28800', check: { kind: 'int', min: 1, max: YEAR_S },
    description: 'Seconds an idle non-interactive connection may stay open.' },
  { name: 'interactive_timeout', restart: false, default: '28800', check: { kind: 'int', min: 1, max: YEAR_S },
    description: 'Seconds an idle interactive connection may stay open.' },
  { name: 'connect_timeout', restart: false, default: '10', check: { kind: 'int', min: 2, max: YEAR_S },
    description: 'Seconds the server waits for a connect packet.' },
  { name: 'net_read_timeout', restart: false, default: '30', check: { kind: 'int', min: 1, max: YEAR_S },
    description: 'Seconds to wait for more data from a connection before aborting the read.' },
  { name: 'net_write_timeout', restart: false, default: '60', check: { kind: 'int', min: 1, max: YEAR_S },
    description: 'Seconds to wait for a block to be written to a connection before aborting the write.' },
  { name: 'lock_wait_timeout', restart: false, default: '86400', check: { kind: 'int', min: 1, max: YEAR_S },
    description: 'Seconds to wait for a metadata lock.' },
  { name: 'innodb_lock_wait_timeout', restart: false, default: '50', check: { kind: 'int', min: 1, max: 1073741824 },
    description: 'Seconds an InnoDB transaction waits for a row lock before giving up.' },
  { name: 'max_statement_time', restart: false, default: '0', check: { kind: 'float', min: 0, max: YEAR_S },
    description: 'Seconds after which a query is aborted; 0 means no limit.' },
  // --- logging
  { name: 'slow_query_log', restart: false, default: 'OFF', check: ON_OFF, description: 'Write queries slower than long_query_time to the slow query log.' },
  { name: 'long_query_time', restart: false, default: '1', check: { kind: 'float', min: 0, max: 3600 },
    description: 'Seconds after which a query counts as slow (Slow_queries, slow query log).' },
  { name: 'log_queries_not_using_indexes', restart: false, default: 'OFF', check: ON_OFF,
    description: 'Also log queries that use no index to the slow query log.' },
  { name: 'log_bin_trust_function_creators', restart: false, default: 'OFF', check: ON_OFF,
    description: 'Let accounts without SUPER (such as the Super account) create stored functions and triggers while binary logging is on.' },
  { name: 'innodb_print_all_deadlocks', restart: false, default: 'OFF', check: ON_OFF,
    description: 'Write every InnoDB deadlock to the error log.' },
  // --- SQL behaviour
  { name: 'sql_mode', restart: false, default: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION',
    check: { kind: 'set', values: SQL_MODES }, description: 'SQL modes: a comma-separated set of flags (composite modes such as ANSI are not accepted).' },
  { name: 'character_set_server', restart: false, default: 'utf8mb4', check: { kind: 'enum', values: ['utf8mb4', 'utf8mb3', 'latin1', 'gbk', 'big5', 'ascii'] },
    description: 'Default character set of new databases; the collation becomes the default collation of that character set.' },
  { name: 'tx_isolation', restart: false, default: 'REPEATABLE-READ',
    check: { kind: 'enum', values: ['READ-UNCOMMITTED', 'READ-COMMITTED', 'REPEATABLE-READ', 'SERIALIZABLE'] },
    description: 'Default transaction isolation level.' },
  { name: 'event_scheduler', restart: false, default: 'OFF', check: ON_OFF, description: 'Run scheduled events (CREATE EVENT).' },
  { name: 'explicit_defaults_for_timestamp', restart: false, default: 'ON', check: ON_OFF,
    description: 'TIMESTAMP columns get no implicit DEFAULT / ON UPDATE clauses.' },
  { name: 'innodb_strict_mode', restart: false, default: 'ON', check: ON_OFF, description: 'Errors instead of warnings for invalid InnoDB table options.' },
  { name: 'innodb_deadlock_detect', restart: false, default: 'ON', check: ON_OFF, description: 'Detect InnoDB deadlocks at once instead of waiting for the lock timeout.' },
  { name: 'group_concat_max_len', restart: false, default: '1048576', check: { kind: 'int', min: 4, max: 4294967295 },
    description: 'Maximum length in bytes of a GROUP_CONCAT() result.' },
  { name: 'max_allowed_packet', restart: false, default: String(64 * MB), check: { kind: 'int', min: 1024, max: GB, multipleOf: 1024 },
    description: 'Maximum size in bytes of one packet or generated string (a multiple of 1024).' },
  { name: 'innodb_autoinc_lock_mode', restart: true, default: '1', check: { kind: 'enum', values: ['0', '1', '2'] },
    description: 'AUTO_INCREMENT locking: 0 traditional, 1 consecutive, 2 interleaved (safe with row-based binlogs).' },
  { name: 'ft_min_word_len', restart: true, default: '4', check: { kind: 'int', min: 1, max: 84 },
    description: 'Minimum word length indexed by MyISAM FULLTEXT indexes.' },
  { name: 'innodb_ft_min_token_size', restart: true, default: '3', check: { kind: 'int', min: 0, max: 16 },
    description: 'Minimum word length indexed by InnoDB FULLTEXT indexes.' },
  // --- memory and caches
  { name: 'innodb_buffer_pool_size', restart: false, default: (s) => String(memoryPlan(s).bufferPoolMb * MB),
    check: { kind: 'int', min: 128 * MB, max: bufferPoolMax, multipleOf: 128 * MB },
    description: 'InnoDB data and index cache in bytes; a multiple of 134217728 (128 MiB), at most 80% of the RAM. Resized online.' },
  { name: 'innodb_log_buffer_size', restart: true, default: (s) => String(memoryPlan(s).logBufferMb * MB), check: { kind: 'int', min: 2 * MB, max: GB, multipleOf: MB },
    description: 'InnoDB redo log buffer in bytes (a multiple of 1048576).' },
  { name: 'table_open_cache', restart: false, default: (s) => String(memoryPlan(s).tableOpenCache), check: { kind: 'int', min: 1, max: 16384 },
    description: 'Open tables cached for all connections.' },
  { name: 'table_definition_cache', restart: false, default: '400', check: { kind: 'int', min: 400, max: 524288 },
    description: 'Table definitions (.frm) cached.' },
  { name: 'thread_cache_size', restart: false, default: (s) => String(memoryPlan(s).threadCacheSize), check: { kind: 'int', min: 0, max: 16384 },
    description: 'Threads kept for reuse by new connections.' },
  { name: 'tmp_table_size', restart: false, default: (s) => String(memoryPlan(s).tmpTableMb * MB), check: { kind: 'int', min: 1024, max: GB },
    description: 'Largest in-memory internal temporary table in bytes (also capped by max_heap_table_size).' },
  { name: 'max_heap_table_size', restart: false, default: (s) => String(memoryPlan(s).tmpTableMb * MB), check: { kind: 'int', min: 16384, max: GB, multipleOf: 1024 },
    description: 'Largest MEMORY table in bytes (a multiple of 1024).' },
  { name: 'sort_buffer_size', restart: false, default: String(2 * MB), check: { kind: 'int', min: 32768, max: 256 * MB },
    description: 'Per-session sort buffer in bytes.' },
  { name: 'join_buffer_size', restart: false, default: '262144', check: { kind: 'int', min: 128, max: 256 * MB, multipleOf: 128 },
    description: 'Per-join buffer in bytes for joins without indexes (a multiple of 128).' },
  { name: 'read_buffer_size', restart: false, default: '131072', check: { kind: 'int', min: 8192, max: 256 * MB, multipleOf: 4096 },
    description: 'Per-session sequential scan buffer in bytes (a multiple of 4096).' },
  { name: 'performance_schema', restart: true, default: 'OFF', check: ON_OFF,
    description: 'Performance Schema instrumentation (costs about 90 MB of memory per node).' },
  // --- shown, never modifiable
  { name: 'lower_case_table_names', restart: true, default: '0',
    fixedReason: 'it can only be chosen when the datadir is created; changed later, existing tables with upper-case names become unreachable',
    description: 'How table names are stored and compared (fixed at creation).' },
  { name: 'innodb_flush_log_at_trx_commit', restart: false, default: '1', fixedReason: 'an acknowledged commit must survive a crash (docs/engine-config.md)',
    description: 'Flush the redo log at every commit (fixed: durability).' },
  { name: 'sync_binlog', restart: false, default: '1', fixedReason: 'an acknowledged commit must survive a crash (docs/engine-config.md)',
    description: 'Sync the binary log at every commit (fixed: durability).' },
  { name: 'binlog_format', restart: false, default: 'ROW', fixedReason: 'replication and point-in-time recovery need row-based binary logs',
    description: 'Binary log format (fixed: ROW).' },
  { name: 'log_bin', restart: true, default: 'ON', fixedReason: 'replication and point-in-time recovery need the binary log',
    description: 'Binary logging (fixed: on).' },
  { name: 'gtid_strict_mode', restart: false, default: 'ON', fixedReason: 'replication and failover rely on strict GTIDs',
    description: 'Strict GTID ordering (fixed: on).' },
  { name: 'read_only', restart: false, default: 'OFF', fixedReason: 'the service sets it by role (primary, standby, replica)',
    description: 'Refuse writes from clients (set by the service from the node role).' },
  { name: 'port', restart: true, default: '3306', fixedReason: 'it is the instance ServicePort, chosen at creation',
    description: 'TCP port (the instance ServicePort).' },
];

/** Never changeable, beyond the shown-but-fixed ones above. */
export const PROTECTED = new Map<string, string>([
  ['datadir', 'the data directory is managed by the service'],
  ['tmpdir', 'the temporary directory is managed by the service'],
  ['socket', 'the socket path is managed by the service'],
  ['pid_file', 'the pid file is managed by the service'],
  ['log_error', 'the error log is managed by the service'],
  ['user', 'the server user is managed by the service'],
  ['bind_address', 'the instance listens on its own IP, chosen at creation'],
  ['skip_networking', 'the instance must stay reachable over TCP'],
  ['skip_grant_tables', 'it would switch off authentication'],
  ['init_file', 'it creates the service\'s internal accounts at every start'],
  ['init_connect', 'it would run SQL for every connection, including the service\'s own'],
  ['server_id', 'replication needs a unique server id per node'],
  ['report_host', 'replication reports the node address'],
  ['report_port', 'replication reports the node port'],
  ['log_bin_basename', 'the binary log location is managed by the service'],
  ['log_bin_index', 'the binary log location is managed by the service'],
  ['log_slave_updates', 'standbys and replicas need it for failover'],
  ['binlog_expire_logs_seconds', 'replicas and point-in-time recovery need the binary logs kept'],
  ['expire_logs_days', 'replicas and point-in-time recovery need the binary logs kept'],
  ['max_binlog_size', 'the binary log layout is managed by the service'],
  ['skip_name_resolve', 'accounts are matched by IP address'],
  ['default_time_zone', 'it is the instance TimeZone, chosen at creation'],
  ['time_zone', 'it is the instance TimeZone, chosen at creation'],
  ['secure_file_priv', 'it would let SQL read and write server files'],
  ['local_infile', 'it would let SQL read server files'],
  ['plugin_load', 'plugins are managed by the service'],
  ['plugin_load_add', 'plugins are managed by the service'],
  ['plugin_dir', 'plugins are managed by the service'],
  ['open_files_limit', 'file limits are managed by the service'],
  ['innodb_log_file_size', 'the redo log size follows the spec'],
  ['innodb_log_group_home_dir', 'the redo log location is managed by the service'],
  ['innodb_data_home_dir', 'the data directory is managed by the service'],
  ['innodb_data_file_path', 'the system tablespace is managed by the service'],
  ['innodb_undo_directory', 'the data directory is managed by the service'],
  ['innodb_flush_method', 'I/O settings are managed by the service'],
  ['innodb_doublewrite', 'it protects pages from torn writes'],
  ['query_cache_type', 'the query cache stays off (it serialises every query)'],
  ['query_cache_size', 'the query cache stays off (it serialises every query)'],
  ['collation_server', 'it follows character_set_server'],
  ['general_log', 'it would log every statement, passwords included'],
  ['general_log_file', 'log files are managed by the service'],
  ['slow_query_log_file', 'log files are managed by the service'],
]);
export const PROTECTED_PREFIXES: ReadonlyArray<[string, string]> = [
  ['gtid_', 'replication and failover rely on the GTID settings'],
  ['rpl_semi_sync_', 'semi-synchronous replication is managed by the service'],
  ['relay_log', 'relay logs are managed by the service'],
  ['slave_', 'replication is managed by the service'],
  ['master_', 'replication is managed by the service'],
  ['binlog_', 'binary logging is managed by the service'],
  ['log_bin', 'binary logging is managed by the service'],
  ['wsrep_', 'clustering is managed by the service'],
  ['ssl_', 'TLS settings are managed by the service'],
  ['innodb_encrypt', 'encryption is managed by the service'],
];

/** `log-bin` and `LOG_BIN` name the same option as `log_bin`. */
export function canonicalName(name: string): string {
  return name.trim().toLowerCase().replace(/-/g, '_');
}

const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));
const INFOS: readonly ParameterInfo[] = DEFS.map((d) => ({ name: d.name, description: d.description, modifiable: !!d.check, restart: d.restart }));

const dyn = <T>(v: Dyn<T>, s: SpecLike): T => (typeof v === 'function' ? (v as (s: SpecLike) => T)(s) : v);

function code(c: Check | undefined, s: SpecLike): string {
  if (!c) return '';
  switch (c.kind) {
    case 'int':
    case 'float':
      return `[${c.min}-${dyn(c.max, s)}]`;
    case 'enum':
      return `[${c.values.join('|')}]`;
    case 'set':
      return `{${c.values.join(',')}}`;
  }
}

function checkValue(d: Def, raw: string, s: SpecLike): ParameterCheck {
  const c = d.check!;
  const v = raw.trim();
  const range = code(c, s);
  switch (c.kind) {
    case 'int': {
      if (!/^\d+$/.test(v)) return { ok: false, why: `must be an integer in ${range}` };
      const n = Number(v);
      const max = dyn(c.max, s);
      if (!Number.isSafeInteger(n) || n < c.min || n > max) return { ok: false, why: `must be an integer in ${range}` };
      if (c.multipleOf && n % c.multipleOf !== 0) return { ok: false, why: `must be a multiple of ${c.multipleOf}` };
      return { ok: true, value: String(n) };
    }
    case 'float': {
      if (!/^\d+(\.\d{1,6})?$/.test(v)) return { ok: false, why: `must be a number in ${range} (up to 6 decimals)` };
      const n = Number(v);
      if (n < c.min || n > c.max) return { ok: false, why: `must be a number in ${range}` };
      return { ok: true, value: String(n) };
    }
    case 'enum': {
      const hit = c.values.find((x) => x.toLowerCase() === v.toLowerCase());
      return hit ? { ok: true, value: hit } : { ok: false, why: `must be one of ${range}` };
    }
    case 'set': {
      const parts = v.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean);
      if (parts.length === 0) return { ok: false, why: `must be a comma-separated set of ${range}` };
      const bad = parts.find((x) => !c.values.includes(x));
      if (bad) return { ok: false, why: `${bad} is not allowed; use a comma-separated set of ${range}` };
      // The server's own order, so the stored value reads like SHOW GLOBAL VARIABLES.
      return { ok: true, value: c.values.filter((x) => parts.includes(x)).join(',') };
    }
  }
}

function sameValue(d: Def | undefined, a: string, b: string): boolean {
  const k = d?.check?.kind;
  if (k === 'int' || k === 'float') return a.trim() !== '' && b.trim() !== '' && Number(a) === Number(b);
  if (k === 'set') {
    const norm = (x: string) => x.split(',').map((y) => y.trim().toUpperCase()).filter(Boolean).sort().join(',');
    return norm(a) === norm(b);
  }
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export const MARIADB_PARAMETERS: ParameterCatalog = {
  list: () => INFOS,
  canonicalName,
  get: (name) => INFOS.find((i) => i.name === canonicalName(name)),
  defaultValue(name, s) {
    const d = BY_NAME.get(canonicalName(name));
    if (!d) throw new Error(`unknown parameter ${name}`);
    return dyn(d.default, s);
  },
  checkingCode(name, s) {
    return code(BY_NAME.get(canonicalName(name))?.check, s);
  },
  check(name, value, s) {
    const n = canonicalName(name);
    const why = this.protectedReason(n);
    if (why) return { ok: false, why };
    const d = BY_NAME.get(n);
    if (!d) return { ok: false, why: `${name} is not a tunable parameter; DescribeDBParameter lists them` };
    return checkValue(d, value, s);
  },
  protectedReason(name) {
    const n = canonicalName(name);
    const d = BY_NAME.get(n);
    if (d?.fixedReason) return `${n} is protected: ${d.fixedReason}`;
    if (d) return undefined;
    const r = PROTECTED.get(n) ?? PROTECTED_PREFIXES.find(([p]) => n.startsWith(p))?.[1];
    return r ? `${n} is protected: ${r}` : undefined;
  },
  same: (name, a, b) => sameValue(BY_NAME.get(canonicalName(name)), a, b),
};
