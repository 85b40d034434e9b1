/**
 * Tenant isolation against the real server: every key belongs to a tenant, and a tenant sees,
 * changes and polls only its own instances and tasks. Another tenant's resources answer exactly
 * like resources that do not exist (ResourceNotFound), so their existence does not leak.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient } from '../support/cds-client.js';
import { createParams, newKey, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let a: TestClient;
let b: TestClient;
before(async () => {
  s = await startServer();
  a = s.client;
  // Created while the server runs: a new key works at once.
  b = new TestClient(s.url, newKey(s.home, 'tenant-b'));
});
after(async () => { await s?.cleanup(); });

const METHODS = ['GET', 'POST'] as const;

function assertNotFound(r: { status: number; body: any }, id: string, what: string) {
  assert.equal(r.body.Code, 'ResourceNotFound', `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.status, 404, what);
  assert.match(r.body.Message, new RegExp(id), `${what}: Message names ${id}`);
}

test('a tenant cannot see, change or poll another tenant\'s instance and tasks', async () => {
  // One instance per tenant, created in parallel, on the same VDC and pipe.
  const [ca, cb] = await Promise.all([
    a.ok('CreateDBInstance', createParams({ InstanceName: 'shared-name' })),
    b.ok('CreateDBInstance', createParams({ InstanceName: 'shared-name' })),
  ]);
  const ua: string = ca.data.InstancesUuid[0];
  const ub: string = cb.data.InstancesUuid[0];
  const [ia, ib] = await Promise.all([a.waitStatus(ua, 'RUNNING'), b.waitStatus(ub, 'RUNNING')]);
  assert.notEqual(ia.IP, ib.IP, 'tenants share the pipe, never an address');

  for (const [me, other, mine, theirs, theirTask, theirIp] of [
    [b, 'B', ub, ua, ca.taskId, ia.IP],
    [a, 'A', ua, ub, cb.taskId, ib.IP],
  ] as const) {
    for (const method of METHODS) {
      const all = await me.ok('DescribeDBInstances', {}, { method });
      assert.deepEqual(all.data.map((i: any) => i.InstanceUuid), [mine], `${other} lists only its own instance (${method})`);
      const byName = await me.ok('DescribeDBInstances', { InstanceName: 'shared-name' }, { method });
      assert.deepEqual(byName.data.map((i: any) => i.InstanceUuid), [mine], `${other}: the name filter stays inside the tenant (${method})`);
      const byIp = await me.ok('DescribeDBInstances', { IP: theirIp }, { method });
      assert.deepEqual(byIp.data, [], `${other}: the IP filter stays inside the tenant (${method})`);
      assertNotFound(await me.call('DescribeDBInstances', { InstanceUuid: theirs }, { method }), theirs, `${other} DescribeDBInstances(${method})`);
      assertNotFound(await me.call('DescribeDBInstances', { InstanceUuid: theirs, InstanceName: 'shared-name' }, { method }), theirs, `${other} DescribeDBInstances+name(${method})`);
      assertNotFound(await me.call('DescribeTask', { TaskId: theirTask }, { method }), theirTask, `${other} DescribeTask(${method})`);
    }
    assertNotFound(await me.call('CreatePrivilegedAccount', { InstanceUuid: theirs, AccountName: 'intruder', Password: 'Str0ng-Pass', AccountType: 'Super' }), theirs, `${other} CreatePrivilegedAccount`);
    assertNotFound(await me.call('DeleteDBInstance', { InstanceUuid: theirs }), theirs, `${other} DeleteDBInstance`);
    assertNotFound(await me.call('DeleteDBInstance', { InstanceUuid: theirs }, { method: 'GET' }), theirs, `${other} DeleteDBInstance(GET)`);
  }

  // The refused calls changed nothing: both instances are still RUNNING and their own.
  for (const [me, mine, task] of [[a, ua, ca.taskId], [b, ub, cb.taskId]] as const) {
    const r = await me.ok('DescribeDBInstances', { InstanceUuid: mine }, { method: 'GET' });
    assert.equal(r.data[0].Status, 'RUNNING');
    assert.equal((await me.ok('DescribeTask', { TaskId: task }, { method: 'GET' })).data.Status, 'FINISH');
    // No account was left behind by the intruder: the owner can create the same Super account.
    await me.ok('CreatePrivilegedAccount', { InstanceUuid: mine, AccountName: 'intruder', Password: 'Str0ng-Pass', AccountType: 'Super' });
  }

  // Deleting one tenant's instance leaves the other's alone, and its delete task is private too.
  const da = await a.ok('DeleteDBInstance', { InstanceUuid: ua });
  assertNotFound(await b.call('DescribeTask', { TaskId: da.taskId }, { method: 'GET' }), da.taskId, 'B DescribeTask(A delete)');
  await a.waitStatus(ua, 'gone');
  const still = await b.ok('DescribeDBInstances', { InstanceUuid: ub }, { method: 'GET' });
  assert.equal(still.data[0].Status, 'RUNNING');
  assert.equal((await a.ok('DescribeTask', { TaskId: da.taskId }, { method: 'GET' })).data.Status, 'FINISH');

  await b.ok('DeleteDBInstance', { InstanceUuid: ub });
  await b.waitStatus(ub, 'gone');
  for (const me of [a, b]) assert.deepEqual((await me.ok('DescribeDBInstances', {}, { method: 'GET' })).data, []);
});

test('a key signs only for its own secret: tenant B\'s key with tenant A\'s secret is refused', async () => {
  const r = await b.call('DescribeRegions', {}, { secret: a.creds.AccessKeySecret });
  assert.equal(r.body.Code, 'SignatureDoesNotMatch');
  assert.equal(r.status, 403);
  const r2 = await a.call('DescribeRegions', {}, { accessKeyId: b.creds.AccessKeyId });
  assert.equal(r2.body.Code, 'SignatureDoesNotMatch');
});
