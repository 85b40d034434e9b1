/**
 * Replication health reported to users (docs/ha.md "Replication health"): DescribeDBInstances
 * fields and /metrics gauges of an HA standby and a read-only instance, against real MariaDB.
 * Faults are made on the read-only node directly, as the host's root through its unix socket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { HA_1C2G, createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { homeNodes, socketQuery } from '../support/ha.js';

let s: ServerHandle;
let primary: any;
let ro: any;
const PW = 'Repl-Pass-123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function describe(uuid: string): Promise<any> {
  return (await s.client.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' })).data[0];
}

/** Polls DescribeDBInstances until `ok` holds; fails with the last item after `ms`. */
async function until(uuid: string, what: string, ok: (d: any) => boolean, ms = 30_000): Promise<{ d: any; tookMs: number }> {
  const t0 = Date.now();
  let d: any;
  while (Date.now() - t0 < ms) {
    d = await describe(uuid);
    if (ok(d)) return { d, tookMs: Date.now() - t0 };
    await sleep(100);
  }
  throw new Error(`${what} not seen within ${ms} ms; last: ${JSON.stringify(pick(d))}`);
}

const pick = (d: any) => d && Object.fromEntries(Object.entries(d).filter(([k]) => k.startsWith('Replication')));

async function scrape(): Promise<string> {
  return (await fetch(`${s.url}/metrics`)).text();
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const hits = text.split('\n').filter((l) => l.startsWith(`${name}{`))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  assert.ok(hits.length <= 1, `several samples match: ${hits.join(' / ')}`);
  return hits[0] === undefined ? undefined : Number(hits[0].slice(hits[0].lastIndexOf(' ') + 1));
}

async function untilMetric(what: string, ok: (text: string) => boolean, ms = 20_000): Promise<string> {
  const t0 = Date.now();
  let text = '';
  while (Date.now() - t0 < ms) {
    text = await scrape();
    if (ok(text)) return text;
    await sleep(100);
  }
  throw new Error(`${what} not seen in /metrics within ${ms} ms:\n${text.split('\n').filter((l) => l.startsWith('openrds_replica')).join('\n')}`);
}

const onPrimary = async (sql: string) => {
  const c = await mysql.createConnection({ host: primary.IP, port: primary.Port, user: 'root', password: PW });
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};
const roRoot = (sql: string) => socketQuery(s.home, ro.ReplicationNodeId, sql);

before(async () => {
  s = await startServer({ config: { ha: { readOnlyMinCreatingMs: 1000 } } });
  primary = await createRunning(s.client, { InstanceName: 'repl', PaasGoodsId: HA_1C2G, DiskValue: 200, Password: PW });
  await onPrimary('CREATE DATABASE app');
  await onPrimary('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  await onPrimary("INSERT INTO app.t VALUES (1, 'one')");
  const r = await s.client.ok('CreateReadOnlyDBInstance', {
    InstanceUuid: primary.InstanceUuid, InstanceName: 'repl-ro', PaasGoodsId: 15686, DiskType: 'ssd_disk', DiskValue: 200,
  });
  ro = await s.client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 180_000);
  ro = (await until(ro.InstanceUuid, 'read-only REPLICATING', (d) => d.ReplicationState === 'REPLICATING')).d;
});
after(async () => { await s?.cleanup(); });

test('DescribeDBInstances: the HA standby and the read-only node replicate with lag 0; basic instances have no fields', async () => {
  const { d: p } = await until(primary.InstanceUuid, 'HA standby REPLICATING', (d) => d.ReplicationState === 'REPLICATING');
  const standby = homeNodes(s.home).find((n) => n.id === p.ReplicationNodeId);
  assert.ok(standby?.readOnly, `ReplicationNodeId ${p.ReplicationNodeId} is the standby (a read_only node)`);
  for (const d of [p, ro]) {
    assert.equal(d.ReplicationIoRunning, true);
    assert.equal(d.ReplicationSqlRunning, true);
    assert.ok(d.ReplicationSecondsBehind !== null && d.ReplicationSecondsBehind <= 2, `lag ~0: ${d.ReplicationSecondsBehind}`);
    assert.equal(d.ReplicationReason, '');
    assert.match(d.ReplicationObservedTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  }
  assert.notEqual(ro.ReplicationNodeId, p.ReplicationNodeId);
  const basic = await createRunning(s.client, { InstanceName: 'basic' });
  assert.equal('ReplicationState' in basic, false, 'a basic instance replicates from nobody and shows no replication fields');
  await s.client.ok('DeleteDBInstance', { InstanceUuid: basic.InstanceUuid });
});

test('/metrics: seconds behind, IO/SQL running and state per standby and read-only node, labelled like the node gauges', async () => {
  const p = await describe(primary.InstanceUuid);
  const text = await untilMetric('both replicas', (t) => sample(t, 'openrds_replica_sql_running', { instance_uuid: ro.InstanceUuid }) === 1
    && sample(t, 'openrds_replica_sql_running', { instance_uuid: primary.InstanceUuid }) === 1);
  for (const [inst, node, role] of [[primary, p.ReplicationNodeId, 'standby'], [ro, ro.ReplicationNodeId, 'replica']] as const) {
    const l = { instance_uuid: inst.InstanceUuid, instance_name: inst.InstanceName, node, role };
    assert.equal(sample(text, 'openrds_replica_io_running', l), 1);
    assert.equal(sample(text, 'openrds_replica_sql_running', l), 1);
    assert.ok(sample(text, 'openrds_replica_seconds_behind_source', l)! <= 2);
    assert.equal(sample(text, 'openrds_replica_state', { ...l, state: 'REPLICATING' }), 1);
    assert.equal(sample(text, 'openrds_replica_state', { ...l, state: 'BROKEN' }), 0);
  }
});

test('idle: the replication record is written at most once per instance in 20 s (no write per 250 ms round)', async () => {
  const db = new BetterSqlite3(`${s.home}/openrds.db`, { readonly: true });
  try {
    const read = () => db.prepare('SELECT uuid, replication FROM instances WHERE uuid IN (?, ?)').all(primary.InstanceUuid, ro.InstanceUuid) as Array<{ uuid: string; replication: string }>;
    const seen = new Map<string, Set<number>>();
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000) {
      for (const r of read()) {
        const set = seen.get(r.uuid) ?? new Set<number>();
        set.add(JSON.parse(r.replication).at);
        seen.set(r.uuid, set);
      }
      await sleep(50);
    }
    for (const [uuid, ats] of seen) assert.ok(ats.size <= 2, `${uuid}: ${ats.size - 1} writes in 20 s`); // the first value plus at most one refresh
  } finally {
    db.close();
  }
});

test('a stopped SQL thread on the read-only node is seen as STOPPED and started again by the follow check', async () => {
  const from = s.logs().length;
  roRoot('STOP SLAVE SQL_THREAD');
  const t0 = Date.now();
  while (!/"state":"STOPPED"[^\n]*restarting replication/.test(s.logs().slice(from))) {
    assert.ok(Date.now() - t0 < 20_000, `no STOPPED observation logged:\n${s.logs().slice(from)}`);
    await sleep(100);
  }
  await until(ro.InstanceUuid, 'REPLICATING again', (d) => d.ReplicationState === 'REPLICATING' && d.ReplicationSqlRunning === true);
  assert.match(roRoot('SHOW SLAVE STATUS\\G'), /Slave_SQL_Running: Yes/);
});

test('an SQL error on the read-only node: BROKEN with the error in DescribeDBInstances and /metrics within seconds; fixed → REPLICATING', async () => {
  // A row the primary does not have, written on the replica only: the primary's insert of the same key stops its SQL thread.
  roRoot("SET sql_log_bin = 0; INSERT INTO app.t VALUES (1000, 'replica only')");
  await onPrimary("INSERT INTO app.t VALUES (1000, 'primary')");
  const { d, tookMs } = await until(ro.InstanceUuid, 'BROKEN', (x) => x.ReplicationState === 'BROKEN');
  assert.ok(tookMs < 15_000, `took ${tookMs} ms`);
  assert.match(d.ReplicationReason, /SQL thread error 1062/);
  assert.equal(d.ReplicationSqlRunning, false);
  assert.equal(d.ReplicationSecondsBehind, null, 'MariaDB does not know the lag while the SQL thread is stopped');
  const l = { instance_uuid: ro.InstanceUuid, role: 'replica' };
  const text = await untilMetric('BROKEN', (t) => sample(t, 'openrds_replica_state', { ...l, state: 'BROKEN' }) === 1);
  assert.equal(sample(text, 'openrds_replica_sql_running', l), 0);
  assert.equal(sample(text, 'openrds_replica_seconds_behind_source', l), undefined, 'no sample while the lag is unknown');
  // The HA standby is unaffected.
  assert.equal((await describe(primary.InstanceUuid)).ReplicationState, 'REPLICATING');

  roRoot('SET sql_log_bin = 0; DELETE FROM app.t WHERE id = 1000; START SLAVE');
  await until(ro.InstanceUuid, 'REPLICATING again', (x) => x.ReplicationState === 'REPLICATING' && x.ReplicationSqlRunning === true && x.ReplicationSecondsBehind <= 2);
  assert.match(roRoot('SELECT v FROM app.t WHERE id = 1000'), /primary/);
  await untilMetric('REPLICATING', (t) => sample(t, 'openrds_replica_state', { ...l, state: 'REPLICATING' }) === 1
    && sample(t, 'openrds_replica_sql_running', l) === 1);
});

test('lag > 0: a row lock on the read-only node holds the applier; Seconds_Behind grows, then returns to 0', async () => {
  // A root session on the replica locks row 1 until we send COMMIT; the primary's update of that row waits in the SQL thread.
  const sock = /socket = (\S+)/.exec(readFileSync(`${s.home}/nodes/${ro.ReplicationNodeId}/my.cnf`, 'utf8'))![1]!;
  const holder: ChildProcess = spawn('mariadb', ['--no-defaults', '-S', sock, '-uroot'], { stdio: ['pipe', 'ignore', 'inherit'] });
  try {
    holder.stdin!.write('BEGIN; SELECT * FROM app.t WHERE id = 1 FOR UPDATE;\n');
    const t0 = Date.now();
    // Failed once in CI (2026-12-04) after 10 s with no transaction; not reproduced with the cores busy.
    // The wait is 30 s now, and a failure says what the replica's sessions were doing (a metadata lock wait?).
    while (!/[1-9]/.test(roRoot('SELECT COUNT(*) FROM information_schema.INNODB_TRX'))) {
      if (Date.now() - t0 > 30_000) {
        const sessions = roRoot("SELECT ID, USER, COMMAND, TIME, STATE, LEFT(INFO, 80) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Daemon'");
        assert.fail(`the lock was not taken in 30 s (holder client: ${holder.exitCode ?? holder.signalCode ?? 'still running'}); the replica's sessions:\n${sessions}`);
      }
      await sleep(50);
    }
    await onPrimary("UPDATE app.t SET v = 'updated' WHERE id = 1");
    const { d } = await until(ro.InstanceUuid, 'lag >= 3 s', (x) => x.ReplicationSecondsBehind >= 3, 40_000);
    assert.equal(d.ReplicationState, 'REPLICATING', 'a lagging replica still replicates');
    assert.equal(d.ReplicationSqlRunning, true);
    const text = await scrape();
    assert.ok(sample(text, 'openrds_replica_seconds_behind_source', { instance_uuid: ro.InstanceUuid })! >= 3);
  } finally {
    holder.stdin!.end('COMMIT;\n');
    if (holder.exitCode === null && holder.signalCode === null) await new Promise((r) => holder.once('exit', r));
  }
  await until(ro.InstanceUuid, 'lag back to 0', (x) => x.ReplicationSecondsBehind !== null && x.ReplicationSecondsBehind <= 2);
  assert.match(roRoot('SELECT v FROM app.t WHERE id = 1'), /updated/);
});
