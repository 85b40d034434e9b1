/**
 * my.cnf rendering for MariaDB: a pure function of the node spec and its paths.
 * The memory formula is documented in docs/engine-config.md; golden files in test/golden/.
 */
import type { NodePaths, NodeSpec } from '../../engine.js';

const MB = 1024 * 1024;

export interface MemoryPlan {
  bufferPoolMb: number;
  logFileMb: number;
  /** InnoDB's log buffer; 10.11 allocates and touches it twice (double buffering) at start-up. */
  logBufferMb: number;
  /** MyISAM key cache and Aria page cache (system tables and on-disk internal temp tables only). */
  keyBufferMb: number;
  ariaPagecacheMb: number;
  maxConnections: number;
  tmpTableMb: number;
  tableOpenCache: number;
  threadCacheSize: number;
  ioCapacity: number;
}

/** Memory of a node while it bulk-applies (a point-in-time restore's replay), and after. */
export interface BulkApplyMemory {
  during: { bufferPoolBytes: number; logFileBytes: number };
  after: { bufferPoolBytes: number; logFileBytes: number };
}

/** The binlog's base name: files `<datadir>/mysql-bin.NNNNNN`, listed in `<datadir>/mysql-bin.index`. */
export const BINLOG_BASENAME = 'mysql-bin';

/**
 * While a node nobody uses yet replays binlogs, the buffer pool takes 80 % of the spec's RAM (the
 * most ModifyDBParameter allows) and the redo log 512 MiB: a replay over data larger than the
 * smallest spec's 128 MB pool is otherwise bound by random reads of the volume (measured:
 * bench/RESULTS.md "Point-in-time restore"). Both are dynamic in 10.11. After, the values the
 * config renders (the spec's plan, or the user's innodb_buffer_pool_size). Pure.
 */
export function bulkApplyMemory(spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType' | 'overrides'>): BulkApplyMemory {
  const plan = memoryPlan(spec);
  const user = Number(spec.overrides?.innodb_buffer_pool_size);
  const after = { bufferPoolBytes: Number.isInteger(user) && user > 0 ? user : plan.bufferPoolMb * MB, logFileBytes: plan.logFileMb * MB };
  const most = Math.max(128, Math.floor((spec.ramGb * 1024 * 0.8) / 128) * 128) * MB;
  return { during: { bufferPoolBytes: Math.max(after.bufferPoolBytes, most), logFileBytes: Math.max(after.logFileBytes, 512 * MB) }, after };
}

/** The documented spec → settings formula (docs/engine-config.md). */
export function memoryPlan(spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): MemoryPlan {
  const ramMb = spec.ramGb * 1024;
  // The smallest spec (2 GB) is what a dense host runs by the hundred: its pool is MariaDB's own
  // default, 128 MB, because 10.11 makes and touches a descriptor for every page of the pool at
  // start-up (~1.5 % of the pool resident while idle: 15 MB for 1 GB). issue 15 §3, bench/RESULTS.md.
  const share = spec.ramGb <= 2 ? 0 : spec.ramGb <= 8 ? 0.6 : 0.7;
  const bufferPoolMb = Math.max(128, Math.floor((ramMb * share) / 128) * 128);
  const small = spec.ramGb <= 2;
  return {
    bufferPoolMb,
    logFileMb: clamp(Math.floor(bufferPoolMb / 4 / 16) * 16, 64, 1024),
    logBufferMb: clamp(spec.ramGb, 2, 16),
    keyBufferMb: small ? 1 : 8,
    ariaPagecacheMb: small ? 2 : 8,
    maxConnections: clamp(spec.ramGb * 200, 200, 4000),
    tmpTableMb: clamp(Math.floor(ramMb / 64), 16, 256),
    tableOpenCache: clamp(spec.cpu * 1000, 1000, 4000),
    threadCacheSize: clamp(spec.cpu * 16, 16, 128),
    ioCapacity: spec.diskType === 'high_disk' ? 1000 : 2000,
  };
}

/**
 * Environment of the server process, from the spec. glibc gives a threaded process up to 8 malloc
 * arenas per host core, and a mariadbd with a few connections (the collector's, the archive's
 * binlog dump, a login) fills several of them: measured here on a 1C2G node, 78.4 MB VmRSS with
 * the default, 65.4 MB with one arena (bench/RESULTS.md 3b). With CPU limited to the spec, no
 * more threads run at once than the spec has CPUs, so one arena per CPU costs them little waiting.
 */
export function serverEnvironment(spec: Pick<NodeSpec, 'cpu'>): Readonly<Record<string, string>> {
  return { MALLOC_ARENA_MAX: String(clamp(Math.floor(spec.cpu), 1, 64)) };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

export function renderMyCnf(spec: NodeSpec, paths: NodePaths): string {
  const m = memoryPlan(spec);
  const lines: Array<[string, string | number] | string> = [
    '# Rendered by openrds; edits are overwritten. See docs/engine-config.md.',
    '[mysqld]',
    ['user', 'root'],
    ['datadir', paths.datadir],
    ['tmpdir', paths.tmpdir],
    ['socket', paths.socket],
    ['pid_file', paths.pidFile],
    ['log_error', paths.errorLog],
    ['init_file', paths.initFile],
    ['bind_address', spec.ip],
    ['port', spec.port],
    ['server_id', spec.serverId],
    ['report_host', spec.ip],
    ['report_port', spec.port],
    ['skip_name_resolve', 'ON'],
    ['performance_schema', 'OFF'],
    ['default_time_zone', `'${spec.timeZone}'`],
    ['character_set_server', 'utf8mb4'],
    ['collation_server', 'utf8mb4_general_ci'],
    '# durability: an acknowledged commit survives a crash of the process or the host',
    ['innodb_flush_log_at_trx_commit', 1],
    ['sync_binlog', 1],
    ['log_bin', BINLOG_BASENAME],
    ['binlog_format', 'ROW'],
    ['log_slave_updates', 'ON'],
    ['gtid_strict_mode', 'ON'],
    // 0 while the binlog archive purges the files itself, only once they are archived (docs/recovery.md).
    ['binlog_expire_logs_seconds', spec.binlogExpireSeconds ?? 604800],
    ['max_binlog_size', '256M'],
    '# memory, from the spec (cpu/ram)',
    ['innodb_buffer_pool_size', `${m.bufferPoolMb}M`],
    ['innodb_log_file_size', `${m.logFileMb}M`],
    ['innodb_log_buffer_size', `${m.logBufferMb}M`],
    ['innodb_io_capacity', m.ioCapacity],
    ['max_connections', m.maxConnections],
    ['tmp_table_size', `${m.tmpTableMb}M`],
    ['max_heap_table_size', `${m.tmpTableMb}M`],
    ['table_open_cache', m.tableOpenCache],
    ['thread_cache_size', m.threadCacheSize],
    ['open_files_limit', 8192],
    ['key_buffer_size', `${m.keyBufferMb}M`],
    ['aria_pagecache_buffer_size', `${m.ariaPagecacheMb}M`],
    ['query_cache_type', 0],
    ['query_cache_size', 0],
    ['max_allowed_packet', '64M'],
    ['long_query_time', 1],
  ];
  if (spec.role !== 'primary' || spec.readOnly) lines.push(['read_only', 'ON']);
  if (spec.topology === 'ha') {
    // Lossless semi-sync: a commit is acknowledged only after the standby has it (AFTER_SYNC).
    lines.push('# HA: semi-synchronous replication to the standby');
    lines.push(['rpl_semi_sync_master_enabled', spec.role === 'primary' ? 'ON' : 'OFF']);
    lines.push(['rpl_semi_sync_slave_enabled', 'ON']);
    lines.push(['rpl_semi_sync_master_wait_point', 'AFTER_SYNC']);
    lines.push(['rpl_semi_sync_master_timeout', spec.semiSyncTimeoutMs ?? 10000]);
    // Crash recovery as a replica: binlog transactions no standby acknowledged are truncated
    // (MDEV-33465), so an old primary rejoins without a copy. Standbys only (NodeSpec.rejoinAsStandby).
    if (spec.rejoinAsStandby && spec.role !== 'primary') lines.push(['init_rpl_role', 'SLAVE']);
  }
  if (spec.topology === 'readonly') {
    // A read-only replica never acknowledges: only the standby's ack may release a commit.
    lines.push(['rpl_semi_sync_slave_enabled', 'OFF']);
  }
  if (spec.topology === 'ha' || spec.topology === 'readonly') {
    lines.push(['slave_net_timeout', 5]);
    lines.push(['slave_parallel_threads', Math.max(2, Math.min(8, spec.cpu * 2))]);
  }
  return withOverrides(lines, spec.overrides ?? {}).map((l) => (typeof l === 'string' ? l : `${l[0]} = ${l[1]}`)).join('\n') + '\n';
}

type CnfLine = [string, string | number] | string;

/**
 * The user's parameters (ModifyDBParameter, docs/parameters.md) on top of the rendered lines:
 * a setting already there gets the user's value in place; the others follow at the end, sorted.
 * A user character set drops the fixed collation, so the server takes that set's default one
 * (utf8mb4_general_ci with latin1 would stop it from starting). Names and values were validated
 * by the parameter catalog; anything that could break the file's syntax is refused here too.
 */
export function withOverrides(lines: readonly CnfLine[], overrides: Readonly<Record<string, string>>): CnfLine[] {
  const names = Object.keys(overrides).sort();
  if (names.length === 0) return [...lines];
  for (const k of names) {
    if (!/^[a-z][a-z0-9_]*$/.test(k)) throw new Error(`invalid parameter name in overrides: ${JSON.stringify(k)}`);
    if (!/^[A-Za-z0-9_.,+-]*$/.test(overrides[k]!)) throw new Error(`invalid value for ${k} in overrides: ${JSON.stringify(overrides[k])}`);
  }
  const cnfValue = (v: string) => (v === '' ? '""' : v);
  const dropCollation = 'character_set_server' in overrides && !('collation_server' in overrides);
  const placed = new Set<string>();
  const out: CnfLine[] = [];
  for (const l of lines) {
    if (typeof l === 'string') { out.push(l); continue; }
    if (dropCollation && l[0] === 'collation_server') continue;
    if (Object.hasOwn(overrides, l[0])) {
      out.push([l[0], cnfValue(overrides[l[0]]!)]);
      placed.add(l[0]);
    } else out.push(l);
  }
  const rest = names.filter((k) => !placed.has(k));
  if (rest.length) {
    out.push('# user parameters (ModifyDBParameter); see docs/parameters.md');
    for (const k of rest) out.push([k, cnfValue(overrides[k]!)]);
  }
  return out;
}

/**
 * The settings a fresh datadir is made with (mariadb-install-db options, datadir aside). None
 * depends on the spec, so one datadir template serves every node of a server version
 * (docs/engine-config.md "Datadir templates"). innodb_log_file_size is not fixed at
 * initialisation in 10.11: the server resizes the redo log at start-up to its config's value
 * (measured: "Resizing redo log from 8.000MiB to 256.000MiB" on the first start), so the datadir
 * gets a small one, which is cheap to copy. innodb_page_size is the server's default (16k), and
 * the config leaves it at that default too.
 */
export function initSettings(): Readonly<Record<string, string>> {
  return {
    user: 'root',
    'auth-root-authentication-method': 'socket',
    'skip-test-db': '',
    'skip-name-resolve': '',
    'innodb-page-size': '16k',
    'innodb-log-file-size': '8M',
  };
}

export const BYTES = { MB };
