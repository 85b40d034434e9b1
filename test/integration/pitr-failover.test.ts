/**
 * Point-in-time recovery across a failover (docs/recovery.md "The binlog archive", "Source"), on a
 * real HA pair with the archive on:
 * - sessions: the archive's binlog connection to the primary is not a user session
 *   (DescribeDBInstancePerformance and /metrics count only the user's);
 * - an errant transaction is forced: with serve down (so the HA monitor does not repair the
 *   standby), the standby's IO thread is stopped, a row is written on the primary (in its binlog,
 *   so archived, but never acknowledged: semi-sync waits), and the primary is killed. serve comes
 *   back and fails over;
 * - the archive follows the new primary: one unbroken GTID sequence, no duplicate, the errant
 *   transaction cut and never replayed; a restore to a point after the failover is exact.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { HA_1C2G, createParams, startServer, type ServerHandle } from '../support/harness.js';
import { homeNodes, socketQuery, writableNode } from '../support/ha.js';
import {
  apiTime, archiverPids, checksum, commitRow, expected, restoreRows, sleep, storeRows, streamRow, waitRight, waitStored, waitWindowOpen, type Row,
} from '../support/pitr.js';

let s: ServerHandle;
const PW = 'Failover-Pass-1';
let inst: any;
const BUCKET = 30_000;

before(async () => {
  s = await startServer({ config: { metrics: { intervalMs: 1000 }, archive: { enabled: true, intervalMs: 100, closeEveryMs: 1000, purgeEveryMs: 1000 } } });
  const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'pitr-ha', PaasGoodsId: HA_1C2G, Password: PW }));
  inst = await s.client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 180_000);
  const c = await conn();
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  await c.end();
  await waitWindowOpen(s, inst.InstanceUuid);
});
after(async () => { await s?.cleanup(); });

const conn = () => mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });

async function scrapeSessions(role: string): Promise<number | undefined> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('openrds_mysql_sessions{') && l.includes(`instance_uuid="${inst.InstanceUuid}"`) && l.includes(`role="${role}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('sessions with the archive on: the archive\'s and the standby\'s replication connections are not user sessions', async () => {
  const primary = (await writableNode(homeNodes(s.home), 'root', PW))!;
  assert.equal(streamRow(s.home, inst.InstanceUuid).status, 'streaming', 'the archive streams');
  assert.deepEqual(archiverPids(s.home), [], 'by copying the binlog files: no client process');
  const dumps = socketQuery(s.home, primary.id, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'openrds_repl' AND COMMAND LIKE 'Binlog Dump%'").trim().split('\n')[1];
  assert.equal(Number(dumps), 1, 'one binlog connection on the primary: the standby\'s (the archive reads the files)');
  // Just after a bucket boundary, so that every reading of the bucket sees exactly our 3.
  let boundary = Math.ceil(Date.now() / BUCKET) * BUCKET;
  if (boundary - Date.now() < 3500) boundary += BUCKET;
  await sleep(boundary - 1500 - Date.now());
  const mine = await Promise.all(Array.from({ length: 3 }, () => conn()));
  try {
    await sleep(BUCKET + 2500);
    assert.equal(await scrapeSessions('primary'), 3, '/metrics: the user sessions only');
    const { data } = await s.client.ok('DescribeDBInstancePerformance', {
      InstanceUuid: inst.InstanceUuid, MetricKey: 'mysql_sessions', StartTime: apiTime(boundary), EndTime: apiTime(boundary + BUCKET - 1000),
    });
    const v = (data.DataPoints[0].Values as any[]).find((x) => x.DateTime === apiTime(boundary));
    assert.equal(v?.Value, 3, `DescribeDBInstancePerformance mysql_sessions of the bucket ${apiTime(boundary)}: ${JSON.stringify(data.DataPoints[0].Values)}`);
  } finally {
    for (const c of mine) await c.end().catch(() => {});
  }
});

test('across a failover: the archive follows the new primary with no gap and no duplicate, an errant transaction is never replayed, a restore after it is exact', async () => {
  const rows: Row[] = [];
  let id = 0;
  const c = await conn();
  for (let i = 0; i < 4; i++) { rows.push(await commitRow(c, ++id)); await sleep(300); }
  await c.end();
  const beforeFailover = rows.at(-1)!.at;
  await waitRight(s, inst.InstanceUuid, beforeFailover + 1000);
  const nodes = homeNodes(s.home);
  const primary = (await writableNode(nodes, 'root', PW))!;
  const standby = nodes.find((n) => n.id !== primary.id)!;
  assert.equal(streamRow(s.home, inst.InstanceUuid).source_node, primary.id, 'the archive reads the primary');

  // The errant transaction: archived from the primary, never on the standby, never acknowledged.
  await s.kill9();
  socketQuery(s.home, standby.id, 'STOP SLAVE IO_THREAD');
  const errantId = 9999;
  const direct = await mysql.createConnection({ host: primary.ip, port: 3306, user: 'root', password: PW });
  const errantWrite = direct.query('INSERT INTO app.t (id, v) VALUES (?, ?)', [errantId, 'errant']).then(() => 'acknowledged', (e: Error) => `failed: ${e.message}`);
  await sleep(700); // the archive client writes it to the spool meanwhile
  process.kill(primary.pid, 'SIGKILL');
  assert.match(await errantWrite, /^failed/, 'the errant write was never acknowledged');
  direct.destroy();
  socketQuery(s.home, standby.id, 'START SLAVE IO_THREAD');
  await s.restart();

  // Failed over; writes go on on the new primary, through the same endpoint.
  const t0 = Date.now();
  for (;;) {
    const w = await writableNode(homeNodes(s.home), 'root', PW);
    if (w?.id === standby.id) break;
    if (Date.now() - t0 > 60_000) assert.fail(`no failover to ${standby.id}:\n${s.logs().split('\n').filter((l) => /withheld|promoted|failover/i.test(l)).slice(-5).join('\n')}`);
    await sleep(200);
  }
  let c2: mysql.Connection | undefined;
  for (let i = 0; !c2; i++) {
    try { c2 = await conn(); } catch (e) { if (i > 100) throw e; await sleep(200); }
  }
  await sleep(1100);
  const afterFailover = rows.length;
  for (let i = 0; i < 4; i++) { rows.push(await commitRow(c2, ++id)); await sleep(300); }
  const [gone] = await c2.query('SELECT COUNT(*) AS n FROM app.t WHERE id = ?', [errantId]);
  assert.equal(Number((gone as any[])[0].n), 0, 'the new primary never had the errant row');
  await c2.end();
  const selectTime = rows.at(-2)!.at;
  await waitRight(s, inst.InstanceUuid, rows.at(-1)!.at + 1000, 90_000);

  const row = streamRow(s.home, inst.InstanceUuid);
  assert.equal(row.source_node, standby.id, 'the archive follows the new primary');
  const cuts = storeRows(s.home, "SELECT * FROM archive_gaps WHERE instance_uuid = ? AND kind = 'errant'", inst.InstanceUuid);
  assert.equal(cuts.length, 1, `one errant cut: ${JSON.stringify(cuts)}`);
  assert.equal(storeRows(s.home, "SELECT * FROM archive_gaps WHERE instance_uuid = ? AND kind = 'gap'", inst.InstanceUuid).length, 0, 'no gap');
  const k = await waitStored(s.home, inst.InstanceUuid);
  assert.deepEqual(k.holes, [], 'one unbroken GTID sequence across the failover');
  assert.deepEqual(k.duplicates, [], 'no transaction applied twice');
  assert.ok(k.errant.length >= 1, `the errant transaction is in the archive, beyond the cut: ${JSON.stringify(cuts[0])}`);

  const got = await restoreRows(s, inst.InstanceUuid, selectTime, 'after-failover', PW);
  const want = expected(rows, selectTime);
  assert.ok(want.length > afterFailover, 'the point is after the failover, with rows of the new primary');
  assert.ok(!got.some((x) => x.id === errantId), 'the errant row is never replayed');
  assert.equal(checksum(got), checksum(want), `exactly the rows committed at or before ${apiTime(selectTime)}: got ${got.map((x) => x.id)}, want ${want.map((x) => x.id)}`);
});
