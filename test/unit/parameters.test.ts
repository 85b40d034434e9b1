/**
 * Engine parameters: the MariaDB catalog (src/engine/mariadb/profile/parameters.ts), the pure decisions
 * of the ModifyDBParameter task (src/instances/parameter-plan.ts, restart.ts) and the list in
 * docs/parameters.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MARIADB_PARAMETERS as P, PROTECTED } from '../../src/engine/mariadb/profile/parameters.js';
import { memoryPlan } from '../../src/engine/mariadb/profile/mycnf.js';
import {
  decideOutcomes, decideRestarts, HISTORY_MESSAGE, previousValues, splitChanges, type NodeValues,
} from '../../src/instances/parameter-plan.js';
import { restartOrder } from '../../src/instances/restart.js';

const S1 = { cpu: 1, ramGb: 2, diskType: 'ssd_disk' };
const S8 = { cpu: 8, ramGb: 32, diskType: 'ssd_disk' };
const MB = 1024 * 1024;

// ---- the list --------------------------------------------------------------------------------

test('the curated list: 25–40 modifiable parameters, names unique', () => {
  const names = P.list().map((x) => x.name);
  assert.equal(new Set(names).size, names.length);
  const mod = P.list().filter((x) => x.modifiable);
  assert.ok(mod.length >= 25 && mod.length <= 40, `${mod.length} modifiable`);
});

test('the parameters the issue names are there, with the right restart flag', () => {
  const want: Record<string, boolean> = {
    max_connections: false, character_set_server: false, long_query_time: false, back_log: true, sql_mode: false, wait_timeout: false,
    innodb_lock_wait_timeout: false, slow_query_log: false, max_allowed_packet: false, table_open_cache: false, tmp_table_size: false,
    innodb_buffer_pool_size: false, event_scheduler: false, performance_schema: true,
  };
  for (const [name, restart] of Object.entries(want)) {
    const i = P.get(name);
    assert.ok(i, name);
    assert.equal(i.modifiable, true, name);
    assert.equal(i.restart, restart, name);
  }
});

test('every listed parameter has a description, a default and (when modifiable) a CheckingCode that accepts its default', () => {
  for (const i of P.list()) {
    assert.ok(i.description.length > 10, i.name);
    for (const s of [S1, S8]) {
      const d = P.defaultValue(i.name, s);
      assert.notEqual(d, '', i.name);
      if (!i.modifiable) {
        assert.equal(P.checkingCode(i.name, s), '', i.name);
        continue;
      }
      assert.match(P.checkingCode(i.name, s), /^(\[.+\]|\{.+\})$/, i.name);
      const r = P.check(i.name, d, s);
      assert.ok(r.ok, `${i.name} default ${d} is refused: ${!r.ok && r.why}`);
    }
  }
});

test('spec-derived defaults follow the memory formula', () => {
  const m = memoryPlan(S8);
  assert.equal(P.defaultValue('innodb_buffer_pool_size', S8), String(m.bufferPoolMb * MB));
  assert.equal(P.defaultValue('max_connections', S8), String(m.maxConnections));
  assert.equal(P.defaultValue('table_open_cache', S8), String(m.tableOpenCache));
  assert.equal(P.defaultValue('tmp_table_size', S1), String(32 * MB));
  assert.equal(P.defaultValue('back_log', S1), String(50 + 400 / 5));
});

test('docs/parameters.md lists every parameter and every protected name', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/parameters.md', import.meta.url)), 'utf8');
  for (const i of P.list()) assert.ok(doc.includes(`\`${i.name}\``), `${i.name} missing from docs/parameters.md`);
  for (const name of PROTECTED.keys()) assert.ok(doc.includes(`\`${name}\``), `protected ${name} missing from docs/parameters.md`);
});

// ---- check -----------------------------------------------------------------------------------

const CHECK_CASES: Array<{ name: string; param: string; value: string; spec?: typeof S1; want: string | RegExp }> = [
  { name: 'int in range', param: 'max_connections', value: '500', want: '500' },
  { name: 'int lower bound', param: 'max_connections', value: '10', want: '10' },
  { name: 'int below range', param: 'max_connections', value: '9', want: /integer in \[10-10000\]/ },
  { name: 'int above range', param: 'back_log', value: '65536', want: /\[1-65535\]/ },
  { name: 'int with spaces around', param: 'wait_timeout', value: ' 600 ', want: '600' },
  { name: 'leading zeros normalised', param: 'wait_timeout', value: '0600', want: '600' },
  { name: 'negative int', param: 'wait_timeout', value: '-1', want: /integer/ },
  { name: 'int with a unit suffix', param: 'max_allowed_packet', value: '64M', want: /integer/ },
  { name: 'decimal for an int', param: 'wait_timeout', value: '1.5', want: /integer/ },
  { name: 'int not a multiple', param: 'max_allowed_packet', value: '1000000', want: /multiple of 1024/ },
  { name: 'int multiple', param: 'max_allowed_packet', value: String(32 * MB), want: String(32 * MB) },
  { name: 'huge int', param: 'group_concat_max_len', value: '99999999999999999999', want: /integer/ },
  { name: 'buffer pool multiple of 128M', param: 'innodb_buffer_pool_size', value: String(768 * MB), want: String(768 * MB) },
  { name: 'buffer pool not a multiple', param: 'innodb_buffer_pool_size', value: String(200 * MB), want: /multiple of 134217728/ },
  { name: 'buffer pool above 80% of a 2 GB spec', param: 'innodb_buffer_pool_size', value: String(1664 * MB), want: /\[134217728-1610612736\]/ },
  { name: 'buffer pool fits a 32 GB spec', param: 'innodb_buffer_pool_size', value: String(16384 * MB), spec: S8, want: String(16384 * MB) },
  { name: 'float', param: 'long_query_time', value: '0.5', want: '0.5' },
  { name: 'float as int', param: 'long_query_time', value: '2', want: '2' },
  { name: 'float normalised', param: 'long_query_time', value: '2.50', want: '2.5' },
  { name: 'float too precise', param: 'long_query_time', value: '0.0000001', want: /number/ },
  { name: 'float out of range', param: 'long_query_time', value: '3601', want: /\[0-3600\]/ },
  { name: 'float not a number', param: 'long_query_time', value: 'abc', want: /number/ },
  { name: 'ON', param: 'slow_query_log', value: 'ON', want: 'ON' },
  { name: 'on (case)', param: 'slow_query_log', value: 'on', want: 'ON' },
  { name: 'not ON/OFF', param: 'slow_query_log', value: '1', want: /\[ON\|OFF\]/ },
  { name: 'enum', param: 'tx_isolation', value: 'read-committed', want: 'READ-COMMITTED' },
  { name: 'enum unknown', param: 'character_set_server', value: 'utf16', want: /one of/ },
  { name: 'enum exact case kept', param: 'character_set_server', value: 'UTF8MB4', want: 'utf8mb4' },
  { name: 'set in server order', param: 'sql_mode', value: 'no_engine_substitution, strict_trans_tables', want: 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' },
  { name: 'set duplicates collapse', param: 'sql_mode', value: 'ANSI_QUOTES,ANSI_QUOTES', want: 'ANSI_QUOTES' },
  { name: 'set unknown flag', param: 'sql_mode', value: 'STRICT_TRANS_TABLES,BOGUS', want: /BOGUS is not allowed/ },
  { name: 'composite sql_mode refused', param: 'sql_mode', value: 'TRADITIONAL', want: /TRADITIONAL is not allowed/ },
  { name: 'NO_BACKSLASH_ESCAPES accepted (internal sessions pin their own sql_mode)', param: 'sql_mode', value: 'no_backslash_escapes,ANSI_QUOTES', want: 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES' },
  { name: 'composite ORACLE refused', param: 'sql_mode', value: 'ORACLE', want: /ORACLE is not allowed/ },
  { name: 'empty set', param: 'sql_mode', value: ',', want: /comma-separated/ },
  { name: 'dashes in the name', param: 'max-connections', value: '100', want: '100' },
  { name: 'upper-case name', param: 'MAX_CONNECTIONS', value: '100', want: '100' },
  { name: 'unknown parameter', param: 'innodb_fake_thing', value: '1', want: /not a tunable parameter/ },
  { name: 'protected: datadir', param: 'datadir', value: '/tmp', want: /datadir is protected/ },
  { name: 'protected: port', param: 'port', value: '3307', want: /port is protected/ },
  { name: 'protected: bind-address', param: 'bind-address', value: '0.0.0.0', want: /bind_address is protected/ },
  { name: 'protected: log_bin', param: 'log_bin', value: 'OFF', want: /log_bin is protected/ },
  { name: 'protected: binlog_format', param: 'binlog_format', value: 'STATEMENT', want: /binlog_format is protected/ },
  { name: 'protected: a gtid_ setting', param: 'gtid_domain_id', value: '2', want: /gtid_domain_id is protected/ },
  { name: 'protected: server_id', param: 'server_id', value: '2', want: /server_id is protected/ },
  { name: 'protected: read_only', param: 'read_only', value: 'ON', want: /read_only is protected/ },
  { name: 'protected: init_file', param: 'init_file', value: '/tmp/x.sql', want: /init_file is protected/ },
  { name: 'protected: semi-sync', param: 'rpl_semi_sync_master_enabled', value: 'OFF', want: /protected/ },
  { name: 'protected: durability', param: 'innodb_flush_log_at_trx_commit', value: '2', want: /protected: an acknowledged commit/ },
  { name: 'protected: lower_case_table_names', param: 'lower_case_table_names', value: '1', want: /protected: it can only be chosen/ },
  { name: 'log_bin_trust_function_creators is tunable despite the log_bin prefix', param: 'log_bin_trust_function_creators', value: 'ON', want: 'ON' },
];

for (const c of CHECK_CASES) {
  test(`check: ${c.name}`, () => {
    const r = P.check(c.param, c.value, c.spec ?? S1);
    if (typeof c.want === 'string') assert.deepEqual(r, { ok: true, value: c.want });
    else {
      assert.equal(r.ok, false);
      assert.match((r as { why: string }).why, c.want);
    }
  });
}

test('every protected name is refused and every tunable one is not protected', () => {
  for (const name of PROTECTED.keys()) assert.match(P.protectedReason(name) ?? '', /protected/, name);
  for (const i of P.list()) assert.equal(P.protectedReason(i.name) === undefined, i.modifiable, i.name);
});

const CODE_CASES: Array<{ param: string; spec?: typeof S1; want: string }> = [
  { param: 'back_log', want: '[1-65535]' },
  { param: 'slow_query_log', want: '[ON|OFF]' },
  { param: 'long_query_time', want: '[0-3600]' },
  { param: 'innodb_buffer_pool_size', want: '[134217728-1610612736]' },
  { param: 'innodb_buffer_pool_size', spec: S8, want: '[134217728-27380416512]' },
  { param: 'tx_isolation', want: '[READ-UNCOMMITTED|READ-COMMITTED|REPEATABLE-READ|SERIALIZABLE]' },
  { param: 'binlog_format', want: '' },
];

for (const c of CODE_CASES) {
  test(`checkingCode: ${c.param}${c.spec ? ' (8C32G)' : ''} is ${c.want || 'empty'}`, () => {
    assert.equal(P.checkingCode(c.param, c.spec ?? S1), c.want);
  });
}

const SAME_CASES: Array<{ param: string; a: string; b: string; want: boolean }> = [
  { param: 'long_query_time', a: '1.000000', b: '1', want: true },
  { param: 'long_query_time', a: '0.500000', b: '0.5', want: true },
  { param: 'long_query_time', a: '1.000000', b: '2', want: false },
  { param: 'max_connections', a: '500', b: '500', want: true },
  { param: 'max_connections', a: '', b: '0', want: false },
  { param: 'slow_query_log', a: 'OFF', b: 'off', want: true },
  { param: 'sql_mode', a: 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION', b: 'NO_ENGINE_SUBSTITUTION,STRICT_TRANS_TABLES', want: true },
  { param: 'sql_mode', a: 'STRICT_TRANS_TABLES', b: 'STRICT_TRANS_TABLES,ANSI_QUOTES', want: false },
  { param: 'character_set_server', a: 'utf8mb4', b: 'latin1', want: false },
];

for (const c of SAME_CASES) {
  test(`same: ${c.param} ${JSON.stringify(c.a)} vs ${JSON.stringify(c.b)} → ${c.want}`, () => {
    assert.equal(P.same(c.param, c.a, c.b), c.want);
  });
}

// ---- task decisions --------------------------------------------------------------------------

const node = (nodeId: string, role: string, values: Record<string, string>): NodeValues => ({ nodeId, role, values });

test('splitChanges: restart-only ones apart, order kept', () => {
  const r = splitChanges([{ name: 'wait_timeout', value: '1' }, { name: 'back_log', value: '9' }, { name: 'sql_mode', value: 'ANSI_QUOTES' }], P);
  assert.deepEqual(r.dynamic.map((c) => c.name), ['wait_timeout', 'sql_mode']);
  assert.deepEqual(r.restart.map((c) => c.name), ['back_log']);
});

const RESTART_CASES: Array<{ name: string; live: NodeValues[]; want: string[] }> = [
  { name: 'single node with the old value', live: [node('n1', 'primary', { back_log: '130' })], want: ['n1'] },
  { name: 'single node already restarted', live: [node('n1', 'primary', { back_log: '120' })], want: [] },
  { name: 'primary last', live: [node('p', 'primary', { back_log: '130' }), node('s', 'standby', { back_log: '130' })], want: ['s', 'p'] },
  { name: 'replicas and standby before the primary, in node order', live: [node('r1', 'replica', { back_log: '1' }), node('p', 'primary', { back_log: '1' }), node('s', 'standby', { back_log: '1' })], want: ['r1', 's', 'p'] },
  { name: 'after a crash half-way: only the primary is left', live: [node('p', 'primary', { back_log: '130' }), node('s', 'standby', { back_log: '120' })], want: ['p'] },
  { name: 'a node that does not report the variable is restarted', live: [node('n1', 'primary', {})], want: ['n1'] },
  { name: 'no nodes', live: [], want: [] },
];

for (const c of RESTART_CASES) {
  test(`decideRestarts: ${c.name}`, () => {
    assert.deepEqual(decideRestarts([{ name: 'back_log', value: '120' }], c.live, P.same), c.want);
  });
}

test('decideRestarts: no restart-only change, no restart', () => {
  assert.deepEqual(decideRestarts([], [node('n1', 'primary', { back_log: '1' })], P.same), []);
});

test('decideRestarts: two parameters, one already right on a node', () => {
  const ch = [{ name: 'back_log', value: '120' }, { name: 'performance_schema', value: 'ON' }];
  assert.deepEqual(decideRestarts(ch, [node('p', 'primary', { back_log: '120', performance_schema: 'OFF' })], P.same), ['p']);
  assert.deepEqual(decideRestarts(ch, [node('p', 'primary', { back_log: '120', performance_schema: 'ON' })], P.same), []);
});

const OUTCOME_CASES: Array<{ name: string; live: NodeValues[]; valid: boolean; message: string | RegExp }> = [
  { name: 'every node runs it', live: [node('p', 'primary', { long_query_time: '2.000000' }), node('s', 'standby', { long_query_time: '2.000000' })], valid: true, message: HISTORY_MESSAGE.valid },
  { name: 'one node does not', live: [node('p', 'primary', { long_query_time: '2.000000' }), node('s', 'standby', { long_query_time: '1.000000' })], valid: false, message: /^未生效: node s runs 1\.000000$/ },
  { name: 'a node did not report it', live: [node('p', 'primary', {})], valid: false, message: /node p runs \(unknown\)/ },
  { name: 'no node answered', live: [], valid: false, message: /no node answered/ },
];

for (const c of OUTCOME_CASES) {
  test(`decideOutcomes: ${c.name}`, () => {
    const [o] = decideOutcomes([{ name: 'long_query_time', value: '2' }], c.live, P.same);
    assert.equal(o!.valid, c.valid);
    if (typeof c.message === 'string') assert.equal(o!.message, c.message);
    else assert.match(o!.message, c.message);
  });
}

test('previousValues: the stored value, or null where the parameter was at its default', () => {
  assert.deepEqual(
    previousValues([{ name: 'back_log', value: '120' }, { name: 'wait_timeout', value: '60' }], { wait_timeout: '600', sql_mode: 'ANSI_QUOTES' }),
    { back_log: null, wait_timeout: '600' },
  );
});

test('restartOrder keeps node order within the non-primary nodes and does not modify its input', () => {
  const nodes = [{ id: 'a', role: 'primary' }, { id: 'b', role: 'replica' }, { id: 'c', role: 'standby' }];
  const before = structuredClone(nodes);
  assert.deepEqual(restartOrder(nodes).map((n) => n.id), ['b', 'c', 'a']);
  assert.deepEqual(nodes, before);
});
