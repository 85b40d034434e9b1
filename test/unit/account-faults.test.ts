/**
 * Engine failures in the middle of an account change (docs/accounts.md "No half changes"): the
 * fake engine fails a chosen call (FakeEngine.failCall), before its change or after it. The rule:
 * every Success is real, and no error leaves a half change — the store and the engine agree on
 * which accounts exist, and an error either changed nothing or says in its message what may be
 * left. Table tests of each failure shape, then a property with faults at random points.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../../src/api/errors.js';
import { adminTarget } from '../../src/instances/nodes.js';
import { startApiApp, type ApiApp } from '../support/api-app.js';

const U = '0c0c0c0c-0000-4000-8000-000000000001';
const IP = '127.10.0.31';
let a: ApiApp;

const target = () => adminTarget(a.svc, { uuid: U }, { ip: IP, port: 3306 });
const server = () => a.engine.servers.get(`${target().host}:${target().port}`)!;
const engineAccounts = () => [...server().accounts.keys()].sort();
const storeAccounts = async () => (await a.store.listAccounts(U)).map((x) => x.name).sort();
const grantsOf = (name: string) => JSON.stringify(server().accounts.get(name)?.grants);

before(async () => {
  a = await startApiApp();
  const now = Date.now();
  await a.store.db.insertInto('instances').values({
    uuid: U, tenant_id: a.tenantId, name: 'faults', region_id: 'CN_Beijing_A', vdc_id: 'vdc-default', pipe_id: 'pipe-default',
    paas_goods_id: 27060, architecture: 0, cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100, ip: IP, port: 3306, time_zone: '+08:00',
    status: 'RUNNING', status_detail: '', version: '10.11', parent_uuid: null, created_at: now, updated_at: now, deleted_at: null,
  }).execute();
  await a.store.db.insertInto('nodes').values({
    id: `${U}-0`, instance_uuid: U, role: 'primary', ip: IP, port: 3306, server_id: 1, desired: 'running', incarnation: null, last_seen_at: now, created_at: now,
  }).execute();
});
after(async () => { await a?.close(); });

/** Before each test: one Normal account `app` with ReadOnly on shop, in the store and on the engine. */
async function reset(): Promise<void> {
  a.engine.clearFaults();
  await a.store.db.deleteFrom('accounts').where('instance_uuid', '=', U).execute();
  server()?.accounts.clear();
  await a.store.db.insertInto('accounts').values({
    instance_uuid: U, name: 'app', type: 'Normal', description: '', password_hash: '*0', status: 'available', created_at: Date.now(),
  }).execute();
  await a.engine.ensureAccount(target(), { name: 'app', passwordHash: '*0', type: 'Normal' });
  await a.engine.grantDatabase(target(), 'app', 'shop', ['SELECT', 'LOCK TABLES', 'SHOW VIEW']);
}
beforeEach(reset);

const NEW_ACCOUNT = { InstanceUuid: U, AccountName: 'newbie', Password: 'Good-Pass1', AccountType: 'Normal' };

test('CreatePrivilegedAccount: a failure after CREATE USER drops the account again; nothing is left', async () => {
  for (const [method, when] of [['ensureAccount', 'after'], ['ensureAccount', 'before']] as const) {
    a.engine.failCall(method, 1, when);
    const r = await a.call('CreatePrivilegedAccount', NEW_ACCOUNT);
    assert.equal(r.body.Code, 'InternalError', `${method} ${when}: ${r.text}`);
    assert.match(r.body.Message, /nothing was created/);
    assert.deepEqual(engineAccounts(), ['app'], `${method} ${when}: the account was left on the engine`);
    assert.deepEqual(await storeAccounts(), ['app']);
  }
});

test('CreatePrivilegedAccount: when the drop fails too, the row stays as unavailable, the message says so, and DeleteDBAccount cleans up', async () => {
  a.engine.failCall('ensureAccount', 1, 'after');
  a.engine.failCall('dropAccount', 1, 'before');
  const r = await a.call('CreatePrivilegedAccount', NEW_ACCOUNT);
  assert.equal(r.body.Code, 'InternalError', r.text);
  assert.match(r.body.Message, /dropping it again failed too.*may exist on the database.*DeleteDBAccount/);
  assert.deepEqual(engineAccounts(), ['app', 'newbie']);
  assert.deepEqual(await storeAccounts(), ['app', 'newbie'], 'the store must keep track of an account the engine may hold');
  assert.equal((await a.store.getAccount(U, 'newbie'))?.status, 'unavailable');
  const d = await a.call('DescribeDBAccount', { InstanceUuid: U });
  assert.equal(d.body.Data.find((x: any) => x.AccountName === 'newbie')?.AccountStatus, 'unavailable', d.text);
  const del = await a.call('DeleteDBAccount', { InstanceUuid: U, AccountName: 'newbie' });
  assert.equal(del.body.Code, 'Success', del.text);
  assert.deepEqual(engineAccounts(), ['app']);
  assert.deepEqual(await storeAccounts(), ['app']);
});

test('DeleteDBAccount: a drop that ran but whose answer was lost is read back and answers Success', async () => {
  a.engine.failCall('dropAccount', 1, 'after');
  const r = await a.call('DeleteDBAccount', { InstanceUuid: U, AccountName: 'app' });
  assert.equal(r.body.Code, 'Success', r.text);
  assert.deepEqual(engineAccounts(), []);
  assert.deepEqual(await storeAccounts(), []);
});

test('DeleteDBAccount: a drop that did not run answers InternalError and keeps the row', async () => {
  a.engine.failCall('dropAccount', 1, 'before');
  const r = await a.call('DeleteDBAccount', { InstanceUuid: U, AccountName: 'app' });
  assert.equal(r.body.Code, 'InternalError', r.text);
  assert.deepEqual(engineAccounts(), ['app']);
  assert.deepEqual(await storeAccounts(), ['app']);
});

const TWO_OPS = {
  InstanceUuid: U, AccountName: 'app', ExtraPrivilege: { AllCreate: 'true' },
  Operations: [{ DBName: 'app_db', Privilege: 'ReadWrite' }, { DBName: 'shop', Privilege: 'DDLOnly' }],
};

test('ModifyDbPrivilege: a failure at any step restores the grants read before ("nothing was changed")', async () => {
  const cases: Array<[string, number, 'before' | 'after']> = [
    ['grantDatabase', 1, 'after'], ['grantDatabase', 2, 'before'], ['grantDatabase', 2, 'after'],
    ['setGlobalPrivilege', 1, 'before'], ['setGlobalPrivilege', 1, 'after'],
  ];
  for (const [method, nth, when] of cases) {
    await reset();
    const was = grantsOf('app');
    a.engine.failCall(method, nth, when);
    const r = await a.call('ModifyDbPrivilege', TWO_OPS);
    const where = `${method} #${nth} ${when}: ${r.text}`;
    assert.equal(r.body.Code, 'InternalError', where);
    assert.match(r.body.Message, /nothing was changed: the previous privileges were restored/, where);
    assert.equal(grantsOf('app'), was, where);
  }
});

test('ModifyDbPrivilege: when the restore fails too, the message says the privileges may be partly changed', async () => {
  a.engine.failCall('grantDatabase', 2, 'before');
  a.engine.failCall('revokeDatabase', 1, 'before'); // the restore of app_db (no grant before) is a revoke
  const r = await a.call('ModifyDbPrivilege', TWO_OPS);
  assert.equal(r.body.Code, 'InternalError', r.text);
  assert.match(r.body.Message, /restoring the previous privileges failed too.*may be partly changed.*DescribeDBAccount/);
});

test('DeleteDbPrivilege: a failed second revoke puts the first one back', async () => {
  await a.engine.grantDatabase(target(), 'app', 'app_db', ['SELECT']);
  const was = grantsOf('app');
  a.engine.failCall('revokeDatabase', 2, 'before');
  const r = await a.call('DeleteDbPrivilege', { InstanceUuid: U, AccountName: 'app', DBNames: ['app_db', 'shop'] });
  assert.equal(r.body.Code, 'InternalError', r.text);
  assert.match(r.body.Message, /nothing was changed/);
  assert.equal(grantsOf('app'), was);
});

// --- the property: random requests, a fault at a random point ---

const METHODS = ['*', 'ensureAccount', 'dropAccount', 'listGrants', 'grantDatabase', 'revokeDatabase', 'setGlobalPrivilege', 'databaseExists'];
const name = fc.constantFrom('app', 'newbie', 'other');
const level = fc.constantFrom('ReadWrite', 'ReadOnly', 'DMLOnly', 'DDLOnly');
const request = fc.oneof(
  fc.record({ action: fc.constant('CreatePrivilegedAccount'), params: fc.record({ AccountName: name, Password: fc.constant('Good-Pass1'), AccountType: fc.constantFrom('Normal', 'Super') }) }),
  fc.record({ action: fc.constant('DeleteDBAccount'), params: fc.record({ AccountName: name }) }),
  fc.record({ action: fc.constant('DeleteDbPrivilege'), params: fc.record({ AccountName: name, DBNames: fc.subarray(['shop', 'app_db'], { minLength: 1 }) }) }),
  fc.record({
    action: fc.constant('ModifyDbPrivilege'),
    params: fc.record({
      AccountName: name,
      Operations: fc.subarray(['shop', 'app_db'], { minLength: 1 }).chain((dbs) => fc.tuple(...dbs.map((db) => level.map((Privilege) => ({ DBName: db, Privilege }))))),
      ExtraPrivilege: fc.option(fc.record({ AllCreate: fc.constantFrom('true', 'false') }), { nil: undefined }),
    }, { requiredKeys: ['AccountName', 'Operations'] }),
  }),
);
const faults = fc.array(fc.record({ method: fc.constantFrom(...METHODS), nth: fc.integer({ min: 1, max: 4 }), when: fc.constantFrom('before' as const, 'after' as const) }), { minLength: 0, maxLength: 2 });

test('property: engine faults at random points: no 5xx but InternalError, store and engine agree, an error changes nothing unless it says so', async () => {
  const seen = new Map<string, number>();
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(request, faults), { minLength: 1, maxLength: 6 }), async (steps) => {
    await reset();
    for (const [{ action, params }, fs] of steps) {
      a.engine.clearFaults();
      for (const f of fs) a.engine.failCall(f.method, f.nth, f.when);
      const before = await a.snapshot();
      const injectedBefore = a.engine.injected.length;
      const r = await a.call(action, { InstanceUuid: U, ...params });
      a.engine.clearFaults();
      const where = `${action} ${JSON.stringify(params)} faults ${JSON.stringify(fs)} → ${r.status} ${r.text.slice(0, 400)}`;
      const code: string = r.body?.Code;
      seen.set(code, (seen.get(code) ?? 0) + 1);
      assert.ok(Object.hasOwn(ERROR_CODES, code) || code === 'Success', where);
      if (r.status >= 500) {
        assert.equal(code, 'InternalError', where);
        assert.ok(a.engine.injected.length > injectedBefore, `a 5xx without an engine failure: ${where}`);
      }
      // Which accounts exist: always the same in the store and on the engine.
      assert.deepEqual(await storeAccounts(), engineAccounts(), `store and engine disagree: ${where}`);
      if (code !== 'Success' && !/may be partly changed|may exist on the database/.test(r.body.Message)) {
        assert.equal(await a.snapshot(), before, `an error left a change: ${where}`);
      }
    }
  }), { seed: 20261203, numRuns: Number(process.env.PROPERTY_RUNS ?? 60), endOnFailure: true, includeErrorInReport: true });
  assert.ok((seen.get('Success') ?? 0) > 0 && (seen.get('InternalError') ?? 0) > 0, JSON.stringify([...seen]));
});
