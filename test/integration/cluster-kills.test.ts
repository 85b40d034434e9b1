/**
 * Three serve nodes on one PostgreSQL under kill -9 while many tasks run (issue 12 "Tests",
 * docs/cluster.md), all real: 20 creates (17 basic, 3 HA) submitted in parallel and spread over
 * the three nodes, a backup, and a failover (the HA monitor's, after the SIGKILL of an HA primary),
 * with each node killed in turn while they run. The datadir template is NOT built ahead: the nodes
 * build it while they hold leases (the hashing is asynchronous, docs/cluster.md "Timing").
 * Afterwards: every task FINISH, one create task per instance, the step log shows no step on two
 * nodes at once, every instance RUNNING, no orphan mariadbd.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkClusterWhole, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { createParams, HA_1C2G } from '../support/harness.js';
import { dbPids } from '../support/ha.js';
import { scratchPostgres } from '../support/postgres.js';
import { pollUntil } from '../support/until.js';

const PW = 'Kill-Pass1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let c: Cluster;

before(async () => {
  const pgc = await scratchPostgres();
  c = await startCluster(3, await pgc.createDatabase(), { config: { tasks: { concurrency: 8, leaseMs: 20_000, stepRetries: 3 } } });
});
after(async () => { await c?.cleanup(); });

const until = <T>(f: () => Promise<T | undefined | false>, what: string, ms = 300_000) => pollUntil(f, what, ms, 250);

async function restartAfterKill(n: ClusterNode): Promise<void> {
  await n.kill9();
  await sleep(1000);
  await n.start();
}

test('20 creates (basic and HA), a backup and a failover while each of three nodes is killed in turn: every task once, no overlap, all RUNNING, no orphan', async () => {
  const [n0, n1, n2] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const plan = Array.from({ length: 20 }, (_, i) => ({ node: c.nodes[i % 3]!, ha: i % 7 === 3 }));
  const t0 = Date.now();
  const uuids: string[] = await Promise.all(plan.map(async (p, i) => (await p.node.client.ok('CreateDBInstance',
    createParams({ InstanceName: `k${i}`, Password: PW, ...(p.ha ? { PaasGoodsId: HA_1C2G } : {}) }))).data.InstancesUuid[0]));
  const haUuids = uuids.filter((_, i) => plan[i]!.ha);
  const basics = uuids.filter((_, i) => !plan[i]!.ha);
  assert.equal(haUuids.length, 3);

  await sleep(3000);
  await restartAfterKill(n0); // mid template build / first creates

  // A backup as soon as one basic instance runs, then the next kill while it runs.
  const first = await until(async () => {
    const rows = await c.query("SELECT uuid FROM instances WHERE status = 'RUNNING' AND uuid = ANY($1)", [basics]);
    return rows[0]?.uuid as string | undefined;
  }, 'a first basic instance RUNNING');
  const backup = await n2.client.ok('CreateBackup', { InstanceUuid: first, BackupType: 'physical-backup' });
  await sleep(1000);
  await restartAfterKill(n1);

  // A failover: SIGKILL of an HA primary once its pair is healthy, and the third node killed beside it.
  const ha = await until(async () => {
    const rows = await c.query("SELECT uuid, ha_state FROM instances WHERE status = 'RUNNING' AND uuid = ANY($1)", [haUuids]);
    return rows.find((r) => String(r.ha_state).includes('"semiSync":true'))?.uuid as string | undefined;
  }, 'an HA instance RUNNING with semi-sync ON');
  await sleep(1500); // its healthy observation is in the store
  const primary = (await c.query("SELECT id FROM nodes WHERE instance_uuid = $1 AND role = 'primary'", [ha]))[0].id;
  process.kill(dbPids(c.home).get(primary)!, 'SIGKILL');
  await sleep(500);
  await restartAfterKill(n2);

  for (const u of uuids) await n0.client.waitStatus(u, 'RUNNING', 600_000);
  await until(async () => (await c.query('SELECT status FROM backups WHERE id = $1', [backup.data.BackupId]))[0]?.status === 'finished', 'the backup finished');
  await until(async () => (await c.query("SELECT status FROM tasks WHERE instance_uuid = $1 AND type = 'Failover'", [ha]))[0]?.status === 'FINISH', 'the failover finished');
  await until(async () => (await c.query("SELECT count(*)::int AS n FROM tasks WHERE status IN ('NEW','DOING')"))[0].n === 0
    && (await c.query("SELECT count(*)::int AS n FROM instances WHERE deleted_at IS NULL AND status <> 'RUNNING'"))[0].n === 0, 'every task ended, the failed-over pair whole again');

  const creates = await c.query("SELECT instance_uuid, count(*)::int AS n FROM tasks WHERE type = 'CreateDBInstance' GROUP BY instance_uuid");
  assert.deepEqual(creates.filter((r) => r.n !== 1), [], 'one create task per instance');
  assert.deepEqual(new Set(creates.map((r) => r.instance_uuid)), new Set(uuids), 'a create task for every instance submitted');
  const failovers = await c.query("SELECT status FROM tasks WHERE type = 'Failover'");
  assert.deepEqual(failovers.map((f) => f.status), ['FINISH'], 'one failover');
  const promoted = (await c.query("SELECT id FROM nodes WHERE instance_uuid = $1 AND role = 'primary'", [ha]))[0].id;
  assert.notEqual(promoted, primary, 'the standby was promoted');
  await checkClusterWhole(c, 'after 20 creates, a backup, a failover and three kills');
  const owners = await c.query('SELECT DISTINCT owner FROM task_steps');
  process.stdout.write(`# ${uuids.length} instances RUNNING ${Math.round((Date.now() - t0) / 1000)} s after the submissions; steps ran on ${owners.length} members\n`);
});
