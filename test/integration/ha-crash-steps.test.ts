/**
 * kill -9 of serve inside a step that stops or switches nodes (issue 11, defect 8): a restart of
 * the HA pair for a restart-only parameter (killed while the standby is down, and inside the
 * controlled switchover), and a standby rebuild (killed while the standby is down for its copy).
 * Each kill lands inside the step by observation, not by a delay: the step's "step start" line is
 * in the log and the node's process is seen gone (or the primary seen read-only). After serve
 * restarts, the resumed task must end FINISH with the change applied, every node running, no
 * acknowledged write lost, and exactly one writable node behind the endpoint.
 * The rolling resize has the same kill points in ha-crash.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { startServer, type ServerHandle } from '../support/harness.js';
import { Writers, createHaWithTable, dbPids, homeNodes, missingRows, pidAlive, socketQuery, writableNode, type NodeInfo } from '../support/ha.js';

let s: ServerHandle;
let inst: any;
const PW = 'Crash-Steps-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  s = await startServer({ config: { ha: { maxFailoversPerWindow: 20 } } });
  inst = await createHaWithTable(s, 'steps', PW);
});
after(async () => { await s?.cleanup(); });

const cfg = () => ({ host: inst.IP, port: inst.Port, user: 'root', password: PW });

async function healthy(timeoutMs = 120_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const r = await s.client.call('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' }).catch(() => undefined);
    const d = r?.body.Data?.[0];
    if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && homeNodes(s.home).every((n) => pidAlive(n.pid))) return d;
    if (Date.now() - t0 > timeoutMs) throw new Error(`not healthy: ${d?.Status} ${d?.StatusDetail} ${d?.HaSemiSync}`);
    await sleep(200);
  }
}

/** Waits until `re` matches the log written since `from`; returns the match. */
async function logLine(from: number, re: RegExp, timeoutMs = 180_000): Promise<RegExpExecArray> {
  const t0 = Date.now();
  for (;;) {
    const m = re.exec(s.logs().slice(from));
    if (m) return m;
    assert.ok(Date.now() - t0 < timeoutMs, `${re} not in the log:\n${s.logs().slice(from).slice(-3000)}`);
    await sleep(10);
  }
}

/** Polls (1 ms) until the process `pid` is gone: the step has stopped that node. */
async function gone(pid: number, what: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (pidAlive(pid)) {
    assert.ok(Date.now() - t0 < timeoutMs, `${what} (pid ${pid}) was never stopped`);
    await sleep(1);
  }
}

async function taskEnd(taskId: string, timeoutMs = 240_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const t = (await s.client.ok('DescribeTask', { TaskId: taskId }, { method: 'GET' })).data;
    if (['FINISH', 'ERROR'].includes(t.Status)) return t;
    assert.ok(Date.now() - t0 < timeoutMs, `task ${taskId} still ${t.Status}`);
    await sleep(250);
  }
}

async function variable(ip: string, name: string): Promise<string> {
  const c = await mysql.createConnection({ host: ip, port: 3306, user: 'root', password: PW });
  const [[row]] = await c.query(`SELECT @@GLOBAL.${name} AS v, @@read_only AS ro`) as any;
  await c.end();
  return String(row.v);
}

/** After the kill: every node runs, one writable node, the endpoint leads to it, no acknowledged write lost. */
async function checkPair(w: Writers, killedAt: number): Promise<NodeInfo[]> {
  await healthy();
  await w.firstWriteAfter(killedAt, 60_000);
  await sleep(300);
  await w.stop();
  assert.deepEqual(await missingRows(cfg(), 'app.t', w.acked), [], 'no acknowledged write lost');
  const nodes = homeNodes(s.home);
  assert.equal(nodes.length, 2);
  const pids = dbPids(s.home);
  assert.ok(nodes.every((n) => pids.has(n.id)), `every node runs: ${[...pids.keys()].join(', ')}`);
  const writable: string[] = [];
  for (const n of nodes) {
    const c = await mysql.createConnection({ host: n.ip, port: 3306, user: 'root', password: PW });
    const [[v]] = await c.query('SELECT @@read_only AS ro') as any;
    await c.end();
    if (Number(v.ro) === 0) writable.push(n.id);
  }
  assert.equal(writable.length, 1, `exactly one writable node, got ${writable.join(', ') || 'none'}`);
  const ec = await mysql.createConnection(cfg());
  const [[e]] = await ec.query('SELECT @@report_host AS host') as any;
  await ec.end();
  assert.equal(e.host, nodes.find((n) => n.id === writable[0])!.ip, 'the endpoint reaches the writable node');
  return nodes;
}

/**
 * Kill points: the standby's process gone (stopped for its restart); the primary read-only
 * (demoted, not handed over); the standby writable (promoted: the store, the endpoint and the old
 * primary's replication may not have followed yet).
 */
for (const killAt of ['standby down', 'switchover', 'promoted'] as const) {
  test(`kill -9 of serve inside restart-nodes of an HA parameter change (${killAt}): FINISH, back_log applied on every node`, async () => {
    await healthy();
    const nodes0 = homeNodes(s.home);
    const standby = nodes0.find((n) => n.readOnly)!;
    const primary = (await writableNode(nodes0, 'root', PW))!;
    assert.ok(standby && primary && standby.id !== primary.id);
    const value = String(Number(await variable(primary.ip, 'back_log')) + 11);
    const w = new Writers(cfg(), 'app.t', 3);
    await sleep(300);
    const from = s.logs().length;
    const r = await s.client.ok('ModifyDBParameter', { InstanceUuid: inst.InstanceUuid, Parameters: [{ Name: 'back_log', Value: value }] });
    await logLine(from, /"step":"restart-nodes"[^\n]*"msg":"step start"/);
    let downAtKill = false;
    if (killAt === 'standby down') {
      await gone(standby.pid, 'the standby');
      downAtKill = !dbPids(s.home).has(standby.id);
    } else {
      // Demoted: the primary shows read_only ON; promoted: the (restarted) standby shows it OFF.
      const watched = killAt === 'switchover' ? primary : standby;
      const want = killAt === 'switchover' ? 1 : 0;
      await gone(standby.pid, 'the standby'); // its restart comes first
      let c: mysql.Connection | undefined;
      for (const t0 = Date.now(); ; await sleep(2)) {
        try {
          c ??= await mysql.createConnection({ host: watched.ip, port: 3306, user: 'root', password: PW, connectTimeout: 1000 });
          const [[row]] = await c.query('SELECT @@read_only AS ro') as any;
          if (Number(row.ro) === want) break;
        } catch {
          c?.destroy();
          c = undefined; // still restarting
        }
        assert.ok(Date.now() - t0 < 180_000, `the switchover never reached "${killAt}"`);
      }
      c?.destroy();
    }
    const killedAt = Date.now();
    await s.kill9();
    if (killAt === 'standby down') downAtKill &&= !dbPids(s.home).has(standby.id);
    const resumedFrom = s.logs().length;
    await s.restart();

    const task = await taskEnd(r.taskId);
    assert.equal(task.Status, 'FINISH', `task ${task.Status}: ${JSON.stringify(task)}`);
    const nodes = await checkPair(w, killedAt);
    for (const n of nodes) assert.equal(await variable(n.ip, 'back_log'), value, `back_log on node ${n.id}`);
    // What the resumed step found and repaired (src/instances/resume-nodes.ts), for the record.
    const resumed = s.logs().slice(resumedFrom);
    const repaired = [...resumed.matchAll(/"plan":(\[[^\]]*\])/g)].map((m) => JSON.parse(m[1]!).map((a: { kind: string }) => a.kind).join('+'));
    const waited = (resumed.match(/"msg":"resuming: a node that should run does not answer/g) ?? []).length;
    console.log(`# parameter restart killed at ${killAt}${killAt === 'standby down' ? ` (standby process down when serve died: ${downAtKill})` : ''}: `
      + `resumed step started/waited for ${waited} node(s), pair repair [${repaired.join('; ') || 'none'}]; FINISH, ${w.acked.length} writes, none lost`);
  });
}

test('kill -9 of serve inside the rebuild of a diverged standby: the copy is redone, FINISH, the standby replicates', async () => {
  await healthy();
  const nodes0 = homeNodes(s.home);
  const standby = nodes0.find((n) => n.readOnly)!;
  const w = new Writers(cfg(), 'app.t', 2);
  await sleep(300);
  // A row only the standby has, then the same key on the primary: the standby's SQL thread stops
  // with a duplicate key, the HA monitor starts RepairStandby, and `rejoin` decides to rebuild.
  socketQuery(s.home, standby.id, 'SET sql_log_bin = 0; INSERT INTO app.t (id, v) VALUES (900000001, 7)');
  const from = s.logs().length;
  const c = await mysql.createConnection(cfg());
  await c.query('INSERT INTO app.t (id, v) VALUES (900000001, 8)');
  await c.end();
  const m = await logLine(from, /"taskId":"([^"]+)","taskType":"RepairStandby"[^\n]*"step":"rebuild"[^\n]*"msg":"step start"/);
  await gone(standby.pid, 'the standby being rebuilt');
  const killedAt = Date.now();
  await s.kill9();
  await s.restart();

  const task = await taskEnd(m[1]!);
  assert.equal(task.Status, 'FINISH', `task ${task.Status}: ${JSON.stringify(task)}`);
  await checkPair(w, killedAt);
  // The standby is the primary's copy: the primary's row, not the diverged one, and new writes arrive.
  const out = socketQuery(s.home, standby.id, 'SELECT v FROM app.t WHERE id = 900000001');
  assert.match(out, /\b8\b/);
  const pc = await mysql.createConnection(cfg());
  const [ins] = await pc.query('INSERT INTO app.t (v) VALUES (99)') as any;
  await pc.end();
  let seen = false;
  for (let i = 0; i < 100 && !seen; i++) {
    seen = /^1$/m.test(socketQuery(s.home, standby.id, `SELECT COUNT(*) FROM app.t WHERE id = ${ins.insertId}`));
    if (!seen) await sleep(100);
  }
  assert.ok(seen, 'the rebuilt standby replicates new writes');
});
