/**
 * A gap in the binlog archive (docs/recovery.md "Gaps"), forced on real MariaDB: serve and the
 * archive client are killed, rows are written, the binlog is rotated and purged on the source by
 * hand, serve comes back. The gap is recorded and logged, a new full backup is taken
 * automatically, the window starts after it, a SelectTime inside the gap is refused naming the
 * window, and a restore after it is exact.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { socketQuery } from '../support/ha.js';
import {
  apiTime, archiverPids, checksum, commitRow, expected, parseApi, restoreRows, sleep, storeRows, streamRow, waitRight, waitWindowOpen, window, type Row,
} from '../support/pitr.js';

let s: ServerHandle;
const PW = 'Gaps-Pass-123';

before(async () => {
  s = await startServer({ config: { archive: { enabled: true, intervalMs: 100, closeEveryMs: 1000, purgeEveryMs: 1000 } } });
});
after(async () => { await s?.cleanup(); });

test('a gap: recorded and logged, a new full backup, the window after it, a SelectTime inside it refused, a restore after it exact', async () => {
  const inst = await createRunning(s.client, { InstanceName: 'pitr-gap', Password: PW });
  const conn = () => mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  const c = await conn();
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  const rows: Row[] = [];
  let id = 0;
  for (let i = 0; i < 3; i++) rows.push(await commitRow(c, ++id));
  const w0 = await waitWindowOpen(s, inst.InstanceUuid);
  for (let i = 0; i < 3; i++) { rows.push(await commitRow(c, ++id)); await sleep(300); }
  await waitRight(s, inst.InstanceUuid, rows.at(-1)!.at + 1000);
  const backupsBefore = (await s.client.ok('DescribeBackups', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' })).data;

  // The archive stops: serve is gone (it copies the binlog files itself: no client outlives it).
  await s.kill9();
  assert.deepEqual(archiverPids(s.home), []);
  // Rows written meanwhile, then their binlog rotated and purged on the source by hand.
  await sleep(1100);
  const lost: Row[] = [];
  for (let i = 0; i < 3; i++) { lost.push(await commitRow(c, ++id)); await sleep(400); }
  rows.push(...lost);
  const node = streamRow(s.home, inst.InstanceUuid).source_node as string;
  socketQuery(s.home, node, 'FLUSH BINARY LOGS');
  const files = socketQuery(s.home, node, 'SHOW BINARY LOGS').trim().split('\n').slice(1).map((l) => l.split('\t')[0]!);
  const t9 = Date.now();
  for (;;) {
    socketQuery(s.home, node, `PURGE BINARY LOGS TO '${files.at(-1)}'`);
    if (socketQuery(s.home, node, 'SHOW BINARY LOGS').trim().split('\n').length === 2) break;
    if (Date.now() - t9 > 10_000) assert.fail(`the source kept older binlogs: ${socketQuery(s.home, node, 'SHOW BINARY LOGS')}`);
    await sleep(200);
  }
  await sleep(1100);
  await s.restart();

  // Recorded (store, DescribeRollbackRangeTime.Gaps) and logged.
  const t0 = Date.now();
  let gaps: any[] = [];
  while (!(gaps = storeRows(s.home, "SELECT * FROM archive_gaps WHERE instance_uuid = ? AND kind = 'gap'", inst.InstanceUuid)).length) {
    if (Date.now() - t0 > 30_000) assert.fail('no gap recorded');
    await sleep(200);
  }
  assert.equal(gaps.length, 1, 'one gap');
  assert.match(s.logs(), /archive: GAP/);
  // A new full backup is taken automatically, and the window opens again after it.
  let w: any;
  const t1 = Date.now();
  for (;;) {
    w = await window(s, inst.InstanceUuid);
    if (w.LeftBorderTime && w.RightBorderTime && parseApi(w.LeftBorderTime) > parseApi(w0.LeftBorderTime)) break;
    if (Date.now() - t1 > 180_000) assert.fail(`the window did not reopen after the gap: ${JSON.stringify(w)}`);
    await sleep(300);
  }
  const backupsAfter = (await s.client.ok('DescribeBackups', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' })).data;
  assert.ok(backupsAfter.length > backupsBefore.length, `a new full backup after the gap (${backupsBefore.length} → ${backupsAfter.length})`);
  assert.equal(w.Gaps.length, 1, `the window lists the gap: ${JSON.stringify(w.Gaps)}`);
  const left = parseApi(w.LeftBorderTime);
  assert.ok(left > lost.at(-1)!.at, `the window (${w.LeftBorderTime}) starts after the gap (last lost commit ${apiTime(lost.at(-1)!.at)})`);

  // A SelectTime inside the gap is refused, naming the window.
  const inGap = lost[1]!.at;
  const r = await s.client.call('StartBatchRollbackToTemporaryDBInstance', { InstanceUuid: inst.InstanceUuid, SelectTime: apiTime(inGap), TemporaryInstanceName: 'in-gap' });
  assert.equal(r.body.Code, 'InvalidParameter', JSON.stringify(r.body));
  assert.match(r.body.Message, /SelectTime/);
  assert.ok(r.body.Message.includes(`${w.LeftBorderTime} – `), `the message states the window: ${r.body.Message}`);

  // After the gap: writes, and a restore exact (the lost rows are in the new backup).
  while (Date.now() < left + 200) await sleep(50);
  for (let i = 0; i < 3; i++) { rows.push(await commitRow(c, ++id)); await sleep(400); }
  await c.end();
  const selectTime = rows.at(-2)!.at;
  await waitRight(s, inst.InstanceUuid, selectTime + 1000);
  const got = await restoreRows(s, inst.InstanceUuid, selectTime, 'after-gap', PW);
  assert.equal(checksum(got), checksum(expected(rows, selectTime)), `exact rows after the gap: got ${got.map((x) => x.id)}`);
});
