/**
 * Crashes: kill -9 of a database process and of the control plane at various moments.
 * The system must converge by itself, with no acknowledged write lost.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createParams, createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { dbPids } from '../support/ha.js';

let s: ServerHandle;
before(async () => { s = await startServer(); });
after(async () => { await s?.cleanup(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


test('kill -9 of mariadbd: restarted within 10 s, every acknowledged commit survives', async () => {
  const inst = await createRunning(s.client, { InstanceName: 'crashy', Password: 'Crash-Pass1' });
  const cfg = { host: inst.IP, port: inst.Port, user: 'root', password: 'Crash-Pass1' };
  const setup = await mysql.createConnection(cfg);
  await setup.query('CREATE DATABASE app');
  await setup.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(32))');
  await setup.end();

  const acked: number[] = [];
  let stop = false;
  const writer = (async () => {
    let id = 0;
    let conn: mysql.Connection | undefined;
    while (!stop) {
      try {
        conn ??= await mysql.createConnection({ ...cfg, connectTimeout: 1000 });
        const next = ++id;
        await conn.query({ sql: 'INSERT INTO app.t VALUES (?, ?)', timeout: 10_000 }, [next, `row-${next}`]); // bounded, as in support/ha.ts Writers
        acked.push(next);
      } catch {
        conn?.destroy();
        conn = undefined;
        await sleep(20);
      }
    }
    conn?.destroy();
  })();
  await sleep(500);
  const before = acked.length;
  assert.ok(before > 0, 'writes went through before the crash');
  const pids = dbPids(s.home);
  assert.equal(pids.size, 1);
  const [nodeId, pid] = [...pids][0]!;
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');

  // Back within 10 s: the same node id answers with a new pid.
  let upAt = 0;
  while (Date.now() - killedAt < 15_000) {
    const now = dbPids(s.home).get(nodeId);
    if (now && now !== pid) {
      try {
        const c = await mysql.createConnection({ ...cfg, connectTimeout: 500 });
        await c.query('SELECT 1');
        await c.end();
        upAt = Date.now();
        break;
      } catch { /* still recovering */ }
    }
    await sleep(50);
  }
  assert.ok(upAt > 0, 'the node came back');
  assert.ok(upAt - killedAt < 10_000, `recovered in ${upAt - killedAt} ms`);
  const afterCrash = acked.length;
  while (acked.length < afterCrash + 20) await sleep(20); // writes resume through the same address
  stop = true;
  await writer;

  const check = await mysql.createConnection(cfg);
  const [rows] = await check.query('SELECT id FROM app.t');
  await check.end();
  const present = new Set((rows as Array<{ id: number }>).map((r) => r.id));
  const lost = acked.filter((id) => !present.has(id));
  assert.deepEqual(lost, [], `acknowledged rows lost: ${lost.slice(0, 10).join(',')}`);

  const d = await s.client.waitStatus(inst.InstanceUuid, 'RUNNING');
  assert.equal(d.Status, 'RUNNING');
  await s.client.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
  await s.client.waitStatus(inst.InstanceUuid, 'gone');
});

test('restarting serve leaves instances and open client connections untouched', async () => {
  const inst = await createRunning(s.client, { InstanceName: 'steady', Password: 'Stead-Pass1' });
  const pidsBefore = dbPids(s.home);
  const conn = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: 'Stead-Pass1' });
  await conn.query('CREATE DATABASE keep');
  await s.kill9();
  await conn.query('CREATE TABLE keep.t (i INT)'); // the database does not notice
  await s.restart();
  await sleep(1500); // a few watchdog rounds
  await conn.query('INSERT INTO keep.t VALUES (1)');
  const [rows] = await conn.query('SELECT COUNT(*) AS n FROM keep.t');
  assert.equal((rows as any[])[0].n, 1);
  await conn.end();
  assert.deepEqual(dbPids(s.home), pidsBefore, 'no database process was restarted');
  const d = await s.client.ok('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.equal(d.data[0].Status, 'RUNNING');
  await s.client.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
  await s.client.waitStatus(inst.InstanceUuid, 'gone');
});

// The create task has three steps; killing at several offsets lands before, inside and after them.
for (const delayMs of [0, 150, 400, 800, 1500]) {
  test(`kill -9 of serve ${delayMs} ms into CreateDBInstance: converges to one RUNNING instance`, async () => {
    const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: `k${delayMs}`, Password: 'Kill-Pass1' }));
    const uuid = r.data.InstancesUuid[0];
    await sleep(delayMs);
    await s.kill9();
    await s.restart();
    const inst = await s.client.waitStatus(uuid, 'RUNNING', 60_000);
    const task = await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
    assert.equal(task.data.Status, 'FINISH');
    const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: 'Kill-Pass1' });
    await c.query('SELECT 1');
    await c.end();
    assert.equal(dbPids(s.home).size, 1, 'exactly one database process for the one instance');
    await s.client.ok('DeleteDBInstance', { InstanceUuid: uuid });
    await s.client.waitStatus(uuid, 'gone');
    assert.equal(dbPids(s.home).size, 0);
  });
}

test('kill -9 of serve during DeleteDBInstance: deletion completes after restart', async () => {
  const inst = await createRunning(s.client, { InstanceName: 'del' });
  await s.client.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
  await s.kill9();
  await s.restart();
  await s.client.waitStatus(inst.InstanceUuid, 'gone', 60_000);
  assert.equal(dbPids(s.home).size, 0);
  assert.deepEqual(readdirSync(`${s.home}/nodes`), []);
});

test('a database killed while serve is down is restarted when serve comes back', async () => {
  const inst = await createRunning(s.client, { InstanceName: 'both' });
  await s.kill9();
  const [[, pid]] = [...dbPids(s.home)];
  process.kill(pid!, 'SIGKILL');
  await sleep(200);
  await s.restart();
  const t0 = Date.now();
  await s.client.waitStatus(inst.InstanceUuid, 'RUNNING', 20_000);
  while (dbPids(s.home).size !== 1 && Date.now() - t0 < 10_000) await sleep(50);
  assert.equal(dbPids(s.home).size, 1);
  await s.client.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
  await s.client.waitStatus(inst.InstanceUuid, 'gone');
});
