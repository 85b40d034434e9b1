/**
 * User parameters in my.cnf (withOverrides in src/engine/mariadb/profile/mycnf.ts): replaced in place,
 * the rest appended, the collation dropped with a user character set, and a golden file.
 * To accept an intended change: OPENRDS_UPDATE_GOLDEN=1 node --import tsx --test test/unit/mycnf-overrides.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodePaths, NodeSpec } from '../../src/engine/engine.js';
import { renderMyCnf, withOverrides } from '../../src/engine/mariadb/profile/mycnf.js';

const GOLDEN = fileURLToPath(new URL('../golden/primary-1c2g-parameters.cnf', import.meta.url));
const dir = '/var/lib/openrds/nodes/n1';
const paths: NodePaths = {
  dir, datadir: `${dir}/data`, config: `${dir}/my.cnf`, initFile: `${dir}/init.sql`, socket: `${dir}/mysqld.sock`,
  pidFile: `${dir}/mysqld.pid`, errorLog: `${dir}/error.log`, tmpdir: `${dir}/tmp`,
};
const spec = (overrides?: Record<string, string>): NodeSpec => ({
  nodeId: 'n1', serverId: 1, ip: '127.10.0.2', port: 3306, cpu: 1, ramGb: 2, diskGb: 100, diskType: 'ssd_disk', timeZone: '+08:00',
  role: 'primary', ...(overrides ? { overrides } : {}),
});

/** `key = value` settings of a rendered config, in order. */
const settings = (cnf: string) => cnf.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ') as [string, string]);
const get = (cnf: string, k: string) => settings(cnf).filter(([x]) => x === k).map(([, v]) => v);

test('golden: user parameters of every kind', () => {
  const got = renderMyCnf(spec({
    max_connections: '800', back_log: '120', sql_mode: 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION', long_query_time: '0.5',
    innodb_buffer_pool_size: '805306368', character_set_server: 'latin1', performance_schema: 'ON', wait_timeout: '600',
  }), paths);
  if (process.env.OPENRDS_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, got);
  assert.equal(got, readFileSync(GOLDEN, 'utf8'));
});

test('no overrides (absent or empty) renders exactly what the spec alone renders', () => {
  assert.equal(renderMyCnf(spec({}), paths), renderMyCnf(spec(), paths));
});

const CASES: Array<{ name: string; overrides: Record<string, string>; check: (cnf: string) => void }> = [
  { name: 'a rendered setting is replaced in place, not repeated', overrides: { max_connections: '800' }, check: (c) => {
    assert.deepEqual(get(c, 'max_connections'), ['800']);
    assert.ok(settings(c).findIndex(([k]) => k === 'max_connections') < settings(c).findIndex(([k]) => k === 'tmp_table_size'));
  } },
  { name: 'a new setting is appended under a comment', overrides: { back_log: '120' }, check: (c) => {
    const lines = c.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'back_log = 120');
    assert.match(lines.at(-2)!, /^# user parameters/);
  } },
  { name: 'appended settings are sorted by name', overrides: { wait_timeout: '1', back_log: '2', event_scheduler: 'ON' }, check: (c) => {
    assert.deepEqual(c.trimEnd().split('\n').slice(-3), ['back_log = 2', 'event_scheduler = ON', 'wait_timeout = 1']);
  } },
  { name: 'the spec value survives for settings the user did not touch', overrides: { wait_timeout: '1' }, check: (c) => {
    assert.deepEqual(get(c, 'innodb_buffer_pool_size'), ['128M']);
  } },
  { name: 'a user character set drops the fixed collation', overrides: { character_set_server: 'latin1' }, check: (c) => {
    assert.deepEqual(get(c, 'character_set_server'), ['latin1']);
    assert.deepEqual(get(c, 'collation_server'), []);
  } },
  { name: 'utf8mb4 kept: collation kept', overrides: { wait_timeout: '1' }, check: (c) => {
    assert.deepEqual(get(c, 'collation_server'), ['utf8mb4_general_ci']);
  } },
  { name: 'sql_mode with commas is one value', overrides: { sql_mode: 'ANSI_QUOTES,STRICT_ALL_TABLES' }, check: (c) => {
    assert.deepEqual(get(c, 'sql_mode'), ['ANSI_QUOTES,STRICT_ALL_TABLES']);
  } },
  { name: 'an empty value is written quoted', overrides: { sql_mode: '' }, check: (c) => {
    assert.deepEqual(get(c, 'sql_mode'), ['""']);
  } },
  { name: 'the node-owned settings are untouched', overrides: { wait_timeout: '1' }, check: (c) => {
    assert.deepEqual(get(c, 'datadir'), [`${dir}/data`]);
    assert.deepEqual(get(c, 'port'), ['3306']);
  } },
];

for (const c of CASES) test(`overrides: ${c.name}`, () => c.check(renderMyCnf(spec(c.overrides), paths)));

const BAD: Array<{ name: string; overrides: Record<string, string>; want: RegExp }> = [
  { name: 'newline in a value would add a setting', overrides: { wait_timeout: '1\ninit_file = /tmp/x' }, want: /invalid value for wait_timeout/ },
  { name: 'a section header in a name', overrides: { '[client]': '1' }, want: /invalid parameter name/ },
  { name: 'space in a value', overrides: { sql_mode: 'a b' }, want: /invalid value/ },
  { name: 'quote in a value', overrides: { sql_mode: "a'" }, want: /invalid value/ },
  { name: 'upper-case name', overrides: { MAX_CONNECTIONS: '1' }, want: /invalid parameter name/ },
];

for (const c of BAD) {
  test(`overrides refused: ${c.name}`, () => {
    assert.throws(() => withOverrides([['x', 1]], c.overrides), c.want);
  });
}
