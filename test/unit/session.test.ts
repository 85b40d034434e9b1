/** The pinned session of internal connections (src/engine/mariadb/session.ts). Pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INTERNAL_SESSION, INTERNAL_SQL_MODE, PIN_SESSION_SQL, pinSessionSql } from '../../src/engine/mariadb/session.js';
import { SQL_MODES } from '../../src/engine/mariadb/profile/parameters.js';

test('every variable is pinned once, with a reason', () => {
  const names = INTERNAL_SESSION.map((v) => v.name);
  assert.equal(new Set(names).size, names.length);
  for (const v of INTERNAL_SESSION) assert.ok(v.why.length > 10, v.name);
});

const MUST_PIN = ['sql_mode', 'max_statement_time', 'wait_timeout', 'lock_wait_timeout', 'group_concat_max_len', 'time_zone', 'autocommit',
  'character_set_client', 'character_set_connection', 'character_set_results', 'collation_connection', 'sql_select_limit'];
for (const name of MUST_PIN) {
  test(`${name} is pinned`, () => assert.ok(INTERNAL_SESSION.some((v) => v.name === name)));
}

test('the statement parses the same under any sql_mode: no backslash, no double quote, no ||, no empty string', () => {
  assert.doesNotMatch(PIN_SESSION_SQL, /\\|"|\|\||''/);
  for (const v of INTERNAL_SESSION) assert.match(v.value, /^(\d+|'[A-Za-z0-9_,+:-]+')$/, v.name);
});

test('exact statement form', () => {
  assert.equal(pinSessionSql([{ name: 'a', value: '1', why: '' }, { name: 'b', value: "'x'", why: '' }]), "SET SESSION a = 1, SESSION b = 'x'");
  assert.ok(PIN_SESSION_SQL.startsWith(`SET SESSION sql_mode = '${INTERNAL_SQL_MODE}', `));
});

test('the internal sql_mode has none of the flags that change parsing or output', () => {
  const flags = INTERNAL_SQL_MODE.split(',');
  for (const f of ['ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES', 'PIPES_AS_CONCAT', 'IGNORE_SPACE', 'HIGH_NOT_PRECEDENCE', 'EMPTY_STRING_IS_NULL']) {
    assert.ok(!flags.includes(f), f);
  }
  assert.ok(flags.includes('NO_AUTO_CREATE_USER'), 'a GRANT never creates a user');
  for (const f of flags) assert.ok((SQL_MODES as readonly string[]).includes(f), `${f} is an atomic flag`);
});
