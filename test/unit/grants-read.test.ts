/**
 * Reading SHOW GRANTS (src/engine/mariadb/grants.ts): both quotings the server prints (backquotes,
 * and double quotes under ANSI_QUOTES), the strictness that keeps an unread line from looking like
 * "no grant", and the read-back checks every account and privilege change runs before it reports
 * success. The literal lines are copied from a real MariaDB 10.11.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accountProblem, databaseGrantProblem, globalPrivilegeProblem, parseGrantLine, parseShowGrants, passwordHashOf, UnreadableGrantError,
} from '../../src/engine/mariadb/grants.js';
import { dbGrantIdent, SUPER_GLOBAL_PRIVILEGES, SUPER_WITHHELD } from '../../src/engine/mariadb/sql.js';
import { PRIVILEGE_LEVELS } from '../../src/accounts/privileges.js';
import type { AccountGrants } from '../../src/engine/engine.js';

const HASH = '*7446F64EFCFB1294A6DE20CAE7E49C2377A9AA25';

const LINES: Array<{ name: string; line: string; want: ReturnType<typeof parseGrantLine> }> = [
  { name: 'ANSI_QUOTES: global with password', line: `GRANT USAGE ON *.* TO "app"@"%" IDENTIFIED BY PASSWORD '${HASH}'`, want: { privileges: ['USAGE'], db: '*', table: '*' } },
  { name: 'ANSI_QUOTES: database', line: 'GRANT SELECT ON "db1".* TO "app"@"%"', want: { privileges: ['SELECT'], db: 'db1', table: '*' } },
  { name: 'ANSI_QUOTES: doubled quote in a name', line: 'GRANT SELECT ON "a""b".* TO "app"@"%"', want: { privileges: ['SELECT'], db: 'a"b', table: '*' } },
  { name: 'ANSI_QUOTES: escaped wildcard, grant option', line: 'GRANT SELECT, INSERT ON "my\\_db".* TO "app"@"%" WITH GRANT OPTION', want: { privileges: ['SELECT', 'INSERT', 'GRANT OPTION'], db: 'my_db', table: '*' } },
  { name: 'ANSI_QUOTES: a quote and a backslash in a name', line: 'GRANT SELECT ON "q\'\\\\x".* TO "app"@"%"', want: { privileges: ['SELECT'], db: "q'\\x", table: '*' } },
  { name: 'ANSI_QUOTES: table-level', line: 'GRANT SELECT ON "db1"."t" TO "app"@"%"', want: { privileges: ['SELECT'], db: 'db1', table: 't' } },
  { name: 'ANSI_QUOTES: " WITH GRANT OPTION" inside the user name is not an option', line: 'GRANT SELECT ON "db1".* TO "a WITH GRANT OPTION"@"%"', want: { privileges: ['SELECT'], db: 'db1', table: '*' } },
  { name: 'sql_quote_show_create=0: bare user, quoted host', line: 'GRANT SELECT ON "a""b".* TO app@"%"', want: { privileges: ['SELECT'], db: 'a"b', table: '*' } },
  { name: 'backquotes: a double quote in a name', line: 'GRANT SELECT ON `a"b`.* TO `app`@`%`', want: { privileges: ['SELECT'], db: 'a"b', table: '*' } },
  { name: '" ON " inside a double-quoted name', line: 'GRANT SELECT ON "x ON y".* TO "app"@"%"', want: { privileges: ['SELECT'], db: 'x ON y', table: '*' } },
];
for (const c of LINES) {
  test(`parseGrantLine: ${c.name}`, () => assert.deepEqual(parseGrantLine(c.line), c.want));
}

test('parseShowGrants: the ANSI_QUOTES output of a real server reads like the backquoted one', () => {
  const ansi = parseShowGrants([
    `GRANT USAGE ON *.* TO "app"@"%" IDENTIFIED BY PASSWORD '${HASH}'`,
    'GRANT SELECT ON "a""b".* TO "app"@"%"', 'GRANT SELECT, INSERT ON "my\\_db".* TO "app"@"%" WITH GRANT OPTION',
  ]);
  const back = parseShowGrants([
    `GRANT USAGE ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`,
    'GRANT SELECT ON `a"b`.* TO `app`@`%`', 'GRANT SELECT, INSERT ON `my\\_db`.* TO `app`@`%` WITH GRANT OPTION',
  ]);
  assert.deepEqual(ansi, back);
  assert.deepEqual(ansi.objects.map((o) => o.db), ['a"b', 'my_db']);
});

const SKIPPED = ['GRANT `dev` TO `app`@`%`', 'GRANT "dev" TO "app"@"%" WITH ADMIN OPTION', "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
  'GRANT EXECUTE ON PROCEDURE "db1"."p" TO "app"@"%"', 'GRANT EXECUTE ON PACKAGE BODY `db1`.`p` TO `app`@`%`', 'SET DEFAULT ROLE `dev` FOR `app`@`%`'];
for (const line of SKIPPED) {
  test(`parseShowGrants skips knowingly: ${line}`, () => assert.deepEqual(parseShowGrants([line]), { global: [], objects: [] }));
}

const UNREADABLE = ['REVOKE SELECT ON `db1`.* FROM `app`@`%`', 'GRANT SELECT ON `db1.* TO `app`@`%`', 'GRANT SELECT ON "db1.* TO "app"@"%"',
  'GRANT SELECT ON *.`t` TO `app`@`%`', 'GRANT SELECT ON [db1].* TO app', ''];
for (const line of UNREADABLE) {
  test(`parseShowGrants throws on an unreadable line: ${JSON.stringify(line)}`, () => {
    assert.throws(() => parseShowGrants(['GRANT USAGE ON *.* TO `app`@`%`', line]), UnreadableGrantError);
  });
}

test('passwordHashOf: from the *.* line in either quoting; undefined without one', () => {
  assert.equal(passwordHashOf([`GRANT USAGE ON *.* TO "app"@"%" IDENTIFIED BY PASSWORD '${HASH}'`]), HASH);
  assert.equal(passwordHashOf([`GRANT SELECT ON \`d\`.* TO \`app\`@\`%\``, `GRANT USAGE ON *.* TO \`app\`@\`%\` IDENTIFIED BY PASSWORD '${HASH}'`]), HASH);
  assert.equal(passwordHashOf(['GRANT USAGE ON *.* TO `app`@`%`']), undefined);
});

// Property: whatever BMP name a database has, the line the server prints for a grant on it reads back to that name, in both quotings.
test('property: a grant line on any database name reads back to that name, backquoted or double-quoted', () => {
  const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 })
    .filter((s) => !/[\u0000-\u001f\u007f]|[\ud800-\udfff]/.test(s));
  fc.assert(fc.property(name, fc.constantFrom('`', '"'), fc.boolean(), (db, q, withOption) => {
    const pattern = dbGrantIdent(db).slice(1, -1).replace(/``/g, '`'); // the escaped pattern the server stores
    const ident = q + pattern.split(q).join(q + q) + q;
    const line = `GRANT SELECT, INSERT ON ${ident}.* TO ${q}app${q}@${q}%${q}${withOption ? ' WITH GRANT OPTION' : ''}`;
    assert.deepEqual(parseGrantLine(line), { privileges: ['SELECT', 'INSERT', ...(withOption ? ['GRANT OPTION'] : [])], db, table: '*' });
  }), { seed: 11, numRuns: 400 });
});

// ---- read-back checks -------------------------------------------------------------------------

const RO = [...PRIVILEGE_LEVELS.ReadOnly];
const RW = [...PRIVILEGE_LEVELS.ReadWrite];
const g = (objects: AccountGrants['objects'], global: string[] = []): AccountGrants => ({ global, objects });

const DB_CASES: Array<{ name: string; grants: AccountGrants | undefined; target: string[]; problem: RegExp | undefined }> = [
  { name: 'exactly the target', grants: g([{ db: 'db1', table: '*', privileges: RO }]), target: RO, problem: undefined },
  { name: 'order does not matter', grants: g([{ db: 'db1', table: '*', privileges: [...RO].reverse() }]), target: RO, problem: undefined },
  { name: 'ReadWrite still held after a change to ReadOnly', grants: g([{ db: 'db1', table: '*', privileges: RW }]), target: RO, problem: /still holds INSERT/ },
  { name: 'nothing granted', grants: g([]), target: RO, problem: /missing SELECT, LOCK TABLES, SHOW VIEW/ },
  { name: 'revoked: nothing left', grants: g([{ db: 'db2', table: '*', privileges: RO }]), target: [], problem: undefined },
  { name: 'revoke that left the grant', grants: g([{ db: 'db1', table: '*', privileges: RO }]), target: [], problem: /still holds SELECT/ },
  { name: 'revoke that left the grant option', grants: g([{ db: 'db1', table: '*', privileges: ['GRANT OPTION'] }]), target: [], problem: /still holds GRANT OPTION/ },
  { name: 'ALL PRIVILEGES is not ReadOnly', grants: g([{ db: 'db1', table: '*', privileges: ['ALL PRIVILEGES'] }]), target: RO, problem: /still holds INSERT/ },
  { name: 'a table grant is not the database grant', grants: g([{ db: 'db1', table: 't', privileges: RO }]), target: RO, problem: /missing/ },
  { name: 'the account is gone', grants: undefined, target: RO, problem: /does not exist/ },
];
for (const c of DB_CASES) {
  test(`databaseGrantProblem: ${c.name}`, () => {
    const p = databaseGrantProblem(c.grants, 'app', 'db1', c.target);
    if (c.problem) assert.match(p ?? '', c.problem);
    else assert.equal(p, undefined);
  });
}

const GLOBAL_CASES: Array<{ name: string; global: string[]; granted: boolean; problem: boolean }> = [
  { name: 'granted and held', global: ['CREATE'], granted: true, problem: false },
  { name: 'granted, not held', global: [], granted: true, problem: true },
  { name: 'revoked, not held', global: [], granted: false, problem: false },
  { name: 'revoked, still held', global: ['CREATE'], granted: false, problem: true },
  { name: 'revoked, held through ALL', global: ['ALL PRIVILEGES'], granted: false, problem: true },
];
for (const c of GLOBAL_CASES) {
  test(`globalPrivilegeProblem: ${c.name}`, () => {
    assert.equal(globalPrivilegeProblem(g([], c.global), 'app', 'CREATE', c.granted) !== undefined, c.problem);
  });
}

const SUPER = [...SUPER_GLOBAL_PRIVILEGES, 'GRANT OPTION'];
const ACCOUNT_CASES: Array<{ name: string; grants: AccountGrants | undefined; hash: string | undefined; type: 'Super' | 'Normal'; problem: RegExp | undefined }> = [
  { name: 'Normal with its hash', grants: g([]), hash: HASH, type: 'Normal', problem: undefined },
  { name: 'Normal with another hash', grants: g([]), hash: '*00', type: 'Normal', problem: /password/ },
  { name: 'no password shown', grants: g([]), hash: undefined, type: 'Normal', problem: /password/ },
  { name: 'missing', grants: undefined, hash: undefined, type: 'Normal', problem: /does not exist/ },
  { name: 'Super as granted', grants: g([], SUPER), hash: HASH, type: 'Super', problem: undefined },
  { name: 'Super without the grant option', grants: g([], [...SUPER_GLOBAL_PRIVILEGES]), hash: HASH, type: 'Super', problem: /missing GRANT OPTION/ },
  { name: 'Super still holding SUPER', grants: g([], [...SUPER, 'SUPER']), hash: HASH, type: 'Super', problem: /withheld SUPER/ },
  { name: 'Super with ALL PRIVILEGES', grants: g([], ['ALL PRIVILEGES', 'GRANT OPTION']), hash: HASH, type: 'Super', problem: /withheld/ },
  { name: 'Super with a Normal account\'s grants', grants: g([], ['CREATE']), hash: HASH, type: 'Super', problem: /missing SELECT/ },
];
for (const c of ACCOUNT_CASES) {
  test(`accountProblem: ${c.name}`, () => {
    const p = accountProblem(c.grants, c.hash, { name: 'app', passwordHash: HASH, type: c.type });
    if (c.problem) assert.match(p ?? '', c.problem);
    else assert.equal(p, undefined);
  });
}

test('the Super list and the withheld list do not overlap', () => {
  for (const p of SUPER_WITHHELD) assert.ok(!(SUPER_GLOBAL_PRIVILEGES as readonly string[]).includes(p), p);
});
