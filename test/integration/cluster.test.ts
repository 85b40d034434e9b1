/**
 * Several serve nodes on one home and one PostgreSQL store (docs/cluster.md), all real: three
 * `openrds serve` processes, a scratch PostgreSQL, MariaDB instances.
 * - members: three live nodes, each loop owned by exactly one; `openrds members` shows it;
 * - every node answers: an instance created through one is visible through the others at once;
 *   a signed request replayed to another node is refused with SignatureNonceUsed;
 * - kill -9 of each node in turn while creates (basic and HA) and a backup run: every task ends
 *   FINISH, the step log shows no step on two nodes at once, every instance RUNNING, no orphan
 *   mariadbd; then the node owning the HA monitor and the HA primary are killed together: the
 *   failover happens and no acknowledged write is lost;
 * - fencing: a node SIGSTOPped mid-task loses its lease, is resumed, and its writes are refused;
 *   the task finishes once;
 * - PostgreSQL restarted under running nodes, and down for 30 s: ServiceUnavailable within
 *   seconds, recovery without help, no task or instance lost.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { checkClusterWhole, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { createParams, BIN, HA_1C2G } from '../support/harness.js';
import { dbPids, missingRows, Writers } from '../support/ha.js';
import { scratchPostgres, type ScratchPostgres } from '../support/postgres.js';
import { pollUntil } from '../support/until.js';

const PW = 'Clu-Pass1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The step hook's file (src/common/test-pause.ts), given to every node. */
const STEP_PAUSE = `/tmp/openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-${process.pid}-step-pause`;
let pgc: ScratchPostgres;
let c: Cluster;
/** The member paused in the fencing case (its step's overlap is expected; see checkStoreWhole). */
let fencedMember: string | undefined;

before(async () => {
  pgc = await scratchPostgres();
  // The datadir template is built ahead to keep this file short; cluster-kills.test.ts builds it
  // while the nodes hold their leases (the hashing is asynchronous, docs/cluster.md "Timing").
  c = await startCluster(3, await pgc.createDatabase(), { env: { OPENRDS_STEP_PAUSE_FILE: STEP_PAUSE }, config: { tasks: { concurrency: 8, leaseMs: 20_000, stepRetries: 3 } }, beforeOthers: (home) => execFileSync(BIN, ['templates', 'build', '--home', home], { encoding: 'utf8', timeout: 300_000 }) });
});
after(async () => { rmSync(STEP_PAUSE, { force: true }); await c?.cleanup(); });

const until = <T>(f: () => Promise<T | undefined | false>, what: string, ms = 180_000) => pollUntil(f, what, ms, 200);

/** A live node other than `not`. */
const another = (...not: ClusterNode[]) => c.nodes.find((n) => n.alive() && !not.includes(n))!;

async function memberOf(n: ClusterNode): Promise<string> {
  return until(async () => (await c.query('SELECT id FROM members WHERE pid = $1', [n.pid]))[0]?.id, `${n.name}'s member row`, 30_000);
}

function members(): any {
  return JSON.parse(execFileSync(BIN, ['members', '--home', c.home, '--store', c.store, '--json'], { encoding: 'utf8', timeout: 60_000 }));
}

const checkStoreWhole = (what: string, paused?: string) => checkClusterWhole(c, what, paused);

test('three nodes: members and loops, every node answers, a nonce replayed to another node is refused', async () => {
  const ids = await Promise.all(c.nodes.map(memberOf));
  const m = await until(async () => {
    const v = members();
    const owned = v.members.flatMap((x: any) => x.loops.map((l: any) => l.name));
    return v.members.filter((x: any) => x.alive).length === 3 && owned.includes('ha-monitor') ? v : undefined;
  }, 'three live members, the HA monitor owned', 30_000);
  assert.deepEqual(m.members.map((x: any) => x.id).sort(), [...ids].sort());
  const owners = new Map<string, string[]>();
  for (const x of m.members) for (const l of x.loops) owners.set(l.name, [...(owners.get(l.name) ?? []), x.id]);
  for (const loop of ['ha-monitor', 'backup-scheduler', 'retention']) assert.equal(owners.get(loop)?.length, 1, `${loop}: one owner in all`);
  const hostLoops = [...owners.keys()].filter((k) => k.includes('@'));
  assert.deepEqual(hostLoops.map((k) => k.split('@')[0]).sort(), ['archiver', 'disk-guard', 'metrics-collector', 'node-watchdog'], 'one owner per host');
  assert.ok(hostLoops.every((k) => owners.get(k)!.length === 1));
  assert.ok(m.members.every((x: any) => x.heartbeatAgeMs < 5000));
  const text = execFileSync(BIN, ['members', '--home', c.home, '--store', c.store], { encoding: 'utf8', timeout: 60_000 });
  assert.match(text, /alive.*heartbeat [\d.]+ s ago[\s\S]*loops: .*ha-monitor \(token \d+\)/);

  const [a, b, d] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const r = await a.client.ok('CreateDBInstance', createParams({ InstanceName: 'seen-everywhere', Password: PW }));
  const uuid = r.data.InstancesUuid[0];
  for (const n of [b, d]) {
    const seen = await n.client.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    assert.equal(seen.data.length, 1, `${n.name} sees the instance created through ${a.name} at once`);
  }
  const nonce = `replay-${Date.now()}`;
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const first = await b.client.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET', nonce, timestamp });
  assert.equal(first.status, 200);
  const replay = await d.client.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET', nonce, timestamp });
  assert.equal(replay.status, 403);
  assert.equal(replay.body.Code, 'SignatureNonceUsed', 'replayed to another node: refused');
  await d.client.waitStatus(uuid, 'RUNNING', 180_000);
});

test('kill -9 of each node in turn while creates, an HA create and a backup run; then of the HA leader with the primary', async () => {
  const [n0, n1, n2] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const existing = (await c.query("SELECT uuid FROM instances WHERE deleted_at IS NULL"))[0].uuid;
  const ha = await n0.client.ok('CreateDBInstance', createParams({ InstanceName: 'ha-under-kills', PaasGoodsId: HA_1C2G, Password: PW }));
  const basics: string[] = [];
  for (const [k, n] of [n1, n2, n0, n1].entries()) {
    basics.push((await n.client.ok('CreateDBInstance', createParams({ InstanceName: `b${k}`, Password: PW }))).data.InstancesUuid[0]);
  }
  const backup = await n2.client.ok('CreateBackup', { InstanceUuid: existing, BackupType: 'physical-backup' });
  for (const victim of [n0, n1, n2]) {
    await sleep(2500);
    await victim.kill9();
    await sleep(1500);
    await victim.start();
  }
  const haUuid = ha.data.InstancesUuid[0];
  const haInst = await n1.client.waitStatus(haUuid, 'RUNNING', 300_000);
  for (const u of basics) await n2.client.waitStatus(u, 'RUNNING', 300_000);
  await until(async () => {
    const rows = await c.query('SELECT status FROM backups WHERE id = $1', [backup.data.BackupId]);
    return rows[0]?.status === 'finished';
  }, 'the backup finished', 300_000);
  await checkStoreWhole('after three kills');

  // Loss of the HA leader: the node that owns the HA monitor, then at once the HA primary.
  const mysql = (await import('mysql2/promise')).default;
  const conn = await mysql.createConnection({ host: haInst.IP, port: haInst.Port, user: 'root', password: PW });
  await conn.query('CREATE DATABASE app');
  await conn.query('CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await conn.end();
  const writers = new Writers({ host: haInst.IP, port: haInst.Port, user: 'root', password: PW }, 'app.t', 2);
  await until(async () => writers.acked.length > 20 && ((await c.query("SELECT ha_state FROM instances WHERE uuid = $1", [haUuid]))[0]?.ha_state ?? '').includes('"semiSync":true'), 'writes acknowledged with semi-sync on', 60_000);
  await sleep(1500); // the monitor's healthy observation is in the store
  const leader = await until(async () => (await c.loopOwner('ha-monitor'))?.node, 'the HA monitor owner');
  const primary = (await c.query("SELECT id FROM nodes WHERE instance_uuid = $1 AND role = 'primary'", [haUuid]))[0].id;
  const pid = dbPids(c.home).get(primary)!;
  const t0 = Date.now();
  await leader.kill9();
  process.kill(pid, 'SIGKILL');
  const primaryKilledAt = Date.now();
  try {
    await leaderLost(haUuid, haInst, primary, leader, writers, t0, primaryKilledAt);
  } finally {
    if (!leader.alive()) await leader.start();
  }
  await until(async () => (await c.query("SELECT status FROM instances WHERE uuid = $1", [haUuid]))[0].status === 'RUNNING'
    && (await c.query("SELECT count(*)::int AS n FROM tasks WHERE status IN ('NEW','DOING')"))[0].n === 0, 'the pair whole again (standby repaired)', 240_000);
  await checkStoreWhole('after the HA leader and primary were killed');
});

async function leaderLost(haUuid: string, haInst: any, primary: string, leader: ClusterNode, writers: Writers, t0: number, primaryKilledAt: number): Promise<void> {
  const newOwner = await until(async () => {
    const o = await c.loopOwner('ha-monitor');
    return o?.node && o.node !== leader ? o : undefined;
  }, 'another node takes the HA monitor', 30_000);
  const takeoverMs = Date.now() - t0;
  const firstWrite = await writers.firstWriteAfter(primaryKilledAt, 90_000);
  await writers.stop();
  const promoted = await until(async () => {
    const rows = await c.query("SELECT id FROM nodes WHERE instance_uuid = $1 AND role = 'primary'", [haUuid]);
    return rows[0]?.id !== primary ? rows[0].id : undefined;
  }, 'the standby promoted', 60_000);
  assert.notEqual(promoted, primary);
  await until(async () => (await c.query("SELECT status FROM tasks WHERE instance_uuid = $1 AND type = 'Failover'", [haUuid]))[0]?.status === 'FINISH', 'the failover finished', 120_000);
  assert.deepEqual(await missingRows({ host: haInst.IP, port: haInst.Port, user: 'root', password: PW }, 'app.t', writers.acked), [], 'no acknowledged write lost');
  const failovers = await c.query("SELECT status FROM tasks WHERE instance_uuid = $1 AND type = 'Failover'", [haUuid]);
  assert.deepEqual(failovers.map((f) => f.status), ['FINISH'], 'one failover, submitted by the new owner of the monitor');
  process.stdout.write(`# HA monitor taken over in ${takeoverMs} ms by ${newOwner.node!.name}; first acknowledged write ${firstWrite - primaryKilledAt} ms after the primary was killed; ${writers.acked.length} acknowledged rows\n`);
}

test('fencing: a node paused mid-task until its lease is taken over, then resumed: its writes are refused, the task finishes once', async () => {
  const [n0, n1, n2] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const me = await memberOf(n1);
  fencedMember = me;
  // A create takes well under a second, so n1 is held by the step hook (src/common/test-pause.ts)
  // once start-nodes has run, before that step's end and the task's progress are written: those
  // writes must be refused after the takeover. n1 is SIGSTOPped there (no lease renewal).
  writeFileSync(STEP_PAUSE, 'start-nodes');
  n0.pause();
  n2.pause();
  let uuid: string;
  try {
    uuid = (await n1.client.ok('CreateDBInstance', createParams({ InstanceName: 'fenced', Password: PW }))).data.InstancesUuid[0];
    await until(async () => (await c.query("SELECT lease_owner FROM tasks WHERE instance_uuid = $1 AND status = 'DOING'", [uuid]))[0]?.lease_owner === me, 'n1 runs the create', 30_000);
    await until(async () => n1.logs().includes('"step paused"') && n1.logs().includes(uuid), 'n1 held after start-nodes', 120_000);
    assert.ok(dbPids(c.home).has((await c.query('SELECT id FROM nodes WHERE instance_uuid = $1', [uuid]))[0].id), 'its mariadbd runs');
    n1.pause();
  } finally {
    rmSync(STEP_PAUSE, { force: true });
    n0.resume();
    n2.resume();
  }
  let taken: any;
  try {
    taken = await until(async () => {
      const t = (await c.query('SELECT lease_owner, lease_token FROM tasks WHERE instance_uuid = $1', [uuid]))[0];
      return t && t.lease_owner !== me ? t : undefined;
    }, 'another node takes the task over', 90_000);
  } finally {
    n1.resume();
  }
  await n0.client.waitStatus(uuid, 'RUNNING', 240_000);
  await until(async () => /lease taken over|fenced|progress refused|finish refused/.test(n1.logs()), 'n1 noticed it lost the task', 60_000);
  const t = (await c.query('SELECT status, lease_owner, lease_token FROM tasks WHERE instance_uuid = $1', [uuid]))[0];
  assert.equal(t.status, 'FINISH');
  assert.notEqual(t.lease_owner, me, 'finished by the new owner');
  assert.ok(Number(t.lease_token) >= Number(taken.lease_token));
  await checkStoreWhole('after the fencing case', me);
});

test('PostgreSQL restarted under running nodes, then down for 30 s: ServiceUnavailable quickly, recovery by itself, nothing lost', async () => {
  const [n0, n1] = c.nodes as [ClusterNode, ClusterNode];
  const uuid = (await n0.client.ok('CreateDBInstance', createParams({ InstanceName: 'pg-restart', Password: PW }))).data.InstancesUuid[0];
  await sleep(1000);
  pgc.restart();
  await n1.client.waitStatus(uuid, 'RUNNING', 240_000);
  const before = (await c.query('SELECT uuid FROM instances WHERE deleted_at IS NULL ORDER BY uuid')).map((r) => r.uuid);

  pgc.down();
  const downAt = Date.now();
  const answers: Array<{ node: string; status: number; code: string; ms: number }> = [];
  try {
    while (Date.now() - downAt < 30_000) {
      for (const n of c.nodes) {
        const t = Date.now();
        const r = await n.client.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
        answers.push({ node: n.name, status: r.status, code: r.body?.Code, ms: Date.now() - t });
      }
      await sleep(2000);
    }
  } finally {
    pgc.up();
  }
  const late = answers.filter((a) => a.ms > 15_000);
  assert.deepEqual(late, [], 'every answer within the store timeouts, none hangs');
  assert.ok(answers.length >= 6);
  assert.deepEqual([...new Set(answers.map((a) => `${a.status} ${a.code}`))], ['503 ServiceUnavailable'], 'the documented code, never a 500');
  for (const n of c.nodes) {
    const r = await until(async () => {
      const x = await n.client.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
      return x.status === 200 ? x : undefined;
    }, `${n.name} answers again`, 60_000);
    assert.equal(r.body.Data[0].Status, 'RUNNING');
  }
  assert.deepEqual((await c.query('SELECT uuid FROM instances WHERE deleted_at IS NULL ORDER BY uuid')).map((r) => r.uuid), before, 'no instance lost');
  const after2 = (await n1.client.ok('CreateDBInstance', createParams({ InstanceName: 'after-outage', Password: PW }))).data.InstancesUuid[0];
  await n0.client.waitStatus(after2, 'RUNNING', 240_000);
  await until(async () => members().members.filter((x: any) => x.alive).length === 3, 'all three nodes heartbeat again', 30_000);
  await checkStoreWhole('after the PostgreSQL outage', fencedMember);
});
