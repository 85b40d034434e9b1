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

/** The memory plan of the HA specs (src/engine/mariadb/profile/mycnf.ts memoryPlan), by Ram in MB as DescribeDBInstances shows it. */
const PLAN: Record<number, { bufferPool: number; maxConnections: number }> = {
  2048: { bufferPool: 128 * 1024 * 1024, maxConnections: 400 },
  4096: { bufferPool: 2432 * 1024 * 1024, maxConnections: 800 },
};

/**
 * Where serve is killed once the restart-nodes step runs: while the standby is down (its process
 * seen gone), or inside the controlled switchover, right after the old primary was demoted
 * (read_only seen ON) and before the standby is promoted. Either way the resumed step brings the
 * pair back first (src/instances/resume-nodes.ts) and the resize ends FINISH.
 */
for (const killAt of ['standby restart', 'switchover'] as const) {
  test(`kill -9 of serve in the middle of an HA resize (${killAt}): the task ends FINISH, the instance RUNNING with the new spec, no acknowledged write lost`, async () => {
    const uuid = inst.InstanceUuid;
    const before0 = await healthy(uuid);
    const cfg = { host: inst.IP, port: inst.Port, user: 'root', password: PW };
    const c = await mysql.createConnection(cfg);
    await c.query('CREATE TABLE IF NOT EXISTS app.resize (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
    await c.end();
    const nodes0 = homeNodes(s.home);
    assert.equal(nodes0.length, 2, 'only the HA pair lives in this home now');
    const primary = (await writableNode(nodes0, 'root', PW))!;
    assert.ok(primary, 'a writable primary before the resize');
    const target = before0.PaasGoodsId === 6704 ? HA_1C2G : 6704;
    const w = new Writers(cfg, 'app.resize', 3);
    await sleep(500);

    const from = s.logs().length;
    const r = await s.client.ok('ModifyDBInstanceSpec', { InstanceUuid: uuid, PaasGoodsId: target });
    const t0 = Date.now();
    while (!/"step":"restart-nodes"[^\n]*"msg":"step start"/.test(s.logs().slice(from))) {
      assert.ok(Date.now() - t0 < 120_000, `the restart-nodes step did not start:\n${s.logs().slice(from).slice(-3000)}`);
      await sleep(20);
    }
    if (killAt === 'standby restart') {
      const standby = nodes0.find((n) => n.id !== primary.id)!;
      while (pidAlive(standby.pid)) {
        assert.ok(Date.now() - t0 < 180_000, 'the resize never stopped the standby');
        await sleep(1);
      }
    } else {
      const pc = await mysql.createConnection({ host: primary.ip, port: 3306, user: 'root', password: PW });
      for (;;) {
        const [[row]] = await pc.query('SELECT @@read_only AS ro') as any;
        if (Number(row.ro) === 1) break;
        assert.ok(Date.now() - t0 < 180_000, 'the switchover never demoted the primary');
        await sleep(5);
      }
      pc.destroy();
    }
    const killedAt = Date.now();
    const killedLog = s.logs().slice(from);
    await s.kill9();
    await s.restart();

    const d = await s.client.waitStatus(uuid, 'RUNNING', 240_000);
    let task: any;
    for (const t1 = Date.now(); ; await sleep(200)) {
      task = (await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' })).data;
      if (['FINISH', 'ERROR'].includes(task.Status)) break;
      assert.ok(Date.now() - t1 < 60_000, `task still ${task.Status} while the instance is RUNNING`);
    }
    const h = await healthy(uuid);
    await w.firstWriteAfter(killedAt, 60_000);
    await sleep(300);
    await w.stop();
    assert.deepEqual(await missingRows(cfg, 'app.resize', w.acked), [], 'no acknowledged write lost');

    // The resumed task finishes the resize: the new spec, in the API and in the engine.
    assert.equal(task.Status, 'FINISH', `task ${task.Status}: ${task.ErrorMessage}`);
    assert.equal(h.PaasGoodsId, target);
    assert.equal(d.PaasGoodsId, h.PaasGoodsId);
    const want = PLAN[h.Ram];
    assert.ok(want, `Ram ${h.Ram} is an HA spec's`);
    assert.equal(h.Cpu, h.Ram / 2048, 'Cpu and Ram of one spec');
    const nodes = homeNodes(s.home);
    assert.equal(nodes.length, 2);
    assert.ok(nodes.every((n) => pidAlive(n.pid)));
    const writable: string[] = [];
    for (const n of nodes) {
      const nc = await mysql.createConnection({ host: n.ip, port: 3306, user: 'root', password: PW });
      const [[v]] = await nc.query('SELECT @@innodb_buffer_pool_size AS bp, @@max_connections AS mc, @@read_only AS ro') as any;
      await nc.end();
      assert.equal(Number(v.bp), want.bufferPool, `node ${n.id} buffer pool (spec shown: ${h.Cpu}C ${h.Ram} MB)`);
      assert.equal(Number(v.mc), want.maxConnections, `node ${n.id} max_connections`);
      if (Number(v.ro) === 0) writable.push(n.id);
    }
    assert.equal(writable.length, 1, `exactly one writable node, got ${writable.join(', ') || 'none'}`);
    const wn = (await writableNode(nodes, 'root', PW))!;
    assert.equal(wn.id, writable[0]);
    const ec = await mysql.createConnection(cfg);
    const [[e]] = await ec.query('SELECT @@report_host AS host') as any;
    await ec.end();
    assert.equal(e.host, wn.ip, 'the endpoint reaches the writable node');
    console.log(`# HA resize killed at ${killAt} (${/"msg":"switchover done"/.test(killedLog) ? 'after' : 'before'} the switchover): task ${task.Status}, spec ${h.PaasGoodsId}, ${w.acked.length} writes, none lost`);
  });
}

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
