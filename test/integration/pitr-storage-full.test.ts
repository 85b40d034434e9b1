/**
 * The archive's storage fills up (docs/recovery.md "The binlog archive"): the backup storage is a
 * small tmpfs (the spool is on it too, the default), filled by a file while rows are written. The
 * archiver reports it (log, the stream's status in the store), and once there is room again it
 * catches up with no gap, and a restore is exact.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { checksum, commitRow, expected, restoreRows, sleep, storeRows, streamRow, waitRight, waitStored, waitWindowOpen, type Row } from '../support/pitr.js';

let s: ServerHandle | undefined;
const PW = 'Full-Pass-1234';
const DIR = `/tmp/openrds-pitrtest-full-${process.pid}`;
const FILLER = `${DIR}/filler`;

before(() => {
  mkdirSync(DIR, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'openrds-pitrtest-full', DIR]);
});
after(async () => {
  await s?.cleanup();
  try { execFileSync('umount', ['-l', DIR]); } catch { /* not mounted */ }
  rmSync(DIR, { recursive: true, force: true });
});

function fill(): void {
  const free = statfsSync(DIR).bavail * statfsSync(DIR).bsize;
  writeFileSync(FILLER, Buffer.alloc(free, 1));
  assert.ok(statfsSync(DIR).bavail * statfsSync(DIR).bsize < 64 * 1024, 'the storage is full');
}

test('backup storage full: the archiver reports it, then catches up with no gap once there is room, and a restore is exact', async () => {
  s = await startServer({ config: { backups: { dir: DIR }, archive: { enabled: true, intervalMs: 100, closeEveryMs: 1000, purgeEveryMs: 1000 } } });
  const inst = await createRunning(s.client, { InstanceName: 'pitr-full', Password: PW });
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(200))');
  await c.query('CREATE TABLE app.pad (id INT AUTO_INCREMENT PRIMARY KEY, b LONGTEXT)');
  const rows: Row[] = [];
  let id = 0;
  for (let i = 0; i < 3; i++) rows.push(await commitRow(c, ++id));
  await waitWindowOpen(s, inst.InstanceUuid);
  await waitRight(s, inst.InstanceUuid, rows.at(-1)!.at + 1000);
  const from = s.logs().length;

  fill();
  // Rows, and big ones (a small write may still fit in the spool file's last page).
  for (let i = 0; i < 6; i++) {
    rows.push(await commitRow(c, ++id));
    await c.query('INSERT INTO app.pad (b) VALUES (?)', ['x'.repeat(64 * 1024)]);
    await sleep(300);
  }
  // Reported: in the log and in the stream's status detail.
  const t0 = Date.now();
  for (;;) {
    const row = streamRow(s.home, inst.InstanceUuid);
    const api = (await s.client.ok('DescribeRollbackRangeTime', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' })).data;
    if (/space|full/i.test(row.status_detail) && api.ArchiveDetail === row.status_detail && /archive[^\n]*(space|full)/i.test(s.logs().slice(from))) break;
    if (Date.now() - t0 > 30_000) assert.fail(`not reported: ${JSON.stringify(row)}\n${s.logs().slice(from).split('\n').filter((l) => /archive/.test(l)).slice(-5).join('\n')}`);
    await sleep(200);
  }

  // Room again: it catches up, no gap.
  rmSync(FILLER);
  for (let i = 0; i < 2; i++) { rows.push(await commitRow(c, ++id)); await sleep(300); }
  await c.end();
  await waitRight(s, inst.InstanceUuid, rows.at(-1)!.at + 1000, 60_000);
  assert.equal(streamRow(s.home, inst.InstanceUuid).status_detail, '', 'the report is cleared once it archives again');
  assert.equal((await s.client.ok('DescribeRollbackRangeTime', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' })).data.ArchiveStatus, 'streaming');
  assert.equal(storeRows(s.home, 'SELECT * FROM archive_gaps WHERE instance_uuid = ?', inst.InstanceUuid).length, 0, 'no gap');
  const k = await waitStored(s.home, inst.InstanceUuid, 30_000, DIR);
  assert.deepEqual(k.holes, [], 'one unbroken GTID sequence');
  assert.deepEqual(k.duplicates, []);
  const selectTime = rows.at(-2)!.at;
  const got = await restoreRows(s, inst.InstanceUuid, selectTime, 'after-full', PW);
  assert.equal(checksum(got), checksum(expected(rows, selectTime)), `exact rows: got ${got.map((x) => x.id)}`);
});
