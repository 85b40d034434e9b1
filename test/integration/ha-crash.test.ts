/** kill -9 of the control plane during an HA create, a failover and a read-only creation: everything converges. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { HA_1C2G, createParams, startServer, type ServerHandle } from '../support/harness.js';
import { Writers, homeNodes, missingRows, pidAlive, writableNode } from '../support/ha.js';

let s: ServerHandle;
const PW = 'Crash-Ha-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  s = await startServer({ config: { ha: { maxFailoversPerWindow: 20, readOnlyMinCreatingMs: 0 } } });
});
after(async () => { await s?.cleanup(); });

async function healthy(uuid: string, timeoutMs = 90_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const r = await s.client.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' }).catch(() => undefined);
    const d = r?.body.Data?.[0];
    const nodes = homeNodes(s.home);
    if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && nodes.every((n) => pidAlive(n.pid))) return d;
    if (Date.now() - t0 > timeoutMs) throw new Error(`not healthy: ${d?.Status} ${d?.StatusDetail} ${d?.HaSemiSync}`);
    await sleep(200);
  }
}

let inst: any;
for (const delayMs of [300, 1500]) {
  test(`kill -9 of serve ${delayMs} ms into an HA create: one healthy pair`, async () => {
    const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: `hac${delayMs}`, PaasGoodsId: HA_1C2G, Password: PW }));
    await sleep(delayMs);
    await s.kill9();
    await s.restart();
    const d = await s.client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 120_000);
    await healthy(d.InstanceUuid);
    const c = await mysql.createConnection({ host: d.IP, port: d.Port, user: 'root', password: PW });
    await c.query('SELECT 1');
    await c.end();
    if (inst) {
      await s.client.ok('DeleteDBInstance', { InstanceUuid: d.InstanceUuid });
      await s.client.waitStatus(d.InstanceUuid, 'gone');
    } else {
      inst = d;
    }
  });
}

test('kill -9 of serve during a failover: the failover completes after restart, no acknowledged write lost', async () => {
  const cfg = { host: inst.IP, port: inst.Port, user: 'root', password: PW };
  const c = await mysql.createConnection(cfg);
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await c.end();
  const primary = (await writableNode(homeNodes(s.home), 'root', PW))!;
  const w = new Writers(cfg, 'app.t', 3);
  await sleep(500);
  const killedAt = Date.now();
  process.kill(primary.pid, 'SIGKILL');
  // Wait until the failover has started (or at most 400 ms), then kill the control plane.
  while (Date.now() - killedAt < 400) {
    const r = await s.client.call('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
    if (r.body.Data?.[0]?.Status === 'FAILOVER') break;
    await sleep(20);
  }
  await s.kill9();
  await s.restart();
  await w.firstWriteAfter(killedAt, 60_000);
  await w.stop();
  assert.deepEqual(await missingRows(cfg, 'app.t', w.acked), []);
  await healthy(inst.InstanceUuid);
  const nodes = homeNodes(s.home);
  assert.equal(nodes.length, 2);
  assert.ok(nodes.every((n) => pidAlive(n.pid)));
  assert.notEqual((await writableNode(nodes, 'root', PW))?.id, primary.id);
});

test('kill -9 of serve during a read-only creation: it still becomes a replicating read-only instance', async () => {
  await healthy(inst.InstanceUuid);
  const r = await s.client.ok('CreateReadOnlyDBInstance', {
    InstanceUuid: inst.InstanceUuid, InstanceName: 'ro', PaasGoodsId: 15686, DiskType: 'ssd_disk', DiskValue: 100,
  });
  const uuid = r.data.InstancesUuid[0];
  await sleep(700); // inside the copy
  await s.kill9();
  await s.restart();
  const ro = await s.client.waitStatus(uuid, 'RUNNING', 120_000);
  const pc = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  const [ins] = await pc.query('INSERT INTO app.t (v) VALUES (42)') as any;
  await pc.end();
  const rc = await mysql.createConnection({ host: ro.IP, port: ro.Port, user: 'root', password: PW });
  let found = false;
  for (let i = 0; i < 50 && !found; i++) {
    const [rows] = await rc.query('SELECT id FROM app.t WHERE id = ?', [ins.insertId]) as any;
    found = rows.length > 0;
    if (!found) await sleep(100);
  }
  await rc.end();
  assert.ok(found);
  const task = await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
  assert.equal(task.data.Status, 'FINISH');
});
