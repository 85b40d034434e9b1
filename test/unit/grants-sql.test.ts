/**
 * SQL of user privileges (src/engine/mariadb/sql.ts): GRANT/REVOKE builders, the plan that moves
 * a grant to a level, and the SHOW GRANTS parser. The parser's inputs are real MariaDB 10.11 lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dbGrantIdent, DB_LEVEL_PRIVILEGES, grantDatabaseSql, planDatabasePrivileges, revokeDatabaseSql,
  setGlobalPrivilegeSql, setGlobalSql, showGrantsSql, showVariablesSql, unescapeDbPattern, databaseExistsSql,
} from '../../src/engine/mariadb/sql.js';
import { parseGrantLine, parseShowGrants } from '../../src/engine/mariadb/grants.js';
import { PRIVILEGE_LEVELS } from '../../src/accounts/privileges.js';

const RW = PRIVILEGE_LEVELS.ReadWrite;
const RO = PRIVILEGE_LEVELS.ReadOnly;
const RW_TEXT = RW.join(', ');

// ---- parseGrantLine ----------------------------------------------------------------------------

type Parsed = ReturnType<typeof parseGrantLine>;
const LINE_CASES: Array<{ name: string; line: string; want: Parsed }> = [
  { name: 'global USAGE with password', line: "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*B69027D44F6E5EDC07F1AEAD1477967B16F28227'", want: { privileges: ['USAGE'], db: '*', table: '*' } },
  { name: 'global CREATE', line: "GRANT CREATE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*B6'", want: { privileges: ['CREATE'], db: '*', table: '*' } },
  { name: 'global ALL with grant option', line: 'GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION', want: { privileges: ['ALL PRIVILEGES', 'GRANT OPTION'], db: '*', table: '*' } },
  { name: 'ReadWrite on a database', line: `GRANT ${RW_TEXT} ON \`db1\`.* TO \`app\`@\`%\``, want: { privileges: [...RW], db: 'db1', table: '*' } },
  { name: 'ReadOnly on a database', line: 'GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db1`.* TO `app`@`%`', want: { privileges: ['SELECT', 'LOCK TABLES', 'SHOW VIEW'], db: 'db1', table: '*' } },
  { name: 'escaped underscore is the literal name', line: 'GRANT SELECT ON `my\\_db`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'my_db', table: '*' } },
  { name: 'escaped percent', line: 'GRANT SELECT ON `a\\%b`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'a%b', table: '*' } },
  { name: 'unescaped wildcard stays a pattern', line: 'GRANT SELECT ON `db_2`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'db_2', table: '*' } },
  { name: 'doubled backtick in a name', line: 'GRANT SELECT ON `we``ird`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'we`ird', table: '*' } },
  { name: 'dot inside a quoted name', line: 'GRANT SELECT ON `a.b`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'a.b', table: '*' } },
  { name: '" ON " inside a quoted name', line: 'GRANT SELECT ON `x ON y`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'x ON y', table: '*' } },
  { name: 'unicode database', line: 'GRANT SELECT ON `数据库`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: '数据库', table: '*' } },
  { name: 'table-level grant', line: 'GRANT SELECT ON `db1`.`t` TO `app`@`%`', want: { privileges: ['SELECT'], db: 'db1', table: 't' } },
  { name: 'column privileges keep their column list', line: 'GRANT SELECT (`a`, `b`), INSERT ON `db1`.`t` TO `app`@`%`', want: { privileges: ['SELECT (`a`, `b`)', 'INSERT'], db: 'db1', table: 't' } },
  { name: 'database-level ALL', line: 'GRANT ALL PRIVILEGES ON `a\\_b`.* TO `app`@`%`', want: { privileges: ['ALL PRIVILEGES'], db: 'a_b', table: '*' } },
  { name: 'database grant with grant option', line: 'GRANT SELECT ON `db1`.* TO `app`@`%` WITH GRANT OPTION', want: { privileges: ['SELECT', 'GRANT OPTION'], db: 'db1', table: '*' } },
  { name: 'bare identifiers', line: 'GRANT SELECT ON db1.* TO app@%', want: { privileges: ['SELECT'], db: 'db1', table: '*' } },
  { name: 'lower-case privilege names are normalised', line: 'GRANT select, lock tables ON `db1`.* TO `app`@`%`', want: { privileges: ['SELECT', 'LOCK TABLES'], db: 'db1', table: '*' } },
  { name: '"WITH GRANT OPTION" inside the password is not an option', line: "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD ' WITH GRANT OPTION'", want: { privileges: ['USAGE'], db: '*', table: '*' } },
  { name: 'role grant', line: 'GRANT `dev` TO `app`@`%`', want: undefined },
  { name: 'proxy grant', line: "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION", want: undefined },
  { name: 'procedure grant', line: 'GRANT EXECUTE ON PROCEDURE `db1`.`p` TO `app`@`%`', want: undefined },
  { name: 'function grant', line: 'GRANT EXECUTE ON FUNCTION `db1`.`f` TO `app`@`%`', want: undefined },
  { name: 'package grant', line: 'GRANT EXECUTE ON PACKAGE BODY `db1`.`p` TO `app`@`%`', want: undefined },
  { name: 'not a grant', line: 'REVOKE SELECT ON `db1`.* FROM `app`@`%`', want: undefined },
  { name: 'empty', line: '', want: undefined },
  { name: 'unterminated identifier', line: 'GRANT SELECT ON `db1.* TO `app`@`%`', want: undefined },
  { name: 'star table of a star database only', line: 'GRANT SELECT ON *.`t` TO `app`@`%`', want: undefined },
];

for (const c of LINE_CASES) {
  test(`parseGrantLine: ${c.name}`, () => {
    assert.deepEqual(parseGrantLine(c.line), c.want);
  });
}

// ---- parseShowGrants ---------------------------------------------------------------------------

const SHOW_CASES: Array<{ name: string; lines: string[]; want: ReturnType<typeof parseShowGrants> }> = [
  { name: 'new Normal account', lines: ["GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AA'"], want: { global: [], objects: [] } },
  {
    name: 'Normal account with two databases and AllCreate',
    lines: [
      "GRANT CREATE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AA'",
      `GRANT ${RW_TEXT} ON \`db1\`.* TO \`app\`@\`%\``,
      'GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db2`.* TO `app`@`%`',
    ],
    want: { global: ['CREATE'], objects: [{ db: 'db1', table: '*', privileges: [...RW] }, { db: 'db2', table: '*', privileges: [...RO] }] },
  },
  {
    name: 'a grant option alone on a database (USAGE … WITH GRANT OPTION)',
    lines: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT USAGE ON `db9`.* TO `app`@`%` WITH GRANT OPTION'],
    want: { global: [], objects: [{ db: 'db9', table: '*', privileges: ['GRANT OPTION'] }] },
  },
  {
    name: 'USAGE alone on a database is no grant',
    lines: ['GRANT USAGE ON `db9`.* TO `app`@`%`'],
    want: { global: [], objects: [] },
  },
  {
    name: 'duplicate object lines merge',
    lines: ['GRANT SELECT ON `db1`.* TO `app`@`%`', 'GRANT INSERT, SELECT ON `db1`.* TO `app`@`%`'],
    want: { global: [], objects: [{ db: 'db1', table: '*', privileges: ['SELECT', 'INSERT'] }] },
  },
  {
    name: 'roles and routines are skipped, tables kept',
    lines: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT `dev` TO `app`@`%`', 'GRANT EXECUTE ON PROCEDURE `db1`.`p` TO `app`@`%`', 'GRANT SELECT ON `db1`.`t` TO `app`@`%`'],
    want: { global: [], objects: [{ db: 'db1', table: 't', privileges: ['SELECT'] }] },
  },
  {
    name: 'the Super account',
    lines: ["GRANT SELECT, INSERT, CREATE USER ON *.* TO `admin1`@`%` IDENTIFIED BY PASSWORD '*AA' WITH GRANT OPTION"],
    want: { global: ['SELECT', 'INSERT', 'CREATE USER', 'GRANT OPTION'], objects: [] },
  },
  { name: 'nothing', lines: [], want: { global: [], objects: [] } },
];

for (const c of SHOW_CASES) {
  test(`parseShowGrants: ${c.name}`, () => {
    assert.deepEqual(parseShowGrants(c.lines), c.want);
  });
}

// ---- builders ----------------------------------------------------------------------------------

const IDENT_CASES: Array<{ name: string; db: string; want: string }> = [
  { name: 'plain', db: 'db1', want: '`db1`' },
  { name: 'underscore escaped (no wildcard)', db: 'my_db', want: '`my\\_db`' },
  { name: 'percent escaped', db: 'a%b', want: '`a\\%b`' },
  { name: 'backslash escaped', db: 'a\\b', want: '`a\\\\b`' },
  { name: 'backtick doubled', db: 'a`b', want: '`a``b`' },
  { name: 'injection attempt stays one identifier', db: 'x`.* TO `evil`@`%`; --', want: '`x``.* TO ``evil``@``\\%``; --`' },
];

for (const c of IDENT_CASES) {
  test(`dbGrantIdent: ${c.name}`, () => {
    assert.equal(dbGrantIdent(c.db), c.want);
    const inner = c.want.slice(1, -1).replace(/``/g, '`');
    assert.equal(unescapeDbPattern(inner), c.db, 'SHOW GRANTS reads back the same name');
  });
}

test('grantDatabaseSql: ReadOnly on db1', () => {
  assert.equal(grantDatabaseSql('app', 'db1', RO), "GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db1`.* TO 'app'@'%'");
});

test('revokeDatabaseSql: ALL (MariaDB refuses "ALL PRIVILEGES, GRANT OPTION ON db.*")', () => {
  assert.equal(revokeDatabaseSql('app', 'my_db', 'ALL'), "REVOKE ALL PRIVILEGES ON `my\\_db`.* FROM 'app'@'%'");
});

test('revokeDatabaseSql: a list', () => {
  assert.equal(revokeDatabaseSql('app', 'db1', ['INSERT', 'UPDATE']), "REVOKE INSERT, UPDATE ON `db1`.* FROM 'app'@'%'");
});

test('grant builders refuse anything that is not a privilege name', () => {
  for (const bad of ['SELECT; DROP DATABASE x', 'select', '', 'SELECT,INSERT', 'ALL`']) {
    assert.throws(() => grantDatabaseSql('app', 'db1', [bad]), /not a privilege name/, bad);
    assert.throws(() => setGlobalPrivilegeSql('app', bad, true), /not a privilege name/, bad);
  }
});

test('setGlobalPrivilegeSql: grant and revoke CREATE', () => {
  assert.equal(setGlobalPrivilegeSql('app', 'CREATE', true), "GRANT CREATE ON *.* TO 'app'@'%'");
  assert.equal(setGlobalPrivilegeSql('app', 'CREATE', false), "REVOKE CREATE ON *.* FROM 'app'@'%'");
});

test('showGrantsSql and databaseExistsSql escape their arguments', () => {
  assert.equal(showGrantsSql("a'b"), "SHOW GRANTS FOR 'a\\'b'@'%'");
  assert.equal(databaseExistsSql("x' OR '1'='1"), "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'x\\' OR \\'1\\'=\\'1'");
});

// ---- planDatabasePrivileges --------------------------------------------------------------------

const grantRO = "GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db1`.* TO 'app'@'%'";
const grantRW = `GRANT ${RW_TEXT} ON \`db1\`.* TO 'app'@'%'`;
const PLAN_CASES: Array<{ name: string; current: string[] | undefined; target: readonly string[]; want: string[] }> = [
  { name: 'no grant → ReadOnly', current: undefined, target: RO, want: [grantRO] },
  { name: 'ReadOnly again: nothing to do', current: [...RO], target: RO, want: [] },
  { name: 'same set in another order: nothing to do', current: ['SHOW VIEW', 'SELECT', 'LOCK TABLES'], target: RO, want: [] },
  { name: 'ReadOnly → ReadWrite: grant only', current: [...RO], target: RW, want: [grantRW] },
  {
    name: 'ReadWrite → ReadOnly: the extra privileges are revoked',
    current: [...RW],
    target: RO,
    want: [`REVOKE ${RW.filter((p) => !(RO as readonly string[]).includes(p)).join(', ')} ON \`db1\`.* FROM 'app'@'%'`],
  },
  {
    name: 'DDLOnly → DMLOnly: grant first, then revoke',
    current: [...PRIVILEGE_LEVELS.DDLOnly],
    target: PRIVILEGE_LEVELS.DMLOnly,
    want: [
      `GRANT ${PRIVILEGE_LEVELS.DMLOnly.join(', ')} ON \`db1\`.* TO 'app'@'%'`,
      "REVOKE CREATE, DROP, INDEX, ALTER, CREATE VIEW, CREATE ROUTINE, ALTER ROUTINE ON `db1`.* FROM 'app'@'%'",
    ],
  },
  {
    name: 'ALL PRIVILEGES → ReadOnly: ALL is expanded, the rest revoked',
    current: ['ALL PRIVILEGES'],
    target: RO,
    want: [`REVOKE ${DB_LEVEL_PRIVILEGES.filter((p) => !(RO as readonly string[]).includes(p)).join(', ')} ON \`db1\`.* FROM 'app'@'%'`],
  },
  { name: 'grant option is revoked', current: [...RO, 'GRANT OPTION'], target: RO, want: ["REVOKE GRANT OPTION ON `db1`.* FROM 'app'@'%'"] },
  { name: 'revoke all of an existing grant', current: [...RO], target: [], want: ["REVOKE ALL PRIVILEGES ON `db1`.* FROM 'app'@'%'"] },
  {
    name: 'revoke all with a grant option: ALL does not take the option away, so it goes separately',
    current: [...RO, 'GRANT OPTION'],
    target: [],
    want: ["REVOKE ALL PRIVILEGES ON `db1`.* FROM 'app'@'%'", "REVOKE GRANT OPTION ON `db1`.* FROM 'app'@'%'"],
  },
  { name: 'revoke a grant option alone', current: ['GRANT OPTION'], target: [], want: ["REVOKE GRANT OPTION ON `db1`.* FROM 'app'@'%'"] },
  { name: 'revoke all where there is no grant: nothing (no error 1141)', current: undefined, target: [], want: [] },
  { name: 'revoke all where the grant is empty: nothing', current: [], target: [], want: [] },
];

for (const c of PLAN_CASES) {
  test(`planDatabasePrivileges: ${c.name}`, () => {
    assert.deepEqual(planDatabasePrivileges('app', 'db1', c.current, c.target), c.want);
  });
}

// ---- parameters ------------------------------------------------------------------------------

const SET_CASES: Array<{ name: string; var: string; value: string; want: string }> = [
  { name: 'integer unquoted', var: 'max_connections', value: '500', want: 'SET GLOBAL max_connections = 500' },
  { name: 'decimal unquoted', var: 'long_query_time', value: '0.5', want: 'SET GLOBAL long_query_time = 0.5' },
  { name: 'word quoted', var: 'slow_query_log', value: 'ON', want: "SET GLOBAL slow_query_log = 'ON'" },
  { name: 'set quoted', var: 'sql_mode', value: 'STRICT_TRANS_TABLES,NO_ZERO_DATE', want: "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE'" },
  { name: 'dash value quoted', var: 'tx_isolation', value: 'READ-COMMITTED', want: "SET GLOBAL tx_isolation = 'READ-COMMITTED'" },
  { name: 'quote in a value is escaped', var: 'sql_mode', value: "x'; SHUTDOWN; --", want: "SET GLOBAL sql_mode = 'x\\'; SHUTDOWN; --'" },
  { name: 'negative is not a number here', var: 'x', value: '-1', want: "SET GLOBAL x = '-1'" },
];

for (const c of SET_CASES) {
  test(`setGlobalSql: ${c.name}`, () => {
    assert.equal(setGlobalSql(c.var, c.value), c.want);
  });
}

test('setGlobalSql and showVariablesSql refuse names that are not variable names', () => {
  for (const bad of ['max_connections = 1; SHUTDOWN', 'A', '', '1x', 'a-b', 'a b']) {
    assert.throws(() => setGlobalSql(bad, '1'), /not a variable name/, bad);
    assert.throws(() => showVariablesSql([bad]), /not a variable name/, bad);
  }
});

test('showVariablesSql: one query for every name', () => {
  assert.equal(showVariablesSql(['back_log', 'sql_mode']), "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('back_log', 'sql_mode')");
});
