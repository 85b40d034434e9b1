/**
 * Rejoin after a failover without a full copy (issue 15 §2, docs/ha.md "Rejoin after a failover").
 * Each case forces its errant transaction on the primary without timing luck, with the control
 * plane paused (SIGSTOP of serve) so that the HA monitor does not repair the standby meanwhile:
 * - truncation: the standby's IO thread is stopped, so a commit waits for its acknowledgement
 *   (seen in Rpl_semi_sync_master_wait_sessions); then the primary is killed. The old primary
 *   restarts as a standby with --init-rpl-role=SLAVE, its crash recovery removes that commit,
 *   and the Failover task itself rejoins it without a copy (no RepairStandby);
 * - fallback: with rpl_semi_sync_master_timeout 200 ms the commit goes through asynchronously
 *   (and a second one makes it durable in InnoDB); the old primary keeps it after recovery, its
 *   GTID state is no subset of the new primary's, the failover leaves it to RepairStandby, and it
 *   is rebuilt from a full copy, with the reason;
 * - kill -9 of serve inside the failover's rejoin (old primary starting; rejoin step): it resumes
 *   and converges.
 * serve is resumed (SIGCONT) right after the kill, within the monitor's 5 s window for its last
 * healthy observation, and after the standby's IO thread was started again (it can only reconnect
 * to the dead primary, so it receives nothing more), so the failover itself happens as in production.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFileSync, statSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { startServer, type ServerHandle } from '../support/harness.js';
import { createHaWithTable, dbPids, homeNodes, pidAlive, socketQuery, writableNode, type NodeInfo } from '../support/ha.js';

let s: ServerHandle;
let inst: any;
const PW = 'Rejoin-Pass-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TRUNCATED = /Successfully truncated binlog file/g;
const CHECK_INTERVAL_MS = 250; // ha.checkIntervalMs, the default

before(async () => {
  s = await startServer({ config: { ha: { maxFailoversPerWindow: 50 } } });
  inst = await createHaWithTable(s, 'rejoin', PW);
});
after(async () => { await s?.cleanup(); });

async function describe(): Promise<any> {
  const r = await s.client.call('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  return r.body.Data?.[0];
}

/**
 * Whether the HA monitor has seen the pair as it is now: its standby observation (/metrics) names
 * the current standby as REPLICATING. A failover's own rejoin makes the pair whole before the
 * monitor looks again, and a primary killed before that look has no recent healthy observation:
 * the monitor then restarts it in place instead of failing over (decideHa), which is right, but
 * not what these cases force.
 */
async function monitorSawPair(): Promise<boolean> {
  const nodes = homeNodes(s.home);
  const primary = await writableNode(nodes, 'root', PW).catch(() => undefined);
  const standby = primary && nodes.find((n) => n.id !== primary.id);
  if (!standby) return false;
  const text = await fetch(`${s.url}/metrics`).then((r) => r.text()).catch(() => '');
  return text.split('\n').some((l) => l.startsWith('openrds_replica_state{') && l.includes(`instance_uuid="${inst.InstanceUuid}"`)
    && l.includes(`node="${standby.id}"`) && l.includes('state="REPLICATING"') && l.endsWith(' 1'));
}

/** RUNNING, semi-sync ON, both nodes alive, seen so by the HA monitor, and (when given) `cond` holds. */
async function healthy(cond: (d: any) => boolean = () => true, timeoutMs = 180_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const d = await describe().catch(() => undefined);
    const pids = dbPids(s.home);
    if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && pids.size === 2 && [...pids.values()].every(pidAlive) && cond(d) && await monitorSawPair()) {
      // The observation and the monitor's memory of a healthy pair are made in the same round: one more round for margin.
      await sleep(2 * CHECK_INTERVAL_MS);
      return d;
    }
    if (Date.now() - t0 > timeoutMs) {
      const warn = s.logs().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-15).join('\n');
      throw new Error(`not healthy: ${d?.Status} ${d?.StatusDetail} semi-sync ${d?.HaSemiSync} rejoins ${d?.HaRejoinCount}/${d?.HaRejoinFullCopyCount}\n${warn}`);
    }
    await sleep(200);
  }
}

const datadirOf = (id: string) => /^datadir = (\S+)$/m.exec(readFileSync(`${s.home}/nodes/${id}/my.cnf`, 'utf8'))![1]!;
const errorLog = (id: string) => readFileSync(`${s.home}/nodes/${id}/error.log`, 'utf8');
const truncations = (id: string) => (errorLog(id).match(TRUNCATED) ?? []).length;
const rowCount = (id: string, rowId: number) => Number(socketQuery(s.home, id, `SELECT COUNT(*) AS n FROM app.t WHERE id = ${rowId}`).trim().split('\n')[1]);
const status = (id: string, name: string) => new RegExp(`${name}\\t(\\S+)`).exec(socketQuery(s.home, id, `SHOW GLOBAL STATUS LIKE '${name}'`))?.[1];

async function pair(): Promise<{ primary: NodeInfo; standby: NodeInfo }> {
  const nodes = homeNodes(s.home);
  const primary = await writableNode(nodes, 'root', PW);
  assert.ok(primary, 'a writable node');
  const standby = nodes.find((n) => n.id !== primary.id)!;
  return { primary, standby };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    assert.ok(Date.now() - t0 < timeoutMs, `${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * With serve paused: the standby stops receiving, `rowId` is written on the primary (waiting for
 * its ack, or, with `async`, through the semi-sync fallback), and the primary is killed. Returns
 * when serve runs again.
 */
async function errantThenKill(primary: NodeInfo, standby: NodeInfo, rowId: number, mode: 'unacknowledged' | 'async'): Promise<void> {
  const servePid = s.proc.pid!;
  process.kill(servePid, 'SIGSTOP');
  try {
    socketQuery(s.home, standby.id, 'STOP SLAVE IO_THREAD');
    const c = await mysql.createConnection({ host: primary.ip, port: 3306, user: 'root', password: PW });
    c.on('error', () => {});
    if (mode === 'unacknowledged') {
      const pending = c.query(`INSERT INTO app.t (id, v) VALUES (${rowId}, 1)`).then(() => 'acknowledged', () => 'failed');
      await until('the commit waits for its acknowledgement', () => status(primary.id, 'Rpl_semi_sync_master_wait_sessions') === '1');
      process.kill(dbPids(s.home).get(primary.id)!, 'SIGKILL');
      assert.equal(await pending, 'failed', 'the client never got an acknowledgement');
    } else {
      socketQuery(s.home, primary.id, 'SET GLOBAL rpl_semi_sync_master_timeout = 200');
      await c.query(`INSERT INTO app.t (id, v) VALUES (${rowId}, 1)`); // waits 200 ms, then commits asynchronously
      assert.equal(status(primary.id, 'Rpl_semi_sync_master_status'), 'OFF', 'semi-sync fell back to async');
      // The next commit's prepare flushes the redo log past the first one's commit record, so crash
      // recovery finds that one committed (not merely prepared): truncation cannot remove it.
      await c.query(`INSERT INTO app.t (id, v) VALUES (${rowId + 1}, 1)`);
      process.kill(dbPids(s.home).get(primary.id)!, 'SIGKILL');
    }
    c.destroy();
    await until('the primary is gone', () => !dbPids(s.home).has(primary.id));
    // The standby's IO thread runs again (reconnecting to the dead primary: CONNECTING), so that the
    // monitor's first round after the pause sees a following standby, not a stopped one to repair.
    socketQuery(s.home, standby.id, 'START SLAVE IO_THREAD');
  } finally {
    process.kill(servePid, 'SIGCONT');
  }
}

/** After the repair: the old primary is a read-only standby replicating from the new one, which reaches it with new writes. */
async function checkRejoined(oldPrimary: NodeInfo, newPrimary: NodeInfo): Promise<void> {
  const c = await mysql.createConnection({ host: oldPrimary.ip, port: 3306, user: 'root', password: PW });
  const [[ro]] = await c.query('SELECT @@read_only AS ro') as any;
  await c.end();
  assert.equal(Number(ro.ro), 1, 'the old primary is read-only');
  const st = socketQuery(s.home, oldPrimary.id, 'SHOW SLAVE STATUS\\G');
  assert.match(st, /Slave_IO_Running: Yes/);
  assert.match(st, /Slave_SQL_Running: Yes/);
  assert.match(st, new RegExp(`Master_Host: ${newPrimary.ip.replaceAll('.', '\\.')}\\b`));
  const e = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  const [ins] = await e.query('INSERT INTO app.t (v) VALUES (42)') as any;
  await e.end();
  await until('a new write reaches the old primary', () => rowCount(oldPrimary.id, ins.insertId) === 1);
}

test('an errant unacknowledged commit is truncated away: the old primary rejoins without a full copy', async () => {
  const before = await healthy();
  const { primary, standby } = await pair();
  const dirIno = statSync(datadirOf(primary.id)).ino;
  const truncatedBefore = truncations(primary.id);
  const from = s.logs().length;
  await errantThenKill(primary, standby, 900_000_001, 'unacknowledged');

  const d = await healthy((x) => x.HaRejoinCount > before.HaRejoinCount);
  assert.equal(d.HaFailoverCount, before.HaFailoverCount + 1, 'a failover');
  assert.equal(d.HaRejoinCount, before.HaRejoinCount + 1);
  assert.equal(d.HaRejoinFullCopyCount, before.HaRejoinFullCopyCount, 'no full copy counted');
  const { primary: now } = await pair();
  assert.equal(now.id, standby.id, 'the standby took over');
  const logs = s.logs().slice(from);
  assert.match(logs, /"taskType":"Failover"[^\n]*"msg":"standby rejoined without a copy"/, 'the failover rejoined it');
  assert.doesNotMatch(logs, /"taskType":"RepairStandby"/, 'no repair task was needed');
  assert.doesNotMatch(logs, /rebuilding it from a full copy|standby rebuilt from a copy/);
  // No copy: the same datadir (a copy is renamed into place: a new inode), not marked as cloned.
  assert.equal(statSync(datadirOf(primary.id)).ino, dirIno, 'the datadir is the same directory');
  assert.doesNotMatch(readFileSync(`${datadirOf(primary.id)}/.openrds-initialized`, 'utf8'), /cloned from/);
  assert.match(readFileSync(`${s.home}/nodes/${primary.id}/my.cnf`, 'utf8'), /^init_rpl_role = SLAVE$/m, 'started as a standby with truncation');
  assert.equal(truncations(primary.id), truncatedBefore + 1, 'crash recovery truncated the binlog');
  for (const n of [primary, standby]) assert.equal(rowCount(n.id, 900_000_001), 0, `the errant row is gone on ${n.id}`);
  await checkRejoined(primary, standby);
});

test('a commit made during the async fallback cannot be truncated: full copy, with the reason logged', async () => {
  const before = await healthy();
  const { primary, standby } = await pair();
  const dirIno = statSync(datadirOf(primary.id)).ino;
  const from = s.logs().length;
  await errantThenKill(primary, standby, 900_000_101, 'async');

  const d = await healthy((x) => x.HaRejoinCount > before.HaRejoinCount);
  assert.equal(d.HaFailoverCount, before.HaFailoverCount + 1, 'a failover');
  assert.equal(d.HaRejoinFullCopyCount, before.HaRejoinFullCopyCount + 1, 'a full copy counted');
  const logs = s.logs().slice(from);
  assert.match(logs, /"taskType":"Failover"[^\n]*"msg":"the old primary needs a full copy; left to RepairStandby"/, 'the failover did not wait for a copy');
  const warn = /"reason":"([^"]*)"[^\n]*"msg":"standby cannot rejoin without a copy; rebuilding it from a full copy of the primary"/.exec(logs);
  assert.ok(warn, `the fallback is logged:\n${logs.slice(-3000)}`);
  assert.match(warn[1]!, /is not a subset of the primary's/);
  assert.match(warn[1]!, /only server \d+ wrote, not server \d+|beyond the primary's last transaction/, 'the reason names the errant transaction');
  assert.match(logs, /"msg":"standby rebuilt from a copy of the primary"/);
  assert.notEqual(statSync(datadirOf(primary.id)).ino, dirIno, 'the datadir was replaced by a copy');
  assert.match(readFileSync(`${datadirOf(primary.id)}/.openrds-initialized`, 'utf8'), /cloned from/);
  // The async commit never reached the new primary: the copy does not have it either.
  for (const n of [primary, standby]) assert.equal(rowCount(n.id, 900_000_101), 0, `the async-only row is not on ${n.id}`);
  await checkRejoined(primary, standby);
});

for (const killAt of ['restart-old-primary', 'rejoin-old-primary'] as const) {
  test(`kill -9 of serve during the failover's rejoin (step ${killAt}): it resumes and converges without a full copy`, async () => {
    const before = await healthy();
    const { primary, standby } = await pair();
    const dirIno = statSync(datadirOf(primary.id)).ino;
    const from = s.logs().length;
    const rowId = killAt === 'restart-old-primary' ? 900_000_201 : 900_000_301;
    await errantThenKill(primary, standby, rowId, 'unacknowledged');
    const re = new RegExp(`"taskId":"([^"]+)","taskType":"Failover"[^\\n]*"step":"${killAt}"[^\\n]*"msg":"step start"`);
    let m: RegExpExecArray | null = null;
    await until(`Failover step ${killAt} starts`, () => !!(m = re.exec(s.logs().slice(from))), 120_000).catch((e: Error) => {
      // Say what the HA monitor did instead (a withheld failover, a restart in place): seen once in CI under load.
      const ha = s.logs().slice(from).split('\n').filter((l) => /"part":"ha"|withheld|"taskType":"(Failover|RecoverNode|RepairStandby)"/.test(l)).slice(-15);
      throw new Error(`${e.message}\n${ha.join('\n')}`);
    });
    await s.kill9();
    await s.restart();

    const d = await healthy((x) => x.HaRejoinCount > before.HaRejoinCount);
    const t = (await s.client.ok('DescribeTask', { TaskId: m![1]! }, { method: 'GET' })).data;
    assert.equal(t.Status, 'FINISH', `the failover task ${JSON.stringify(t)}`);
    assert.equal(d.HaRejoinCount, before.HaRejoinCount + 1, 'counted once');
    assert.equal(d.HaRejoinFullCopyCount, before.HaRejoinFullCopyCount, 'no full copy');
    assert.doesNotMatch(s.logs().slice(from), /"taskType":"RepairStandby"/, 'the resumed failover rejoined it, no repair task');
    assert.equal(statSync(datadirOf(primary.id)).ino, dirIno, 'the same datadir');
    for (const n of [primary, standby]) assert.equal(rowCount(n.id, rowId), 0, `the errant row is gone on ${n.id}`);
    await checkRejoined(primary, standby);
  });
}
