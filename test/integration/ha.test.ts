/**
 * HA: primary + semi-sync standby behind a stable endpoint. Failover with writes in flight,
 * fencing, hung primaries, semi-sync fallback. Real MariaDB, real nftables endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { startServer, type ServerHandle } from '../support/harness.js';
import { Writers, createHaWithTable, homeNodes, missingRows, pidAlive, socketQuery, writableNode } from '../support/ha.js';

let s: ServerHandle;
let inst: any;
const PW = 'Ha-Pass-123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cfg = () => ({ host: inst.IP, port: inst.Port, user: 'root', password: PW });

before(async () => {
  s = await startServer({ config: { ha: { maxFailoversPerWindow: 20, semiSyncTimeoutMs: 1500, readOnlyMinCreatingMs: 0 } } });
  inst = await createHaWithTable(s, 'ha', PW);
});
after(async () => { await s?.cleanup(); });

/** RUNNING again, both nodes up, the standby replicating and semi-sync ON. */
async function waitHealthy(timeoutMs = 45_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const r = await s.client.call('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
    const d = r.body.Data?.[0];
    const nodes = homeNodes(s.home);
    if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && nodes.length === 2 && nodes.every((n) => pidAlive(n.pid))) return d;
    if (Date.now() - t0 > timeoutMs) {
      const warn = s.logs().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-15).join('\n');
      throw new Error(`not healthy: status ${d?.Status} ${d?.StatusDetail} semi-sync ${d?.HaSemiSync}, nodes ${JSON.stringify(nodes.map((n) => [n.id, n.readOnly, pidAlive(n.pid)]))}\n${warn}`);
    }
    await sleep(200);
  }
}

test('an HA instance is one entry with one endpoint, a writable primary and a read-only semi-sync standby', async () => {
  const d = await waitHealthy();
  assert.equal(d.IP, inst.IP);
  assert.equal(d.SubProductName, 'MySQL 高可用版');
  const nodes = homeNodes(s.home);
  assert.equal(nodes.length, 2);
  assert.ok(nodes.every((n) => n.ip !== inst.IP), 'nodes have their own addresses; the instance IP is the endpoint');
  assert.equal(nodes.filter((n) => n.readOnly).length, 1);
  const primary = await writableNode(nodes, 'root', PW);
  assert.ok(primary && !primary.readOnly);
  const standby = nodes.find((n) => n !== primary)!;
  // Replication state as the host's root sees it (the Super account has no SLAVE MONITOR).
  const st = socketQuery(s.home, standby.id, 'SHOW SLAVE STATUS\\G');
  assert.match(st, /Slave_IO_Running: Yes/);
  assert.match(st, /Using_Gtid: Slave_Pos/);
  const c = await mysql.createConnection({ host: standby.ip, port: 3306, user: 'root', password: PW });
  await assert.rejects(c.query('INSERT INTO app.t (v) VALUES (9)'), /read-only/);
  await c.end();
});

for (let round = 1; round <= 3; round++) {
  test(`failover ${round}: kill -9 of the primary with writers in flight loses no acknowledged write`, async () => {
    await waitHealthy();
    const nodes = homeNodes(s.home);
    const primary = (await writableNode(nodes, 'root', PW))!;
    const w = new Writers(cfg(), 'app.t', 4);
    await sleep(700);
    assert.ok(w.acked.length > 0, 'writes flow before the crash');
    const killedAt = Date.now();
    process.kill(primary.pid, 'SIGKILL');
    const firstOk = await w.firstWriteAfter(killedAt, 30_000);
    await sleep(300);
    await w.stop();
    const gap = firstOk - killedAt;
    assert.ok(gap < 10_000, `writes resumed after ${gap} ms`);
    const lost = await missingRows(cfg(), 'app.t', w.acked);
    assert.deepEqual(lost, [], `lost ${lost.length} acknowledged rows`);
    const newPrimary = await writableNode(homeNodes(s.home), 'root', PW);
    assert.notEqual(newPrimary?.id, primary.id, 'the standby took over');
    // The old primary comes back as the standby (rejoined or rebuilt), and semi-sync is ON again.
    const d = await waitHealthy();
    assert.equal(d.HaFailoverCount, round);
    const old = homeNodes(s.home).find((n) => n.id === primary.id)!;
    assert.ok(old.readOnly, 'the old primary is a read-only standby now');
    // Fencing: no path writes to the old primary, not even its Super account directly.
    const c = await mysql.createConnection({ host: old.ip, port: 3306, user: 'root', password: PW });
    await assert.rejects(c.query('INSERT INTO app.t (v) VALUES (7)'), /read-only/);
    // …and it holds every acknowledged row (it replicates from the new primary).
    await sleep(500);
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM app.t');
    await c.end();
    assert.ok(Number((rows as any[])[0].n) >= w.acked.length);
    const task = await s.client.call('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
    assert.equal(task.body.Data[0].Status, 'RUNNING');
  });
}

test('a hung primary (SIGSTOP) is fenced and failed over', async () => {
  await waitHealthy();
  const primary = (await writableNode(homeNodes(s.home), 'root', PW))!;
  const w = new Writers(cfg(), 'app.t', 2);
  await sleep(500);
  const stoppedAt = Date.now();
  process.kill(primary.pid, 'SIGSTOP');
  try {
    await w.firstWriteAfter(stoppedAt + 100, 30_000);
  } finally {
    await w.stop();
  }
  // Fenced: the hung process was killed, never woken up to write again.
  await sleep(200);
  assert.equal(pidAlive(primary.pid), false, 'the hung primary was killed');
  assert.deepEqual(await missingRows(cfg(), 'app.t', w.acked), []);
  await waitHealthy();
});

test('semi-sync fallback is reported, and then no failover risks acknowledged writes', async () => {
  await waitHealthy();
  const nodes = homeNodes(s.home);
  const primary = (await writableNode(nodes, 'root', PW))!;
  const standby = nodes.find((n) => n.id !== primary.id)!;
  process.kill(standby.pid, 'SIGSTOP'); // the standby stops acknowledging
  try {
    const c = await mysql.createConnection(cfg());
    await c.query('INSERT INTO app.t (v) VALUES (5)'); // waits semiSyncTimeoutMs, then goes async
    const [[row]] = await c.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'") as any;
    assert.equal(row.Value, 'OFF');
    await c.end();
    const t0 = Date.now();
    let seen = '';
    while (Date.now() - t0 < 10_000 && seen !== 'ASYNC') {
      const r = await s.client.ok('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
      seen = r.data[0].HaSemiSync;
      await sleep(100);
    }
    assert.equal(seen, 'ASYNC', 'DescribeDBInstances reports the fallback');
    assert.match(s.logs(), /fell back to ASYNC/);
    // The primary dies now: the standby may miss acknowledged commits, so it is not promoted.
    const w = new Writers(cfg(), 'app.t', 2);
    await sleep(300);
    const killedAt = Date.now();
    process.kill(primary.pid, 'SIGKILL');
    await w.firstWriteAfter(killedAt, 30_000);
    await w.stop();
    assert.deepEqual(await missingRows(cfg(), 'app.t', w.acked), []);
    assert.equal((await writableNode(homeNodes(s.home), 'root', PW))?.id, primary.id, 'the primary was restarted in place');
    assert.match(s.logs(), /automatic failover withheld/);
  } finally {
    process.kill(standby.pid, 'SIGCONT');
  }
  await waitHealthy();
});

test('a restart-only parameter on an HA instance rolls: standby first, then a switchover; writes pause only briefly', async () => {
  await waitHealthy();
  const before = (await writableNode(homeNodes(s.home), 'root', PW))!;
  const w = new Writers(cfg(), 'app.t', 3);
  await sleep(500);
  let maxGap = 0;
  let last = Date.now();
  const gapTimer = setInterval(() => {
    const now = Date.now();
    if (w.lastOkAt > last) last = w.lastOkAt;
    maxGap = Math.max(maxGap, now - last);
  }, 20);
  try {
    const r = await s.client.ok('ModifyDBParameter', { InstanceUuid: inst.InstanceUuid, Parameters: [{ Name: 'back_log', Value: '123' }] });
    const t0 = Date.now();
    for (;;) {
      const t = await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
      if (t.data.Status === 'FINISH') break;
      assert.notEqual(t.data.Status, 'ERROR', t.data.ErrorMessage);
      assert.ok(Date.now() - t0 < 120_000, 'parameter task finished');
      await sleep(200);
    }
    await sleep(500);
  } finally {
    clearInterval(gapTimer);
    await w.stop();
  }
  assert.deepEqual(await missingRows(cfg(), 'app.t', w.acked), []);
  const after = (await writableNode(homeNodes(s.home), 'root', PW))!;
  assert.notEqual(after.id, before.id, 'the primary role moved by a switchover instead of a restart in place');
  assert.ok(maxGap < 3000, `longest write gap ${maxGap} ms`);
  for (const n of homeNodes(s.home)) {
    const v = socketQuery(s.home, n.id, 'SELECT @@back_log');
    assert.match(v, /\b123\b/, `back_log on ${n.id}`);
  }
  await waitHealthy();
});
