/** The whole basic lifecycle against real MariaDB and the real HTTP server. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createParams, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
before(async () => { s = await startServer(); });
after(async () => { await s?.cleanup(); });

test('create → RUNNING → account → login, write, read → delete → ResourceNotFound', async () => {
  const c = s.client;
  const created = await c.ok('CreateDBInstance', createParams({ InstanceName: 'life' }));
  assert.equal(typeof created.taskId, 'string');
  assert.ok(created.taskId.length > 0);
  const uuid: string = created.data.InstancesUuid[0];

  // Listed at once, not yet RUNNING (spec §5 guarantee 1 and 2).
  const early = await c.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(early.data.length, 1);
  assert.notEqual(early.data[0].Status, 'RUNNING');

  const inst = await c.waitStatus(uuid, 'RUNNING');
  for (const k of ['Port', 'Cpu', 'Ram', 'Disks']) assert.equal(Number.isInteger(inst[k]), true, `${k} is an int`);
  assert.equal(inst.Ram, 2048);
  assert.equal(inst.MasterInfo, '');
  assert.match(inst.Version, /^10\.\d+\.\d+$/);

  const task = await c.ok('DescribeTask', { TaskId: created.taskId }, { method: 'GET' });
  assert.equal(task.data.Status, 'FINISH');
  assert.equal(task.data.ResourceId, uuid);

  await c.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'appsuper', Password: 'Str0ng-Pass', AccountType: 'Super' });
  const conn = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'appsuper', password: 'Str0ng-Pass' });
  try {
    await conn.query('CREATE DATABASE shop');
    await conn.query('CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))');
    await conn.query("INSERT INTO shop.items VALUES (1, 'apple'), (2, 'pear')");
    const [rows] = await conn.query('SELECT name FROM shop.items ORDER BY id');
    assert.deepEqual((rows as any[]).map((r) => r.name), ['apple', 'pear']);
  } finally {
    await conn.end();
  }
  // Only one Super per instance.
  const second = await c.call('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'other', Password: 'Str0ng-Pass', AccountType: 'Super' });
  assert.equal(second.body.Code, 'InvalidParameter');
  assert.match(second.body.Message, /AccountType/);

  // The control plane keeps no clear password anywhere in its store.
  const { readFileSync, readdirSync } = await import('node:fs');
  for (const f of readdirSync(s.home).filter((x) => x.startsWith('openrds.db'))) {
    assert.equal(readFileSync(`${s.home}/${f}`).includes('Str0ng-Pass'), false, `${f} holds the clear password`);
  }

  const del = await c.ok('DeleteDBInstance', { InstanceUuid: uuid });
  assert.ok(del.taskId);
  const during = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
  if (during.body.Code === 'Success') assert.equal(during.body.Data[0].Status, 'DELETING');
  await c.waitStatus(uuid, 'gone');
  const gone = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.Code, 'ResourceNotFound');
  await assert.rejects(mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'appsuper', password: 'Str0ng-Pass', connectTimeout: 2000 }));
  const { existsSync } = await import('node:fs');
  assert.equal(readdirSync(`${s.home}/nodes`).length, 0, 'node directories are removed');
  assert.ok(existsSync(s.home));
});

test('Password on CreateDBInstance becomes the root Super account; Amount creates several', async () => {
  const c = s.client;
  const r = await c.ok('CreateDBInstance', createParams({ InstanceName: 'pair', Amount: 2, Password: 'Root-Pass1' }));
  assert.equal(r.data.InstancesUuid.length, 2);
  const insts = await Promise.all(r.data.InstancesUuid.map((u: string) => c.waitStatus(u, 'RUNNING')));
  assert.notEqual(insts[0].IP, insts[1].IP, 'each instance has its own IP');
  const group = await c.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
  assert.equal(group.data.Status, 'FINISH');
  assert.deepEqual([...group.data.ResourceIds].sort(), [...r.data.InstancesUuid].sort());
  for (const i of insts) {
    const conn = await mysql.createConnection({ host: i.IP, port: i.Port, user: 'root', password: 'Root-Pass1' });
    const [rows] = await conn.query('SELECT CURRENT_USER() AS u');
    assert.equal((rows as any[])[0].u, 'root@%');
    await conn.end();
  }
  for (const u of r.data.InstancesUuid) await c.ok('DeleteDBInstance', { InstanceUuid: u });
  for (const u of r.data.InstancesUuid) await c.waitStatus(u, 'gone');
});
