/**
 * Privilege levels (src/accounts/privileges.ts): the table of spec §4.11, naming real grants by
 * level, and the DescribeDBAccount fields built from parsed SHOW GRANTS; internal accounts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allCreate, CUSTOM_LEVEL, databasePrivileges, levelOf, PRIVILEGE_LEVEL_NAMES, PRIVILEGE_LEVELS, privilegeDetail,
} from '../../src/accounts/privileges.js';
import { internalAccountProblem } from '../../src/accounts/policy.js';
import { DB_LEVEL_PRIVILEGES } from '../../src/engine/mariadb/sql.js';
import { parseShowGrants } from '../../src/engine/mariadb/grants.js';
import type { AccountGrants } from '../../src/engine/engine.js';

/** Spec §4.11, copied from the document: what DescribeDbPrivileges must show. */
const SPEC_TABLE: Record<string, string> = {
  ReadWrite: 'SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER',
  DMLOnly: 'SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, SHOW VIEW, EVENT, TRIGGER',
  ReadOnly: 'SELECT, LOCK TABLES, SHOW VIEW',
  DDLOnly: 'CREATE, DROP, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE',
};

test('the levels are exactly those of spec §4.11, in its order', () => {
  assert.deepEqual(PRIVILEGE_LEVEL_NAMES, ['ReadWrite', 'DMLOnly', 'ReadOnly', 'DDLOnly']);
  for (const l of PRIVILEGE_LEVEL_NAMES) assert.equal(privilegeDetail(PRIVILEGE_LEVELS[l]), SPEC_TABLE[l], l);
});

test('every level privilege is a database-level privilege of MariaDB', () => {
  for (const l of PRIVILEGE_LEVEL_NAMES) {
    for (const p of PRIVILEGE_LEVELS[l]) assert.ok((DB_LEVEL_PRIVILEGES as readonly string[]).includes(p), `${l}: ${p}`);
  }
});

test('no two levels grant the same set', () => {
  const keys = PRIVILEGE_LEVEL_NAMES.map((l) => [...PRIVILEGE_LEVELS[l]].sort().join(','));
  assert.equal(new Set(keys).size, keys.length);
});

const LEVEL_CASES: Array<{ name: string; privileges: string[]; want: string }> = [
  ...PRIVILEGE_LEVEL_NAMES.map((l) => ({ name: `exactly ${l}`, privileges: [...PRIVILEGE_LEVELS[l]], want: l as string })),
  ...PRIVILEGE_LEVEL_NAMES.map((l) => ({ name: `${l} reversed`, privileges: [...PRIVILEGE_LEVELS[l]].reverse(), want: l as string })),
  { name: 'lower case', privileges: ['select', 'lock tables', 'show view'], want: 'ReadOnly' },
  { name: 'extra spaces', privileges: [' SELECT', 'LOCK TABLES ', 'SHOW VIEW'], want: 'ReadOnly' },
  { name: 'ReadOnly plus INSERT', privileges: ['SELECT', 'LOCK TABLES', 'SHOW VIEW', 'INSERT'], want: CUSTOM_LEVEL },
  { name: 'ReadOnly minus SHOW VIEW', privileges: ['SELECT', 'LOCK TABLES'], want: CUSTOM_LEVEL },
  { name: 'SELECT alone', privileges: ['SELECT'], want: CUSTOM_LEVEL },
  { name: 'ALL PRIVILEGES', privileges: ['ALL PRIVILEGES'], want: CUSTOM_LEVEL },
  { name: 'ReadWrite with grant option', privileges: [...PRIVILEGE_LEVELS.ReadWrite, 'GRANT OPTION'], want: CUSTOM_LEVEL },
  { name: 'column privilege', privileges: ['SELECT (`a`)'], want: CUSTOM_LEVEL },
  { name: 'nothing', privileges: [], want: CUSTOM_LEVEL },
  { name: 'duplicates collapse', privileges: ['SELECT', 'SELECT', 'LOCK TABLES', 'SHOW VIEW'], want: 'ReadOnly' },
];

for (const c of LEVEL_CASES) {
  test(`levelOf: ${c.name}`, () => {
    assert.equal(levelOf(c.privileges), c.want);
  });
}

const grants = (lines: string[]): AccountGrants => parseShowGrants(lines);
const RW_TEXT = SPEC_TABLE.ReadWrite;

const DESCRIBE_CASES: Array<{ name: string; lines: string[]; privileges: unknown; allCreate: 'true' | 'false' }> = [
  { name: 'fresh Normal account', lines: ["GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AA'"], privileges: [], allCreate: 'false' },
  {
    name: 'ReadOnly on db1 (as ModifyDbPrivilege grants it)',
    lines: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db1`.* TO `app`@`%`'],
    privileges: [{ AccountPrivilegeType: 'ReadOnly', DBName: 'db1', TableName: '*', AccountPrivilegeDetail: SPEC_TABLE.ReadOnly }],
    allCreate: 'false',
  },
  {
    name: 'two databases, sorted by name, and AllCreate',
    lines: ['GRANT CREATE ON *.* TO `app`@`%`', 'GRANT SELECT, LOCK TABLES, SHOW VIEW ON `zeta`.* TO `app`@`%`', `GRANT ${RW_TEXT} ON \`alpha\`.* TO \`app\`@\`%\``],
    privileges: [
      { AccountPrivilegeType: 'ReadWrite', DBName: 'alpha', TableName: '*', AccountPrivilegeDetail: RW_TEXT },
      { AccountPrivilegeType: 'ReadOnly', DBName: 'zeta', TableName: '*', AccountPrivilegeDetail: SPEC_TABLE.ReadOnly },
    ],
    allCreate: 'true',
  },
  {
    name: 'a grant made outside the API shows as Custom with what is really granted',
    lines: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT INSERT, SELECT ON `db1`.* TO `app`@`%`'],
    privileges: [{ AccountPrivilegeType: CUSTOM_LEVEL, DBName: 'db1', TableName: '*', AccountPrivilegeDetail: 'SELECT, INSERT' }],
    allCreate: 'false',
  },
  {
    name: 'table-level grant keeps its table name',
    lines: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT SELECT ON `db1`.`orders` TO `app`@`%`', 'GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db1`.* TO `app`@`%`'],
    privileges: [
      { AccountPrivilegeType: 'ReadOnly', DBName: 'db1', TableName: '*', AccountPrivilegeDetail: SPEC_TABLE.ReadOnly },
      { AccountPrivilegeType: CUSTOM_LEVEL, DBName: 'db1', TableName: 'orders', AccountPrivilegeDetail: 'SELECT' },
    ],
    allCreate: 'false',
  },
  {
    name: 'escaped name is shown as the real database name',
    lines: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT SELECT, LOCK TABLES, SHOW VIEW ON `my\\_db`.* TO `app`@`%`'],
    privileges: [{ AccountPrivilegeType: 'ReadOnly', DBName: 'my_db', TableName: '*', AccountPrivilegeDetail: SPEC_TABLE.ReadOnly }],
    allCreate: 'false',
  },
  { name: 'global ALL PRIVILEGES counts as AllCreate', lines: ['GRANT ALL PRIVILEGES ON *.* TO `app`@`%`'], privileges: [], allCreate: 'true' },
  { name: 'global SELECT is not AllCreate', lines: ['GRANT SELECT ON *.* TO `app`@`%`'], privileges: [], allCreate: 'false' },
  { name: 'global CREATE USER is not AllCreate', lines: ['GRANT CREATE USER ON *.* TO `app`@`%`'], privileges: [], allCreate: 'false' },
];

for (const c of DESCRIBE_CASES) {
  test(`databasePrivileges/allCreate: ${c.name}`, () => {
    const g = grants(c.lines);
    assert.deepEqual(databasePrivileges(g), c.privileges);
    assert.equal(allCreate(g), c.allCreate);
  });
}

test('databasePrivileges does not modify its input', () => {
  const g = grants(['GRANT SELECT ON `b`.* TO `app`@`%`', 'GRANT SELECT ON `a`.* TO `app`@`%`']);
  const before = structuredClone(g);
  databasePrivileges(g);
  assert.deepEqual(g, before);
});

const INTERNAL_CASES: Array<{ name: string; account: string; stored: boolean; internal: boolean }> = [
  { name: 'the control plane admin', account: 'openrds_admin', stored: false, internal: true },
  { name: 'the admin even if a row claimed it', account: 'openrds_admin', stored: true, internal: true },
  { name: 'replication', account: 'openrds_repl', stored: false, internal: true },
  { name: 'monitoring', account: 'openrds_monitor', stored: false, internal: true },
  { name: 'any future openrds_ account', account: 'openrds_backup', stored: false, internal: true },
  { name: 'mariadb.sys', account: 'mariadb.sys', stored: false, internal: true },
  { name: 'mysql', account: 'mysql', stored: false, internal: true },
  { name: 'PUBLIC', account: 'PUBLIC', stored: false, internal: true },
  { name: 'upper-case spelling', account: 'OPENRDS_ADMIN', stored: false, internal: true },
  { name: 'root without a user row is root@localhost', account: 'root', stored: false, internal: true },
  { name: 'root made by CreateDBInstance Password is the user\'s', account: 'root', stored: true, internal: false },
  { name: 'an ordinary account', account: 'app', stored: true, internal: false },
  { name: 'an unknown ordinary name', account: 'nobody', stored: false, internal: false },
  { name: 'a name that merely contains openrds', account: 'my_openrds_app', stored: true, internal: false },
];

for (const c of INTERNAL_CASES) {
  test(`internalAccountProblem: ${c.name}`, () => {
    const why = internalAccountProblem(c.account, c.stored);
    if (c.internal) assert.match(why ?? '', /internal account/);
    else assert.equal(why, undefined);
  });
}
