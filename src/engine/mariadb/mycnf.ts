/**
 * my.cnf rendering for MariaDB: a pure function of the node spec and its paths.
 * The memory formula is documented in docs/engine-config.md; golden files in test/golden/.
 */
import type { NodePaths, NodeSpec } from '../engine.js';

const MB = 1024 * 1024;

export interface MemoryPlan {
  bufferPoolMb: number;
  logFileMb: number;
  maxConnections: number;
  tmpTableMb: number;
  tableOpenCache: number;
  threadCacheSize: number;
  ioCapacity: number;
}

/** The documented spec → settings formula (docs/engine-config.md). */
export function memoryPlan(spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): MemoryPlan {
  const ramMb = spec.ramGb * 1024;
  const share = spec.ramGb <= 2 ? 0.5 : spec.ramGb <= 8 ? 0.6 : 0.7;
  const bufferPoolMb = Math.max(128, Math.floor((ramMb * share) / 128) * 128);
  return {
    bufferPoolMb,
    logFileMb: clamp(Math.floor(bufferPoolMb / 4 / 16) * 16, 64, 1024),
    maxConnections: clamp(spec.ramGb * 200, 200, 4000),
    tmpTableMb: clamp(Math.floor(ramMb / 64), 16, 256),
    tableOpenCache: clamp(spec.cpu * 1000, 1000, 4000),
    threadCacheSize: clamp(spec.cpu * 16, 16, 128),
    ioCapacity: spec.diskType === 'high_disk' ? 1000 : 2000,
  };
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
    ['log_bin', 'mysql-bin'],
    ['binlog_format', 'ROW'],
    ['log_slave_updates', 'ON'],
    ['gtid_strict_mode', 'ON'],
    ['binlog_expire_logs_seconds', 604800],
    ['max_binlog_size', '256M'],
    '# memory, from the spec (cpu/ram)',
    ['innodb_buffer_pool_size', `${m.bufferPoolMb}M`],
    ['innodb_log_file_size', `${m.logFileMb}M`],
    ['innodb_log_buffer_size', '16M'],
    ['innodb_io_capacity', m.ioCapacity],
    ['max_connections', m.maxConnections],
    ['tmp_table_size', `${m.tmpTableMb}M`],
    ['max_heap_table_size', `${m.tmpTableMb}M`],
    ['table_open_cache', m.tableOpenCache],
    ['thread_cache_size', m.threadCacheSize],
    ['open_files_limit', 8192],
    ['key_buffer_size', '8M'],
    ['aria_pagecache_buffer_size', '8M'],
    ['query_cache_type', 0],
    ['query_cache_size', 0],
    ['max_allowed_packet', '64M'],
    ['long_query_time', 1],
  ];
  if (spec.role !== 'primary') lines.push(['read_only', 'ON']);
  return lines.map((l) => (typeof l === 'string' ? l : `${l[0]} = ${l[1]}`)).join('\n') + '\n';
}

/** Options for mariadb-install-db that must agree with the running config. */
export function installDbArgs(spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>, paths: NodePaths): string[] {
  const m = memoryPlan(spec);
  return [
    '--no-defaults',
    `--datadir=${paths.datadir}`,
    '--user=root',
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
    '--skip-name-resolve',
    `--innodb-log-file-size=${m.logFileMb}M`,
  ];
}

export const BYTES = { MB };
