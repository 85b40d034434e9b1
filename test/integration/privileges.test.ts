/**
 * Accounts and privileges against real MariaDB through the real HTTP server (spec §4.9–§4.13,
 * docs/accounts.md): what a Normal account can really do after each call, what DescribeDBAccount
 * reads back, deletion, and every refusal rule. One instance for the whole file.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let inst: any;
let uuid: string;
const ROOT_PW = 'Root-Pass1';
const APP_PW = 'App-Pass1';

const connect = (user: string, password: string) =>
  mysql.createConnection({ host: inst.IP, port: inst.Port, user, password, connectTimeout: 3000 });

/** Runs `sql` as `app` on a fresh connection (database privileges apply to new sessions). */
async function asApp(sql: string): Promise<{ ok: true; rows: any[] } | { ok: false; errno: number }> {
  const c = await connect('app', APP_PW);
  try {
    const [rows] = await c.query(sql);
    return { ok: true, rows: rows as any[] };
  } catch (e) {
    return { ok: false, errno: (e as { errno: number }).errno };
  } finally {
    await c.end();
  }
}

async function appDatabases(): Promise<string[]> {
  const r = await asApp('SHOW DATABASES');
  assert.ok(r.ok);
  return r.rows.map((x) => x.Database).filter((d: string) => d !== 'information_schema').sort();
}

async function accounts(): Promise<any[]> {
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' });
  assert.ok(Array.isArray(data));
  return data;
}

async function appEntry(): Promise<any> {
  const a = (await accounts()).find((x) => x.AccountName === 'app');
  assert.ok(a, 'app is listed');
  return a;
}

async function refused(action: string, params: Record<string, unknown>, code: string, status: number, message?: RegExp, method: 'GET' | 'POST' = 'POST') {
  const r = await s.client.call(action, params, { method });
  assert.equal(r.body.Code, code, `${action} ${JSON.stringify(params)}: ${JSON.stringify(r.body)}`);
  assert.equal(r.status, status);
  if (message) assert.match(r.body.Message, message);
}

const RO_DETAIL = 'SELECT, LOCK TABLES, SHOW VIEW';
const RW_DETAIL = 'SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER';
const ER_ACCESS_DENIED = 1045;
const ER_DBACCESS_DENIED = 1044;
const ER_TABLEACCESS_DENIED = 1142;

before(async () => {
  s = await startServer();
  inst = await createRunning(s.client, { InstanceName: 'privs', Password: ROOT_PW });
  uuid = inst.InstanceUuid;
  const root = await connect('root', ROOT_PW);
  for (const q of [
    'CREATE DATABASE db1', 'CREATE DATABASE db2', 'CREATE DATABASE my_db', 'CREATE DATABASE myxdb',
    'CREATE TABLE db1.t (id INT PRIMARY KEY)', 'INSERT INTO db1.t VALUES (1)',
    'CREATE TABLE db2.t (id INT PRIMARY KEY)', 'INSERT INTO db2.t VALUES (1)',
  ]) await root.query(q);
  await root.end();
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'app', Password: APP_PW, AccountType: 'Normal', Description: 'the app' });
});
after(async () => { await s?.cleanup(); });

test('DescribeDbPrivileges: the levels of spec §4.11', async () => {
  const { data } = await s.client.ok('DescribeDbPrivileges', {}, { method: 'GET' });
  assert.deepEqual(data, {
    ReadWrite: RW_DETAIL,
    DMLOnly: 'SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, SHOW VIEW, EVENT, TRIGGER',
    ReadOnly: RO_DETAIL,
    DDLOnly: 'CREATE, DROP, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE',
  });
});

test('DescribeDBAccount: user accounts only, with the fields and JSON types of §4.12', async () => {
  const list = await accounts();
  assert.deepEqual(list.map((a) => a.AccountName).sort(), ['app', 'root']);
  const root = list.find((a) => a.AccountName === 'root');
  assert.deepEqual(root, {
    AccountName: 'root', AccountType: 'Super', AccountStatus: 'available', AccountDescription: 'created by CreateDBInstance',
    ServiceId: uuid, DatabasePrivileges: null, ExtraPrivilege: null,
  });
  assert.deepEqual(await appEntry(), {
    AccountName: 'app', AccountType: 'Normal', AccountStatus: 'available', AccountDescription: 'the app',
    ServiceId: uuid, DatabasePrivileges: [], ExtraPrivilege: { AllCreate: 'false' },
  });
  // POST works the same (the SDK's default).
  const post = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid });
  assert.equal(post.data.length, 2);
});

test('a new Normal account sees nothing', async () => {
  assert.deepEqual(await appDatabases(), []);
  const r = await asApp('SELECT * FROM db1.t');
  assert.equal(r.ok, false);
});

test('ReadOnly on db1: SELECT works, INSERT does not, db2 stays invisible', async () => {
  await s.client.ok('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'db1', Privilege: 'ReadOnly' }] });
  const sel = await asApp('SELECT id FROM db1.t');
  assert.ok(sel.ok);
  assert.deepEqual(sel.rows, [{ id: 1 }]);
  assert.deepEqual(await asApp('INSERT INTO db1.t VALUES (2)'), { ok: false, errno: ER_TABLEACCESS_DENIED });
  assert.deepEqual(await asApp('SELECT * FROM db2.t'), { ok: false, errno: ER_TABLEACCESS_DENIED });
  assert.deepEqual(await appDatabases(), ['db1']);
  const a = await appEntry();
  assert.deepEqual(a.DatabasePrivileges, [{ AccountPrivilegeType: 'ReadOnly', DBName: 'db1', TableName: '*', AccountPrivilegeDetail: RO_DETAIL }]);
  assert.deepEqual(a.ExtraPrivilege, { AllCreate: 'false' });
});

test('ReadWrite on db1 (GET, SDK flattening): INSERT works, db2 still invisible', async () => {
  await s.client.ok('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'db1', Privilege: 'ReadWrite' }] }, { method: 'GET' });
  assert.equal((await asApp('INSERT INTO db1.t VALUES (2)')).ok, true);
  const sel = await asApp('SELECT COUNT(*) AS n FROM db1.t');
  assert.ok(sel.ok);
  assert.equal(Number(sel.rows[0].n), 2);
  assert.deepEqual(await asApp('SELECT * FROM db2.t'), { ok: false, errno: ER_TABLEACCESS_DENIED });
  assert.deepEqual(await asApp('INSERT INTO db2.t VALUES (9)'), { ok: false, errno: ER_TABLEACCESS_DENIED });
  assert.deepEqual(await asApp('USE db2'), { ok: false, errno: ER_DBACCESS_DENIED });
  assert.deepEqual(await appDatabases(), ['db1']);
  const a = await appEntry();
  assert.deepEqual(a.DatabasePrivileges, [{ AccountPrivilegeType: 'ReadWrite', DBName: 'db1', TableName: '*', AccountPrivilegeDetail: RW_DETAIL }]);
  assert.deepEqual(a.ExtraPrivilege, { AllCreate: 'false' });
});

test('ExtraPrivilege.AllCreate: global CREATE on and off; other databases\' data stays out of reach', async () => {
  await s.client.ok('ModifyDbPrivilege', {
    InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'db1', Privilege: 'ReadWrite' }], ExtraPrivilege: { AllCreate: 'true' },
  }, { method: 'GET' });
  assert.deepEqual((await appEntry()).ExtraPrivilege, { AllCreate: 'true' });
  assert.equal((await asApp('CREATE DATABASE appmade')).ok, true, 'global CREATE from AllCreate');
  assert.deepEqual(await asApp('SELECT * FROM db2.t'), { ok: false, errno: ER_TABLEACCESS_DENIED });

  await s.client.ok('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'db1', Privilege: 'ReadWrite' }], ExtraPrivilege: { AllCreate: 'false' } });
  assert.deepEqual((await appEntry()).ExtraPrivilege, { AllCreate: 'false' });
  assert.deepEqual(await asApp('CREATE DATABASE appmade2'), { ok: false, errno: ER_DBACCESS_DENIED });
  assert.deepEqual(await appDatabases(), ['db1']);
  assert.deepEqual((await appEntry()).DatabasePrivileges.map((p: any) => p.DBName), ['db1'], 'AllCreate leaves the database grants alone');
});

test('a grant on my_db is literal: the wildcard does not reach myxdb', async () => {
  await s.client.ok('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'my_db', Privilege: 'DDLOnly' }] });
  assert.deepEqual(await appDatabases(), ['db1', 'my_db']);
  const a = await appEntry();
  assert.deepEqual(a.DatabasePrivileges.map((p: any) => [p.DBName, p.AccountPrivilegeType]), [['db1', 'ReadWrite'], ['my_db', 'DDLOnly']]);
  await s.client.ok('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', DBNames: ['my_db'] });
});

test('after DeleteDbPrivilege the account can neither read nor write db1', async () => {
  await s.client.ok('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', DBNames: ['db1'] }, { method: 'GET' });
  assert.deepEqual(await asApp('SELECT * FROM db1.t'), { ok: false, errno: ER_TABLEACCESS_DENIED });
  assert.deepEqual(await asApp('INSERT INTO db1.t VALUES (3)'), { ok: false, errno: ER_TABLEACCESS_DENIED });
  assert.deepEqual(await appDatabases(), []);
  assert.deepEqual((await appEntry()).DatabasePrivileges, []);
  // Again, and on a database with no grant: nothing to revoke is not an error.
  await s.client.ok('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', DBNames: ['db1', 'db2', 'nosuchdb'] });
});

test('refusals of ModifyDbPrivilege and DeleteDbPrivilege', async () => {
  const op = (DBName: string, Privilege = 'ReadOnly') => [{ DBName, Privilege }];
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'root', Operations: op('db1') }, 'UnsupportedOperation', 400, /Super/);
  await refused('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'root', DBNames: ['db1'] }, 'UnsupportedOperation', 400, /Super/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'ghost', Operations: op('db1') }, 'ResourceNotFound', 404, /ghost/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'Bad Name!', Operations: op('db1') }, 'InvalidParameter', 400, /AccountName: must be 2-32 characters/);
  await refused('DeleteDBAccount', { InstanceUuid: uuid, AccountName: 'x'.repeat(65) }, 'InvalidParameter', 400, /AccountName/);
  await refused('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'ghost', DBNames: ['db1'] }, 'ResourceNotFound', 404);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: op('nosuchdb') }, 'InvalidParameter', 400, /Operations\.0\.DBName.*nosuchdb does not exist/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [...op('db1'), ...op('nosuchdb')] }, 'InvalidParameter', 400, /Operations\.1\.DBName/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: op('mysql') }, 'InvalidParameter', 400, /system database/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: op('db1', 'Admin') }, 'InvalidParameter', 400, /Operations\.0\.Privilege/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [...op('db1'), ...op('db1', 'ReadWrite')] }, 'InvalidParameter', 400, /listed twice/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: op('db1'), ExtraPrivilege: { AllCreate: 'maybe' } }, 'InvalidParameter', 400, /ExtraPrivilege\.AllCreate/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app' }, 'ArgMissing', 400, /Operations/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ Privilege: 'ReadOnly' }] }, 'ArgMissing', 400, /Operations\.0\.DBName/);
  await refused('ModifyDbPrivilege', { InstanceUuid: uuid, Operations: op('db1') }, 'ArgMissing', 400, /AccountName/);
  await refused('ModifyDbPrivilege', { AccountName: 'app', Operations: op('db1') }, 'ArgMissing', 400, /InstanceUuid/);
  await refused('ModifyDbPrivilege', { InstanceUuid: 'no-such-instance', AccountName: 'app', Operations: op('db1') }, 'ResourceNotFound', 404);
  await refused('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: 'app' }, 'ArgMissing', 400, /DBNames/);
  await refused('DescribeDBAccount', {}, 'ArgMissing', 400, /InstanceUuid/, 'GET');
  await refused('DescribeDBAccount', { InstanceUuid: 'no-such-instance' }, 'ResourceNotFound', 404, undefined, 'GET');
  // Nothing above changed what app holds.
  assert.deepEqual((await appEntry()).DatabasePrivileges, []);
});

test('internal accounts are never listed and never changeable', async () => {
  const names = (await accounts()).map((a) => a.AccountName);
  for (const internal of ['openrds_admin', 'openrds_repl', 'openrds_monitor', 'mariadb.sys', 'mysql']) assert.ok(!names.includes(internal), internal);
  for (const name of ['openrds_admin', 'openrds_repl', 'openrds_monitor', 'mariadb.sys', 'PUBLIC']) {
    await refused('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: name, Operations: [{ DBName: 'db1', Privilege: 'ReadOnly' }] }, 'InvalidParameter', 400, /internal account/);
    await refused('DeleteDbPrivilege', { InstanceUuid: uuid, AccountName: name, DBNames: ['db1'] }, 'InvalidParameter', 400, /internal account/);
    await refused('DeleteDBAccount', { InstanceUuid: uuid, AccountName: name }, 'InvalidParameter', 400, /internal account/);
  }
  await refused('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'openrds_admin', Password: APP_PW, AccountType: 'Normal' }, 'InvalidParameter', 400, /reserved/);
  // The control plane's own account still works: the instance is RUNNING and answers reads.
  await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid }, { method: 'GET' });
});

test('DeleteDBAccount: the account can no longer log in, and is gone from the list', async () => {
  (await connect('app', APP_PW)).destroy();
  await s.client.ok('DeleteDBAccount', { InstanceUuid: uuid, AccountName: 'app' });
  await assert.rejects(connect('app', APP_PW), (e: any) => e.errno === ER_ACCESS_DENIED && /Access denied/.test(e.message));
  assert.deepEqual((await accounts()).map((a) => a.AccountName), ['root']);
  await refused('DeleteDBAccount', { InstanceUuid: uuid, AccountName: 'app' }, 'ResourceNotFound', 404);
  await refused('DeleteDBAccount', { InstanceUuid: uuid }, 'ArgMissing', 400, /AccountName/);
  // The name is free again, with no privileges left over from before.
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'app', Password: APP_PW, AccountType: 'Normal' });
  assert.deepEqual(await appDatabases(), []);
  assert.deepEqual((await appEntry()).DatabasePrivileges, []);
});

test('DeleteDBAccount of the Super account frees the one Super slot', async () => {
  await s.client.ok('DeleteDBAccount', { InstanceUuid: uuid, AccountName: 'root' });
  await assert.rejects(connect('root', ROOT_PW), /Access denied/);
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'boss', Password: ROOT_PW, AccountType: 'Super' });
  const c = await connect('boss', ROOT_PW);
  await c.query('SELECT 1');
  await c.end();
});
