/**
 * my.cnf rendering: golden files (test/golden/*.cnf) and the memory formula table.
 * To accept an intended change: OPENRDS_UPDATE_GOLDEN=1 node --import tsx --test test/unit/mycnf.test.ts,
 * then read the diff of test/golden/ before committing it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodePaths, NodeSpec } from '../../src/engine/engine.js';
import { bulkApplyMemory, initSettings, memoryPlan, renderMyCnf, serverEnvironment, type MemoryPlan } from '../../src/engine/mariadb/profile/mycnf.js';
import { installDbArgs } from '../../src/provisioner/local/mariadb-binaries.js';

const GOLDEN_DIR = fileURLToPath(new URL('../golden/', import.meta.url));
const UPDATE = process.env.OPENRDS_UPDATE_GOLDEN === '1';

function paths(dir: string): NodePaths {
  return {
    dir,
    datadir: `${dir}/data`,
    config: `${dir}/my.cnf`,
    initFile: `${dir}/init.sql`,
    socket: `${dir}/mysqld.sock`,
    pidFile: `${dir}/mysqld.pid`,
    errorLog: `${dir}/error.log`,
    tmpdir: `${dir}/tmp`,
  };
}

function spec(over: Partial<NodeSpec>): NodeSpec {
  return {
    nodeId: 'n1', serverId: 1, ip: '127.10.0.2', port: 3306, cpu: 1, ramGb: 2, diskGb: 100,
    diskType: 'ssd_disk', timeZone: '+08:00', role: 'primary', ...over,
  };
}

const GOLDEN_CASES: Array<{ file: string; spec: NodeSpec; paths: NodePaths }> = [
  {
    file: 'primary-1c2g-ssd.cnf',
    spec: spec({}),
    paths: paths('/var/lib/openrds/nodes/n1'),
  },
  {
    file: 'standby-4c8g-high.cnf',
    spec: spec({ nodeId: 'n2', serverId: 2, ip: '127.10.0.3', port: 3307, cpu: 4, ramGb: 8, diskGb: 500, diskType: 'high_disk', timeZone: '-05:00', role: 'standby' }),
    paths: paths('/var/lib/openrds/nodes/n2'),
  },
  {
    file: 'replica-8c32g-ssd.cnf',
    spec: spec({ nodeId: 'n3', serverId: 3003, ip: '127.10.0.200', port: 6033, cpu: 8, ramGb: 32, diskGb: 2000, timeZone: '+00:00', role: 'replica' }),
    paths: paths('/srv/openrds/n3'),
  },
  {
    file: 'standby-ha-rejoin-1c2g.cnf',
    spec: spec({ nodeId: 'n4', serverId: 4, ip: '127.10.0.4', role: 'standby', topology: 'ha', semiSyncTimeoutMs: 1500, rejoinAsStandby: true }),
    paths: paths('/var/lib/openrds/nodes/n4'),
  },
];

for (const c of GOLDEN_CASES) {
  test(`renderMyCnf matches golden file ${c.file}`, () => {
    const file = GOLDEN_DIR + c.file;
    const got = renderMyCnf(c.spec, c.paths);
    if (UPDATE) writeFileSync(file, got);
    assert.equal(got, readFileSync(file, 'utf8'));
  });
}

/** `key = value` lines of a rendered config. */
function settings(cnf: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of cnf.split('\n')) {
    const i = line.indexOf(' = ');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 3));
  }
  return m;
}

const PLAN_CASES: Array<{ name: string; cpu: number; ramGb: number; diskType?: string; plan: MemoryPlan }> = [
  { name: '1C2G', cpu: 1, ramGb: 2, plan: { bufferPoolMb: 128, logFileMb: 64, logBufferMb: 2, keyBufferMb: 1, ariaPagecacheMb: 2, maxConnections: 400, tmpTableMb: 32, tableOpenCache: 1000, threadCacheSize: 16, ioCapacity: 2000 } },
  { name: '2C4G', cpu: 2, ramGb: 4, plan: { bufferPoolMb: 2432, logFileMb: 608, logBufferMb: 4, keyBufferMb: 8, ariaPagecacheMb: 8, maxConnections: 800, tmpTableMb: 64, tableOpenCache: 2000, threadCacheSize: 32, ioCapacity: 2000 } },
  { name: '4C8G', cpu: 4, ramGb: 8, plan: { bufferPoolMb: 4864, logFileMb: 1024, logBufferMb: 8, keyBufferMb: 8, ariaPagecacheMb: 8, maxConnections: 1600, tmpTableMb: 128, tableOpenCache: 4000, threadCacheSize: 64, ioCapacity: 2000 } },
  { name: '8C16G', cpu: 8, ramGb: 16, plan: { bufferPoolMb: 11392, logFileMb: 1024, logBufferMb: 16, keyBufferMb: 8, ariaPagecacheMb: 8, maxConnections: 3200, tmpTableMb: 256, tableOpenCache: 4000, threadCacheSize: 128, ioCapacity: 2000 } },
  { name: '8C32G', cpu: 8, ramGb: 32, plan: { bufferPoolMb: 22912, logFileMb: 1024, logBufferMb: 16, keyBufferMb: 8, ariaPagecacheMb: 8, maxConnections: 4000, tmpTableMb: 256, tableOpenCache: 4000, threadCacheSize: 128, ioCapacity: 2000 } },
  { name: '4C16G read-only spec', cpu: 4, ramGb: 16, plan: { bufferPoolMb: 11392, logFileMb: 1024, logBufferMb: 16, keyBufferMb: 8, ariaPagecacheMb: 8, maxConnections: 3200, tmpTableMb: 256, tableOpenCache: 4000, threadCacheSize: 64, ioCapacity: 2000 } },
  { name: '16C64G read-only spec', cpu: 16, ramGb: 64, plan: { bufferPoolMb: 45824, logFileMb: 1024, logBufferMb: 16, keyBufferMb: 8, ariaPagecacheMb: 8, maxConnections: 4000, tmpTableMb: 256, tableOpenCache: 4000, threadCacheSize: 128, ioCapacity: 2000 } },
  { name: '1C2G on high_disk', cpu: 1, ramGb: 2, diskType: 'high_disk', plan: { bufferPoolMb: 128, logFileMb: 64, logBufferMb: 2, keyBufferMb: 1, ariaPagecacheMb: 2, maxConnections: 400, tmpTableMb: 32, tableOpenCache: 1000, threadCacheSize: 16, ioCapacity: 1000 } },
  { name: 'tiny 1C1G hits the lower clamps', cpu: 1, ramGb: 1, plan: { bufferPoolMb: 128, logFileMb: 64, logBufferMb: 2, keyBufferMb: 1, ariaPagecacheMb: 2, maxConnections: 200, tmpTableMb: 16, tableOpenCache: 1000, threadCacheSize: 16, ioCapacity: 2000 } },
];

for (const c of PLAN_CASES) {
  test(`memoryPlan ${c.name}`, () => {
    const plan = memoryPlan({ cpu: c.cpu, ramGb: c.ramGb, diskType: c.diskType ?? 'ssd_disk' });
    assert.deepEqual(plan, c.plan);
    // Invariants of the formula: buffer pool is a multiple of 128 MiB and leaves room for the rest.
    assert.equal(plan.bufferPoolMb % 128, 0);
    assert.ok(plan.bufferPoolMb <= c.ramGb * 1024 * 0.7, 'buffer pool at most 70% of RAM');
    assert.equal(plan.logFileMb % 16, 0);
  });

  test(`renderMyCnf uses memoryPlan ${c.name}`, () => {
    const s = settings(renderMyCnf(spec({ cpu: c.cpu, ramGb: c.ramGb, diskType: c.diskType ?? 'ssd_disk' }), paths('/x')));
    assert.equal(s.get('innodb_buffer_pool_size'), `${c.plan.bufferPoolMb}M`);
    assert.equal(s.get('innodb_log_file_size'), `${c.plan.logFileMb}M`);
    assert.equal(s.get('max_connections'), String(c.plan.maxConnections));
    assert.equal(s.get('tmp_table_size'), `${c.plan.tmpTableMb}M`);
    assert.equal(s.get('max_heap_table_size'), `${c.plan.tmpTableMb}M`);
    assert.equal(s.get('table_open_cache'), String(c.plan.tableOpenCache));
    assert.equal(s.get('thread_cache_size'), String(c.plan.threadCacheSize));
    assert.equal(s.get('innodb_io_capacity'), String(c.plan.ioCapacity));
  });
}

const ROLE_CASES: Array<{ role: NodeSpec['role']; held?: boolean; readOnly: boolean }> = [
  { role: 'primary', readOnly: false },
  { role: 'standby', readOnly: true },
  { role: 'replica', readOnly: true },
  // The disk guard holds the instance (NodeSpec.readOnly): even the primary starts read-only.
  { role: 'primary', held: true, readOnly: true },
  { role: 'standby', held: true, readOnly: true },
];

for (const c of ROLE_CASES) {
  test(`renderMyCnf role ${c.role}${c.held ? ', disk guard holds' : ''}: read_only ${c.readOnly ? 'ON' : 'absent'}`, () => {
    const primary = renderMyCnf(spec({ role: 'primary' }), paths('/x'));
    const cnf = renderMyCnf(spec({ role: c.role, readOnly: c.held }), paths('/x'));
    assert.equal(settings(cnf).get('read_only'), c.readOnly ? 'ON' : undefined);
    // The role changes nothing else.
    assert.equal(cnf, c.readOnly ? primary + 'read_only = ON\n' : primary);
  });
}

const FIELD_CASES: Array<{ name: string; over: Partial<NodeSpec>; key: string; value: string }> = [
  { name: 'bind address is the node IP', over: { ip: '127.10.0.9' }, key: 'bind_address', value: '127.10.0.9' },
  { name: 'report_host is the node IP', over: { ip: '127.10.0.9' }, key: 'report_host', value: '127.10.0.9' },
  { name: 'port', over: { port: 4406 }, key: 'port', value: '4406' },
  { name: 'report_port', over: { port: 4406 }, key: 'report_port', value: '4406' },
  { name: 'server_id', over: { serverId: 4242 }, key: 'server_id', value: '4242' },
  { name: 'time zone is quoted', over: { timeZone: '+05:30' }, key: 'default_time_zone', value: "'+05:30'" },
  { name: 'durable commits', over: {}, key: 'innodb_flush_log_at_trx_commit', value: '1' },
  { name: 'durable binlog', over: {}, key: 'sync_binlog', value: '1' },
  { name: 'row-based binlog', over: {}, key: 'binlog_format', value: 'ROW' },
  { name: 'GTID strict mode', over: {}, key: 'gtid_strict_mode', value: 'ON' },
];

/** init_rpl_role = SLAVE (crash recovery truncates unacknowledged transactions) only for an HA standby asked for it. */
const RPL_ROLE_CASES: Array<{ name: string; over: Partial<NodeSpec>; want: string | undefined }> = [
  { name: 'HA standby rejoining', over: { topology: 'ha', role: 'standby', rejoinAsStandby: true }, want: 'SLAVE' },
  { name: 'HA standby, truncation off', over: { topology: 'ha', role: 'standby' }, want: undefined },
  { name: 'HA standby, explicitly false', over: { topology: 'ha', role: 'standby', rejoinAsStandby: false }, want: undefined },
  { name: 'HA primary never, even if asked', over: { topology: 'ha', role: 'primary', rejoinAsStandby: true }, want: undefined },
  { name: 'HA primary', over: { topology: 'ha', role: 'primary' }, want: undefined },
  { name: 'basic instance', over: { topology: 'none', role: 'primary', rejoinAsStandby: true }, want: undefined },
  { name: 'read-only replica', over: { topology: 'readonly', role: 'replica', rejoinAsStandby: true }, want: undefined },
  { name: 'no topology', over: { role: 'standby', rejoinAsStandby: true }, want: undefined },
];

for (const c of RPL_ROLE_CASES) {
  test(`renderMyCnf init_rpl_role: ${c.name}`, () => {
    assert.equal(settings(renderMyCnf(spec(c.over), paths('/x'))).get('init_rpl_role'), c.want);
  });
}

for (const c of FIELD_CASES) {
  test(`renderMyCnf: ${c.name}`, () => {
    assert.equal(settings(renderMyCnf(spec(c.over), paths('/x'))).get(c.key), c.value);
  });
}

test('renderMyCnf: paths go where MariaDB expects them', () => {
  const p = paths('/n');
  const s = settings(renderMyCnf(spec({}), p));
  assert.equal(s.get('datadir'), p.datadir);
  assert.equal(s.get('tmpdir'), p.tmpdir);
  assert.equal(s.get('socket'), p.socket);
  assert.equal(s.get('pid_file'), p.pidFile);
  assert.equal(s.get('log_error'), p.errorLog);
  assert.equal(s.get('init_file'), p.initFile);
});

test('renderMyCnf: one [mysqld] section, no duplicate keys, ends with a newline', () => {
  const cnf = renderMyCnf(spec({ role: 'standby' }), paths('/x'));
  assert.equal(cnf.split('\n').filter((l) => l.startsWith('[')).length, 1);
  assert.ok(cnf.split('\n').some((l) => l === '[mysqld]'));
  const keys = cnf.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ')[0]);
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(cnf.endsWith('\n') && !cnf.endsWith('\n\n'));
});

const INSTALL_CASES: Array<{ name: string; cpu: number; ramGb: number; logFile: string }> = [
  { name: '1C2G', cpu: 1, ramGb: 2, logFile: '64M' },
  { name: '2C4G', cpu: 2, ramGb: 4, logFile: '608M' },
  { name: '8C32G', cpu: 8, ramGb: 32, logFile: '1024M' },
];

for (const c of INSTALL_CASES) {
  // One datadir template serves every spec: the redo log it is made with (8M) is smaller than any
  // config's, and the server resizes it at its first start (docs/engine-config.md "Datadir templates").
  test(`installDbArgs ${c.name}: spec-independent, small redo log that the config's ${c.logFile} replaces at start`, () => {
    const p = paths('/x');
    const args = installDbArgs(p.datadir, '/x/scratch', initSettings());
    assert.equal(args[0], '--no-defaults');
    assert.equal(args[1], `--datadir=${p.datadir}`);
    assert.equal(args[2], '--tmpdir=/x/scratch', 'a private tmpdir, not the shared /tmp');
    assert.deepEqual(args.slice(3), ['--user=root', '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve',
      '--innodb-page-size=16k', '--innodb-log-file-size=8M']);
    assert.equal(initSettings()['innodb-log-file-size'], '8M');
    const cnf = settings(renderMyCnf(spec({ cpu: c.cpu, ramGb: c.ramGb }), p));
    assert.equal(cnf.get('innodb_log_file_size'), c.logFile);
    assert.ok(parseInt(c.logFile, 10) > 8);
    assert.equal(cnf.get('innodb_page_size'), undefined, 'the config keeps the default page size the datadir is made with');
  });
}

// One malloc arena per CPU of the spec (mycnf.ts serverEnvironment): whole CPUs, at least 1, at most 64.
for (const [cpu, arenas] of [[1, '1'], [2, '2'], [4, '4'], [8, '8'], [0.5, '1'], [2.5, '2'], [128, '64']] as const) {
  test(`serverEnvironment: ${cpu} CPU → MALLOC_ARENA_MAX=${arenas}`, () => {
    assert.deepEqual(serverEnvironment({ cpu }), { MALLOC_ARENA_MAX: arenas });
  });
}

const MiB = 1024 * 1024;
const BULK_CASES: Array<{ name: string; spec: Parameters<typeof bulkApplyMemory>[0]; during: [number, number]; after: [number, number] }> = [
  { name: 'smallest spec: the 128 MB pool grows to 80 % of 2 GB, the 64 MB redo log to 512 MB', spec: { cpu: 1, ramGb: 2, diskType: 'ssd_disk' }, during: [1536, 512], after: [128, 64] },
  { name: '8 GB: the pool grows from 60 % to 80 %, the redo log (1 GB) stays', spec: { cpu: 2, ramGb: 8, diskType: 'ssd_disk' }, during: [6528, 1024], after: [4864, 1024] },
  { name: 'the user\'s pool size is what it returns to', spec: { cpu: 1, ramGb: 2, diskType: 'ssd_disk', overrides: { innodb_buffer_pool_size: String(256 * MiB) } }, during: [1536, 512], after: [256, 64] },
];
for (const c of BULK_CASES) {
  test(`bulkApplyMemory: ${c.name}`, () => {
    const m = bulkApplyMemory(c.spec);
    assert.deepEqual([m.during.bufferPoolBytes / MiB, m.during.logFileBytes / MiB], c.during);
    assert.deepEqual([m.after.bufferPoolBytes / MiB, m.after.logFileBytes / MiB], c.after);
    assert.equal(m.after.bufferPoolBytes, c.spec.overrides?.innodb_buffer_pool_size ? Number(c.spec.overrides.innodb_buffer_pool_size) : memoryPlan(c.spec).bufferPoolMb * MiB, 'after = what the config renders');
  });
}
