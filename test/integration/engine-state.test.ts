/**
 * Engine-state properties against one real MariaDB through the real HTTP server (issue 11,
 * docs/accounts.md, docs/parameters.md): whatever global sql_mode the user sets with
 * ModifyDBParameter, and whatever hostile values the session-changing variables get, every
 * Success of an account, privilege or parameter action is what MariaDB really holds.
 *
 * The real state is read from a separate root connection: the grant tables (mysql.db,
 * mysql.user, independent of how SHOW GRANTS quotes), the number of SHOW GRANTS lines, and for
 * the defect of issue 11 what the account can really do. Each sql_mode flag the API accepts is
 * tested alone, then random sets of flags (fast-check, fixed seed, bounded runs). Also: names
 * outside the Basic Multilingual Plane and a missing database are refused before any change.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import { PRIVILEGE_LEVEL_NAMES, PRIVILEGE_LEVELS, type PrivilegeLevel } from '../../src/accounts/privileges.js';
import { SQL_MODES } from '../../src/engine/mariadb/profile/parameters.js';
import { nativePasswordHash } from '../../src/security/secrets.js';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let inst: any;
let uuid: string;
const ROOT_PW = 'Root-Pass1';
const APP_PW = 'App-Pass1';
const SEED = 11;
/** Names that break a parser that knows one quoting: quotes of every kind, wildcards, a backslash, " ON ". */
const DBS = ['db1', 'a"b', "q'x", 'b\\s', 'my_db', 'x ON y', '数据库', 'back`tick', 'p%c'];

/** The grants the API says app holds: database → level, and ExtraPrivilege.AllCreate. */
const model = { dbs: new Map<string, PrivilegeLevel>(), allCreate: false };

const ident = (n: string) => '`' + n.replace(/`/g, '``') + '`';

/** A root session of the test's own, independent of the global sql_mode and max_statement_time. */
async function rootConn(): Promise<mysql.Connection> {
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: ROOT_PW, connectTimeout: 5000 });
  await c.query("SET SESSION sql_mode = '', max_statement_time = 0");
  return c;
}
async function asRoot<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await rootConn();
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

const DB_COLUMNS: Record<string, string> = {
  Select_priv: 'SELECT', Insert_priv: 'INSERT', Update_priv: 'UPDATE', Delete_priv: 'DELETE', Create_priv: 'CREATE', Drop_priv: 'DROP',
  Grant_priv: 'GRANT OPTION', References_priv: 'REFERENCES', Index_priv: 'INDEX', Alter_priv: 'ALTER',
  Create_tmp_table_priv: 'CREATE TEMPORARY TABLES', Lock_tables_priv: 'LOCK TABLES', Create_view_priv: 'CREATE VIEW',
  Show_view_priv: 'SHOW VIEW', Create_routine_priv: 'CREATE ROUTINE', Alter_routine_priv: 'ALTER ROUTINE', Execute_priv: 'EXECUTE',
  Event_priv: 'EVENT', Trigger_priv: 'TRIGGER', Delete_history_priv: 'DELETE HISTORY',
};

/** What MariaDB really holds for app, from the grant tables. */
async function realGrants(): Promise<{ dbs: Map<string, string[]>; allCreate: boolean; showGrantsLines: number }> {
  return asRoot(async (c) => {
    const [rows] = await c.query("SELECT * FROM mysql.db WHERE User = 'app' AND Host = '%'");
    const dbs = new Map<string, string[]>();
    for (const r of rows as any[]) {
      const privs = Object.entries(DB_COLUMNS).filter(([col]) => r[col] === 'Y').map(([, p]) => p);
      if (privs.length) dbs.set(String(r.Db).replace(/\\(.)/g, '$1'), privs.sort());
    }
    const [u] = await c.query("SELECT Create_priv FROM mysql.user WHERE User = 'app' AND Host = '%'");
    const [g] = await c.query("SHOW GRANTS FOR 'app'@'%'");
    return { dbs, allCreate: (u as any[])[0]?.Create_priv === 'Y', showGrantsLines: (g as any[]).length };
  });
}

/** The engine holds exactly the model, and DescribeDBAccount says so too. */
async function assertState(where: string): Promise<void> {
  const real = await realGrants();
  const want = new Map([...model.dbs].map(([db, l]) => [db, [...PRIVILEGE_LEVELS[l]].sort()]));
  assert.deepEqual(Object.fromEntries(real.dbs), Object.fromEntries(want), `${where}: grant tables`);
  assert.equal(real.allCreate, model.allCreate, `${where}: global CREATE`);
  assert.equal(real.showGrantsLines, 1 + model.dbs.size, `${where}: SHOW GRANTS lines`);
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' });
  const app = data.find((a: any) => a.AccountName === 'app');
  assert.ok(app, `${where}: app listed`);
  assert.deepEqual(
    Object.fromEntries(app.DatabasePrivileges.map((p: any) => [p.DBName, p.AccountPrivilegeType])),
    Object.fromEntries(model.dbs), `${where}: DescribeDBAccount DatabasePrivileges`,
  );
  assert.equal(app.ExtraPrivilege.AllCreate, String(model.allCreate), `${where}: DescribeDBAccount AllCreate`);
}

/**
 * Sets the global sql_mode (and other parameters) through the API; the task must finish, the
 * server must run exactly those values, and DescribeDBParameter must say the same.
 */
async function setSqlMode(flags: readonly string[], more: Record<string, string> = {}): Promise<void> {
  await setParameters({ sql_mode: flags.join(','), ...more });
  const names = ['sql_mode', ...Object.keys(more)];
  const live = await asRoot(async (c) => {
    const [rows] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(', ')})`);
    return Object.fromEntries((rows as any[]).map((r) => [r.Variable_name, String(r.Value)]));
  });
  assert.deepEqual(live.sql_mode!.split(',').filter(Boolean).sort(), [...flags].sort(), 'global sql_mode as the API said');
  for (const [n, v] of Object.entries(more)) assert.equal(Number(live[n]), Number(v), `${n} as the API said`);
  const { data } = await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid }, { method: 'GET' });
  for (const n of names) assert.equal(data.Parameters.find((p: any) => p.Name === n).CurrentValue, live[n], `DescribeDBParameter ${n}`);
}

async function setParameters(values: Record<string, string>): Promise<void> {
  const r = await s.client.ok('ModifyDBParameter', { InstanceUuid: uuid, Parameters: Object.entries(values).map(([Name, Value]) => ({ Name, Value })) });
  await s.client.waitStatus(uuid, 'RUNNING');
  const task = await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
  assert.equal(task.data.Status, 'FINISH', `ModifyDBParameter ${JSON.stringify(values)}: ${JSON.stringify(task.data)}`);
}

type Op =
  | { kind: 'grant'; db: string; level: PrivilegeLevel; allCreate: boolean | null }
  | { kind: 'revoke'; dbs: string[] }
  | { kind: 'account'; type: 'Normal' | 'Super' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('grant' as const), db: fc.constantFrom(...DBS), level: fc.constantFrom(...PRIVILEGE_LEVEL_NAMES), allCreate: fc.option(fc.boolean()) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), dbs: fc.subarray(DBS, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('account' as const), type: fc.constant('Normal' as const) }) },
);

let accountSeq = 0;
/** Runs one operation through the API (it must answer Success), updates the model, checks the engine. */
async function apply(op: Op, where: string): Promise<void> {
  if (op.kind === 'grant') {
    await s.client.ok('ModifyDbPrivilege', {
      InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: op.db, Privilege: op.level }],
      ...(op.allCreate === null ? {} : { ExtraPrivilege: { AllCreate: String(op.allCreate) } }),
    });
    model.dbs.set(op.db, op.level);
    if (op.allCreate !== null) model.allCreate = op.allCreate;
  } else if (op.kind === 'revoke') {
    await s.client.ok('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', DBNames: op.dbs });
    for (const db of op.dbs) model.dbs.delete(db);
  } else {
    const name = `tmp${++accountSeq}`;
    const pw = `Tmp-Pass${accountSeq}`;
    await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: name, Password: pw, AccountType: op.type });
    const row = await asRoot(async (c) => ((await c.query('SELECT authentication_string AS h FROM mysql.user WHERE User = ? AND Host = ?', [name, '%']))[0] as any[])[0]);
    assert.equal(row?.h, nativePasswordHash(pw), `${where}: ${name} exists with its password`);
    await s.client.ok('DeleteDBAccount', { InstanceUuid: uuid, AccountName: name });
    const gone = await asRoot(async (c) => ((await c.query('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', [name]))[0] as any[])[0].n);
    assert.equal(Number(gone), 0, `${where}: ${name} dropped`);
  }
  await assertState(`${where} after ${JSON.stringify(op)}`);
}

/** Runs `sql` as app on a new connection (privileges apply to new sessions). */
async function asApp(sql: string): Promise<boolean> {
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'app', password: APP_PW, connectTimeout: 5000 });
  try {
    await c.query(sql);
    return true;
  } catch {
    return false;
  } finally {
    c.destroy();
  }
}

before(async () => {
  s = await startServer();
  inst = await createRunning(s.client, { InstanceName: 'engine-state', Password: ROOT_PW });
  uuid = inst.InstanceUuid;
  await asRoot(async (c) => {
    for (const db of DBS) await c.query(`CREATE DATABASE ${ident(db)}`);
    await c.query('CREATE TABLE db1.t (id INT PRIMARY KEY)');
  });
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'app', Password: APP_PW, AccountType: 'Normal' });
});
after(async () => { await s?.cleanup(); });

test('issue 11 defect 1: under ANSI_QUOTES, ReadWrite → ReadOnly and DeleteDbPrivilege really change what the account can do', async () => {
  await setSqlMode(['ANSI_QUOTES']);
  await apply({ kind: 'grant', db: 'db1', level: 'ReadWrite', allCreate: null }, 'ANSI_QUOTES');
  assert.equal(await asApp('INSERT INTO db1.t VALUES (1)'), true, 'ReadWrite can INSERT');
  await apply({ kind: 'grant', db: 'db1', level: 'ReadOnly', allCreate: null }, 'ANSI_QUOTES');
  assert.equal(await asApp('INSERT INTO db1.t VALUES (2)'), false, 'ReadOnly can no longer INSERT');
  assert.equal(await asApp('SELECT * FROM db1.t'), true, 'ReadOnly can SELECT');
  await apply({ kind: 'revoke', dbs: ['db1'] }, 'ANSI_QUOTES');
  assert.equal(await asApp('SELECT * FROM db1.t'), false, 'nothing left after DeleteDbPrivilege');
});

test('issue 11 defects 2 and 3: names outside the BMP and missing databases are refused before anything changes', async () => {
  const refused = async (action: string, params: Record<string, unknown>, message: RegExp) => {
    const r = await s.client.call(action, params);
    assert.equal(r.status, 400, `${action}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.Code, 'InvalidParameter');
    assert.match(r.body.Message, message);
  };
  const before = await s.client.ok('DescribeBackups', { InstanceUuid: uuid }, { method: 'GET' });
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: '😀', Privilege: 'ReadOnly' }] }, /Operations\.0\.DBName.*Basic Multilingual Plane/);
  await refused('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', DBNames: ['😀'] }, /DBNames\.0.*Basic Multilingual Plane/);
  await refused('CreateBackup', { InstanceUuid: uuid, BackupType: 'logical-backup', DBList: ['😀'] }, /DBList\.0.*Basic Multilingual Plane/);
  await refused('CreateBackup', { InstanceUuid: uuid, BackupType: 'logical-backup', DBList: ['db1', 'nosuchdb'] }, /DBList\.1: database nosuchdb does not exist/);
  // A name that differs only in case is another database on Linux.
  await refused('CreateBackup', { InstanceUuid: uuid, BackupType: 'logical-backup', DBList: ['DB1'] }, /DBList\.0: database DB1 does not exist/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'DB1', Privilege: 'ReadOnly' }] }, /DB1 does not exist/);
  const afterList = await s.client.ok('DescribeBackups', { InstanceUuid: uuid }, { method: 'GET' });
  assert.deepEqual(afterList.data, before.data, 'no backup was started');
  // A store-only field takes the full range.
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'emoji', Password: APP_PW, AccountType: 'Normal', Description: 'ok 😀' });
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(data.find((a: any) => a.AccountName === 'emoji').AccountDescription, 'ok 😀');
  await s.client.ok('DeleteDBAccount', { InstanceUuid: uuid, AccountName: 'emoji' });
  await assertState('after the refusals');
});

test('property: under each sql_mode flag alone, every privilege and account change is what MariaDB holds', async () => {
  assert.ok(SQL_MODES.includes('NO_BACKSLASH_ESCAPES'), 'NO_BACKSLASH_ESCAPES is accepted (docs/parameters.md)');
  for (const [i, flag] of SQL_MODES.entries()) {
    await setSqlMode([flag]);
    const [ops] = fc.sample(fc.array(opArb, { minLength: 2, maxLength: 3 }), { seed: SEED + i, numRuns: 1 });
    for (const op of ops!) await apply(op, flag);
  }
});

test('property: under random sets of sql_mode flags (with another parameter changed alongside), the same holds', async () => {
  const seconds = fc.integer({ min: 1, max: 3600 }).map(String);
  await fc.assert(fc.asyncProperty(fc.subarray([...SQL_MODES], { minLength: 2 }), seconds, fc.array(opArb, { minLength: 2, maxLength: 4 }), async (flags, lqt, ops) => {
    await setSqlMode(flags, { long_query_time: lqt });
    for (const op of ops) await apply(op, flags.join(','));
  }), { seed: SEED, numRuns: 6, endOnFailure: true });
});

test('hostile session variables (tiny max_statement_time, group_concat_max_len 4, 1 s timeouts) do not break internal sessions', async () => {
  await setParameters({ max_statement_time: '0.000001', group_concat_max_len: '4', wait_timeout: '1', lock_wait_timeout: '1', sql_mode: [...SQL_MODES].join(',') });
  const live = await asRoot(async (c) => ((await c.query('SELECT @@GLOBAL.max_statement_time AS a, @@GLOBAL.group_concat_max_len AS b, @@GLOBAL.wait_timeout AS c, @@GLOBAL.lock_wait_timeout AS d'))[0] as any[])[0]);
  assert.deepEqual([Number(live.a), Number(live.b), Number(live.c), Number(live.d)], [0.000001, 4, 1, 1], 'the hostile values run');
  const [ops] = fc.sample(fc.array(opArb, { minLength: 4, maxLength: 4 }), { seed: SEED, numRuns: 1 });
  for (const op of ops!) await apply(op, 'hostile');
  // Longer than wait_timeout: the control plane's kept-open connections are not cut.
  await new Promise((r) => setTimeout(r, 2500));
  await apply({ kind: 'grant', db: 'my_db', level: 'DMLOnly', allCreate: true }, 'hostile, after idling');
  const { data } = await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(data.Parameters.find((p: any) => p.Name === 'group_concat_max_len').CurrentValue, '4');
  // Back to the defaults, read back the same way.
  await setParameters({ max_statement_time: '0', group_concat_max_len: '1048576', wait_timeout: '28800', lock_wait_timeout: '86400', sql_mode: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' });
  await assertState('after the defaults came back');
});
