/**
 * Loop takeover and a killed leader with the HA primary (issue 12 "Benchmarks", docs/cluster.md).
 * Three real `openrds serve` nodes on one home and one scratch PostgreSQL (test/support/cluster.ts),
 * one HA instance, writers inserting through its endpoint and recording every acknowledged id.
 *   (a) kill -9 of the node owning the `ha-monitor` lease → the time until another node holds the
 *       lease AND has ended a monitor round (its log line "HA monitor: first round on this node
 *       done", pino time). Target median ≤ 5 s.
 *   (b) kill -9 of that owner and SIGKILL of the HA primary at once → the first acknowledged write
 *       through the endpoint that was sent after the kill; acknowledged rows lost. Target median
 *       ≤ 6 s, 0 lost.
 * The killed node is started again between rounds; in (b) the next round waits until the pair is
 * whole again (standby rebuilt, semi-sync ON). The flap guard is raised for the run
 * (ha.maxFailoversPerWindow 100): every (b) round is a failover on purpose.
 *
 *   npm run bench:cluster-failover -- [--rounds 5] [--json out.json]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { startCluster, type Cluster, type ClusterNode } from '../test/support/cluster.js';
import { BIN, createParams, HA_1C2G } from '../test/support/harness.js';
import { dbPids, missingRows, Writers } from '../test/support/ha.js';
import { scratchPostgres } from '../test/support/postgres.js';
import { machine, median, round, sleep, sourceRevision } from './support.js';
import { pollUntil } from '../test/support/until.js';

const until = <T>(f: () => Promise<T | undefined | false>, what: string, ms = 180_000, every = 50) => pollUntil(f, what, ms, every);

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 5);
const JSON_OUT = (() => { const i = process.argv.indexOf('--json'); return i > 0 ? process.argv[i + 1] : undefined; })();
const PW = 'Bench-Pass-123';
const FIRST_ROUND = 'HA monitor: first round on this node done';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const stats = (xs: number[]) => ({ n: xs.length, median: round(median(xs)), p90: round(pct(xs, 0.9)), max: round(Math.max(...xs)), all: xs.map((x) => round(x)) });


/** Pino time of the first line `msg` that `n` logged after `since` (epoch ms). */
function loggedAfter(n: ClusterNode, msg: string, since: number): number | undefined {
  for (const line of n.logs().split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      const t = Number(JSON.parse(line).time);
      if (t > since) return t;
    } catch { /* not JSON */ }
  }
  return undefined;
}

async function pairWhole(c: Cluster, uuid: string): Promise<boolean> {
  const inst = (await c.query('SELECT status, ha_state FROM instances WHERE uuid = $1', [uuid]))[0];
  const open = (await c.query("SELECT count(*)::int AS n FROM tasks WHERE status IN ('NEW','DOING')"))[0].n;
  return inst?.status === 'RUNNING' && open === 0 && String(inst.ha_state).includes('"semiSync":true');
}

async function main() {
  const load = execFileSync('uptime', { encoding: 'utf8' }).trim();
  process.stderr.write(`start: ${load}\n`);
  const pg = await scratchPostgres();
  const c = await startCluster(3, await pg.createDatabase(), {
    config: { tasks: { concurrency: 8, leaseMs: 20_000, stepRetries: 3 }, ha: { maxFailoversPerWindow: 100 } },
    beforeOthers: (home) => execFileSync(BIN, ['templates', 'build', '--home', home], { encoding: 'utf8' }),
  });
  const takeover: number[] = [];
  const firstWrite: number[] = [];
  const takeoverB: number[] = [];
  let writers: Writers | undefined;
  let lost: number[] = [];
  let acked = 0;
  try {
    const n0 = c.nodes[0]!;
    const r = await n0.client.ok('CreateDBInstance', createParams({ InstanceName: 'bench-failover', PaasGoodsId: HA_1C2G, Password: PW }));
    const uuid = r.data.InstancesUuid[0];
    const inst = await n0.client.waitStatus(uuid, 'RUNNING', 300_000);
    const target = { host: inst.IP, port: inst.Port, user: 'root', password: PW };
    const conn = await mysql.createConnection(target);
    await conn.query('CREATE DATABASE app');
    await conn.query('CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
    await conn.end();
    writers = new Writers(target, 'app.t', 2);
    await until(() => pairWhole(c, uuid), 'the pair healthy with semi-sync ON', 120_000, 200);

    for (let i = 0; i < ROUNDS; i++) {
      const owner = await until(async () => (await c.loopOwner('ha-monitor'))?.node, 'the HA monitor owner', 30_000);
      await sleep(1000);
      const t0 = Date.now();
      await owner.kill9();
      const at = await until(async () => {
        const o = await c.loopOwner('ha-monitor');
        if (!o?.node || o.node === owner) return undefined;
        return loggedAfter(o.node, FIRST_ROUND, t0);
      }, 'another node runs the HA monitor', 30_000, 20);
      takeover.push(at - t0);
      process.stderr.write(`(a) round ${i + 1}: monitor round on another node ${at - t0} ms after the kill of ${owner.name}\n`);
      await owner.start();
    }

    for (let i = 0; i < ROUNDS; i++) {
      await until(() => pairWhole(c, uuid), 'the pair whole again', 300_000, 200);
      await until(async () => writers!.lastOkAt > Date.now() - 200, 'writes acknowledged', 30_000);
      await sleep(1500); // the monitor's healthy observation is in the store
      const owner = await until(async () => (await c.loopOwner('ha-monitor'))?.node, 'the HA monitor owner', 30_000);
      const primary = (await c.query("SELECT id FROM nodes WHERE instance_uuid = $1 AND role = 'primary'", [uuid]))[0].id;
      const pid = dbPids(c.home).get(primary)!;
      const t0 = Date.now();
      const gone = owner.kill9();
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      await gone;
      const w = await writers.firstWriteAfter(killedAt, 120_000);
      const at = await until(async () => {
        const o = await c.loopOwner('ha-monitor');
        return o?.node && o.node !== owner ? loggedAfter(o.node, FIRST_ROUND, t0) : undefined;
      }, 'another node runs the HA monitor', 30_000, 20);
      firstWrite.push(w - killedAt);
      takeoverB.push(at - t0);
      const promoted = (await c.query("SELECT id FROM nodes WHERE instance_uuid = $1 AND role = 'primary'", [uuid]))[0]?.id;
      process.stderr.write(`(b) round ${i + 1}: first acknowledged write ${w - killedAt} ms after the kill of ${owner.name} and ${primary}; monitor elsewhere after ${at - t0} ms; primary now ${promoted}\n`);
      await owner.start();
    }
    await until(() => pairWhole(c, uuid), 'the pair whole again', 300_000, 200);
    await writers.stop();
    acked = writers.acked.length;
    lost = await missingRows(target, 'app.t', writers.acked);
    const failovers = (await c.query("SELECT status FROM tasks WHERE instance_uuid = $1 AND type = 'Failover'", [uuid])).map((x) => x.status);
    const result = {
      benchmark: 'cluster-failover', startedAt: new Date(Date.now()).toISOString(), machine: machine(), revision: sourceRevision(),
      command: `npm run bench:cluster-failover -- ${process.argv.slice(2).join(' ')}`.trim(), loadAtStart: load,
      loopTakeoverMs: { ...stats(takeover), target: 'median <= 5000', met: median(takeover) <= 5000 },
      leaderAndPrimary: {
        firstAckedWriteMs: { ...stats(firstWrite), target: 'median <= 6000', met: median(firstWrite) <= 6000 },
        monitorElsewhereMs: stats(takeoverB),
        ackedRows: acked, lostRows: lost.length, failovers,
      },
    };
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    await writers?.stop().catch(() => {});
    await c.cleanup();
    pg.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:cluster-failover failed: ${e?.stack ?? e}\n`);
  process.exit(1);
});
