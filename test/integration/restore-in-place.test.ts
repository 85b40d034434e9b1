/**
 * StartBatchRollback (spec §4.26, docs/recovery.md "In place"): a full physical backup restored over
 * a basic instance and over an HA instance with a read-only instance, on real MariaDB. The data on
 * every node equals the backup's, the endpoint is unchanged, the account rows follow the restored
 * grants, and each bad input gets its documented code.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import BetterSqlite3 from 'better-sqlite3';
import { createParams, createRunning, HA_1C2G, startServer, type ServerHandle } from '../support/harness.js';
import { backupNow } from '../support/backups.js';
import { socketQuery } from '../support/ha.js';

let s: ServerHandle;
const PW = 'Restore-Pass1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  s = await startServer({ config: { ha: { readOnlyMinCreatingMs: 1000 }, archive: { enabled: true } } });
});
after(async () => { await s?.cleanup(); });

async function sql(inst: any, q: string, params: unknown[] = []): Promise<any[]> {
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  try {
    return (await c.query(q, params))[0] as any[];
  } finally {
    await c.end();
  }
}

/** Rows of app.t as one string: what a node holds, compared across nodes and with the expectation. */
function nodeRows(nodeId: string): string {
  return socketQuery(s.home, nodeId, 'SELECT GROUP_CONCAT(id, ":", v ORDER BY id) FROM app.t').split('\n')[1]!.trim();
}

/** The instance's node ids, read from the home's store (read-only). */
function nodesOf(uuid: string): string[] {
  const db = new BetterSqlite3(`${s.home}/openrds.db`, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM nodes WHERE instance_uuid = ?').all(uuid) as Array<{ id: string }>).map((r) => r.id);
  } finally {
    db.close();
  }
}

async function waitTask(taskId: string, timeoutMs = 300_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const { data } = await s.client.ok('DescribeTask', { TaskId: taskId }, { method: 'GET' });
    if (data.Status === 'FINISH' || data.Status === 'ERROR') return data;
    if (Date.now() - t0 > timeoutMs) throw new Error(`task ${taskId} still ${data.Status}`);
    await sleep(200);
  }
}

let basic: any;
let other: any;
let physical: any;
let logical: any;

test('basic: the backup comes back in place, later rows and accounts are gone, the endpoint is the same', async () => {
  [basic, other] = await Promise.all([
    createRunning(s.client, { InstanceName: 'basic', Password: PW }),
    createRunning(s.client, { InstanceName: 'other', Password: PW }),
  ]);
  await sql(basic, 'CREATE DATABASE app');
  await sql(basic, 'CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  await sql(basic, "INSERT INTO app.t VALUES (1, 'a'), (2, 'b')");
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: basic.InstanceUuid, AccountName: 'early', Password: 'Early-Pass1', AccountType: 'Normal' });
  physical = await backupNow(s.client, basic.InstanceUuid);
  assert.equal(physical.Status, 'finished');
  logical = await backupNow(s.client, basic.InstanceUuid, { BackupType: 'logical-backup' });
  await sql(basic, "INSERT INTO app.t VALUES (3, 'late')");
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: basic.InstanceUuid, AccountName: 'late', Password: 'Late-Pass1', AccountType: 'Normal' });
  await s.client.ok('DeleteDBAccount', { InstanceUuid: basic.InstanceUuid, AccountName: 'early' });
  await sql(basic, 'DROP TABLE app.t');

  const r = await s.client.ok('StartBatchRollback', { InstanceUuid: basic.InstanceUuid, BackupId: physical.BackupId });
  assert.equal(typeof r.taskId, 'string');
  assert.ok(r.taskId.length > 0);
  assert.deepEqual(r.data, {});
  const during = await s.client.ok('DescribeDBInstances', { InstanceUuid: basic.InstanceUuid }, { method: 'GET' });
  assert.notEqual(during.data[0].Status, 'RUNNING', 'not RUNNING while the restore runs (spec §5)');
  const busy = await s.client.call('StartBatchRollback', { InstanceUuid: basic.InstanceUuid, BackupId: physical.BackupId });
  assert.equal(busy.body.Code, 'ResourceInUse');
  assert.equal(busy.status, 409);

  const task = await waitTask(r.taskId);
  assert.equal(task.Status, 'FINISH', JSON.stringify(task));
  const after = await s.client.waitStatus(basic.InstanceUuid, 'RUNNING');
  assert.equal(after.IP, basic.IP);
  assert.equal(after.Port, basic.Port);
  assert.deepEqual(await sql(basic, 'SELECT id, v FROM app.t ORDER BY id'), [{ id: 1, v: 'a' }, { id: 2, v: 'b' }]);
  const accounts = (await s.client.ok('DescribeDBAccount', { InstanceUuid: basic.InstanceUuid }, { method: 'GET' })).data;
  const names = (Array.isArray(accounts) ? accounts : accounts.Accounts ?? []).map((a: any) => a.AccountName).sort();
  assert.deepEqual(names, ['early', 'root'], 'the store follows the restored grants');
  const c = await mysql.createConnection({ host: basic.IP, port: basic.Port, user: 'early', password: 'Early-Pass1' });
  await c.end();
  await assert.rejects(mysql.createConnection({ host: basic.IP, port: basic.Port, user: 'late', password: 'Late-Pass1' }));
  // Writable, and the restored history continues after the backup's GTID.
  await sql(basic, "INSERT INTO app.t VALUES (4, 'after')");
  const [g] = await sql(basic, 'SELECT @@gtid_binlog_pos AS g');
  const seq = (x: string) => Number(x.split('-')[2]);
  assert.ok(seq(g.g) > seq(physical.Gtid), `${g.g} continues after ${physical.Gtid}`);
});

test('bad input: each gets its documented code, and nothing starts', async () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['no BackupId', { InstanceUuid: basic.InstanceUuid }, 'ArgMissing', /BackupId/],
    ['no InstanceUuid', { BackupId: physical.BackupId }, 'ArgMissing', /InstanceUuid/],
    ['malformed BackupId', { InstanceUuid: basic.InstanceUuid, BackupId: 'nope' }, 'InvalidParameter', /BackupId/],
    ['unknown BackupId', { InstanceUuid: basic.InstanceUuid, BackupId: 'bk-00000000000000000000' }, 'ResourceNotFound', /backup/],
    ['unknown instance', { InstanceUuid: '00000000-0000-4000-8000-000000000000', BackupId: physical.BackupId }, 'ResourceNotFound', /instance/],
    ['a logical backup', { InstanceUuid: basic.InstanceUuid, BackupId: logical.BackupId }, 'InvalidParameter', /BackupId.*physical/],
    ['a backup of another instance', { InstanceUuid: other.InstanceUuid, BackupId: physical.BackupId }, 'InvalidParameter', /BackupId.*of instance/],
  ];
  for (const [name, params, code, msg] of cases) {
    const r = await s.client.call('StartBatchRollback', params);
    assert.equal(r.body.Code, code, name);
    assert.match(r.body.Message, msg, name);
    assert.ok(r.status < 500, name);
  }
  const foreign = await startForeignTenant();
  const r = await foreign.call('StartBatchRollback', { InstanceUuid: basic.InstanceUuid, BackupId: physical.BackupId });
  assert.equal(r.body.Code, 'ResourceNotFound', "another tenant's instance");
  const d = await s.client.ok('DescribeDBInstances', { InstanceUuid: basic.InstanceUuid }, { method: 'GET' });
  assert.equal(d.data[0].Status, 'RUNNING');
});

async function startForeignTenant() {
  const { newKey } = await import('../support/harness.js');
  const { TestClient } = await import('../support/cds-client.js');
  return new TestClient(s.url, newKey(s.home, 'tenant-b'));
}

test('HA with a read-only instance: the primary restored, standby and read-only re-seeded, all three equal the backup', async () => {
  const created = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'ha', PaasGoodsId: HA_1C2G, Password: PW }));
  const ha = await s.client.waitStatus(created.data.InstancesUuid[0], 'RUNNING', 180_000);
  await sql(ha, 'CREATE DATABASE app');
  await sql(ha, 'CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  await sql(ha, "INSERT INTO app.t VALUES (1, 'x'), (2, 'y')");
  const roCreated = await s.client.ok('CreateReadOnlyDBInstance', {
    InstanceUuid: ha.InstanceUuid, InstanceName: 'ro', PaasGoodsId: 15686, DiskType: 'ssd_disk', DiskValue: 100,
  });
  const ro = await s.client.waitStatus(roCreated.data.InstancesUuid[0], 'RUNNING', 180_000);
  const b = await backupNow(s.client, ha.InstanceUuid);
  assert.equal(b.Status, 'finished');
  await sql(ha, "INSERT INTO app.t VALUES (3, 'late')");
  await sql(ha, 'DELETE FROM app.t WHERE id = 1');

  const r = await s.client.ok('StartBatchRollback', { InstanceUuid: ha.InstanceUuid, BackupId: b.BackupId });
  const roDuring = await s.client.ok('DescribeDBInstances', { InstanceUuid: ro.InstanceUuid }, { method: 'GET' });
  assert.equal(roDuring.data[0].Status, 'RESTORING', 'the read-only instance is taken over by the restore');
  const task = await waitTask(r.taskId);
  assert.equal(task.Status, 'FINISH', JSON.stringify(task));
  const after = await s.client.waitStatus(ha.InstanceUuid, 'RUNNING');
  await s.client.waitStatus(ro.InstanceUuid, 'RUNNING');
  assert.equal(after.IP, ha.IP);
  assert.equal(after.Port, ha.Port);

  const want = '1:x,2:y';
  const haNodes = nodesOf(ha.InstanceUuid);
  const roNodes = nodesOf(ro.InstanceUuid);
  assert.equal(haNodes.length, 2);
  assert.equal(roNodes.length, 1);
  for (const n of [...haNodes, ...roNodes]) assert.equal(nodeRows(n), want, `node ${n}`);
  // Through the unchanged endpoint: writable, and the write reaches the standby and the read-only copy.
  await sql(ha, "INSERT INTO app.t VALUES (5, 'new')");
  const deadline = Date.now() + 30_000;
  for (const n of [...haNodes, ...roNodes]) {
    while (nodeRows(n) !== `${want},5:new`) {
      if (Date.now() > deadline) assert.fail(`node ${n} holds ${nodeRows(n)}`);
      await sleep(100);
    }
  }
  const [rep] = await sql(ro, 'SELECT @@read_only AS ro');
  assert.equal(Number(rep.ro), 1);
});
