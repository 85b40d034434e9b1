/**
 * Point-in-time recovery under crashes (docs/recovery.md "The binlog archive"), on real MariaDB:
 * - `kill -9` of serve while it archives, and of the archive's client with it: the restarted serve
 *   resumes the archive with a new run at the last archived event: no gap, no duplicate;
 * - `kill -9` of serve during a restore to a temporary instance: the task converges, exact data;
 * - `kill -9` of the primary's mariadbd while archiving: the watchdog restarts it, the archive
 *   follows without gap or duplicate.
 * Each ends with a restore to a point after the crash, compared by checksum.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { dbPids, pidAlive } from '../support/ha.js';
import {
  archiverPids, checksum, commitRow, expected, restoreRows, sleep, streamRow, waitRight, waitStored, waitTemporary, waitWindowOpen, tempRows, apiTime,
  type Row,
} from '../support/pitr.js';

let s: ServerHandle;
const PW = 'Crash-Pass-123';
let inst: any;
const rows: Row[] = [];
let nextId = 0;

before(async () => {
  s = await startServer({ config: { archive: { enabled: true, intervalMs: 100, closeEveryMs: 1000, purgeEveryMs: 1000 } } });
  inst = await createRunning(s.client, { InstanceName: 'pitr-crash', Password: PW });
  const c = await conn();
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  await c.end();
  await waitWindowOpen(s, inst.InstanceUuid);
});
after(async () => { await s?.cleanup(); });

const conn = () => mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });

/** Commits `n` rows, `gapMs` apart, each recorded with its commit second. */
async function write(n: number, gapMs = 150): Promise<void> {
  const c = await conn();
  try {
    for (let i = 0; i < n; i++) {
      rows.push(await commitRow(c, ++nextId));
      await sleep(gapMs);
    }
  } finally {
    await c.end();
  }
}

/** The stored archive holds one unbroken GTID sequence, each transaction once, and at least one transaction per committed row. */
async function assertContinuous(what: string): Promise<void> {
  const k = await waitStored(s.home, inst.InstanceUuid);
  assert.deepEqual(k.holes, [], `${what}: no gap in the archive's GTID sequence`);
  assert.deepEqual(k.duplicates, [], `${what}: no transaction applied twice`);
  assert.deepEqual(k.errant, [], `${what}: no errant cut on a basic instance`);
  assert.ok(k.applied.length >= rows.length, `${what}: the archive holds every committed row (${k.applied.length} transactions, ${rows.length} rows)`);
}

async function assertRestore(name: string, selectTime: number): Promise<void> {
  await waitRight(s, inst.InstanceUuid, selectTime + 1000, 90_000);
  const got = await restoreRows(s, inst.InstanceUuid, selectTime, name, PW);
  const want = expected(rows, selectTime);
  assert.equal(checksum(got), checksum(want), `${name}: exactly the rows committed at or before ${apiTime(selectTime)}: got ${got.length} rows (last ${got.at(-1)?.id}), want ${want.length} (last ${want.at(-1)?.id})`);
}

test('kill -9 of serve while archiving: the restarted serve adopts the run and copies on from the spool, no gap, no duplicate', async () => {
  await write(6);
  const runBefore = Number(streamRow(s.home, inst.InstanceUuid).run);
  const writing = write(10, 200); // commits go on while serve is down
  await sleep(600);
  await s.kill9();
  assert.deepEqual(archiverPids(s.home), [], 'no client process: serve copies the binlog files itself (archive.stream "files")');
  await writing;
  await s.restart();
  await write(4);
  await waitRight(s, inst.InstanceUuid, rows.at(-1)!.at + 1000);
  await assertContinuous('after kill -9 of serve');
  assert.equal(Number(streamRow(s.home, inst.InstanceUuid).run), runBefore, 'the same run went on: its spool and its place in the source\'s files were kept');
  await assertRestore('crash-serve', rows.at(-2)!.at);
});

test('kill -9 of serve during a restore to a temporary instance: the task converges to RUNNING with exact data', async () => {
  await write(3);
  const selectTime = rows.at(-1)!.at;
  await write(2);
  await waitRight(s, inst.InstanceUuid, selectTime + 1000);
  const name = 'crash-restore';
  const r = await s.client.ok('StartBatchRollbackToTemporaryDBInstance', { InstanceUuid: inst.InstanceUuid, SelectTime: apiTime(selectTime), TemporaryInstanceName: name });
  assert.ok(r.taskId);
  // Kill while the task is past its first step (the restore of the base or the replay).
  const t0 = Date.now();
  for (;;) {
    const { data } = await s.client.ok('DescribeTemporaryDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
    const t = (data as any[]).find((x) => x.TemporaryInstanceName === name);
    assert.notEqual(t?.Status, 'RUNNING', 'killed before it finished');
    if (Number(t?.Progress) > 0) break;
    if (Date.now() - t0 > 60_000) assert.fail('the restore did not start');
    await sleep(50);
  }
  await s.kill9();
  await sleep(500);
  await s.restart();
  const t = await waitTemporary(s, inst.InstanceUuid, name);
  const got = await tempRows(t, PW);
  assert.equal(checksum(got), checksum(expected(rows, selectTime)), `exact rows after the crash: got ${got.map((x) => x.id)}`);
});

test('kill -9 of the primary mariadbd while archiving: the watchdog restarts it and the archive continues without gap or duplicate', async () => {
  await write(4);
  const pids = dbPids(s.home);
  const nodeOf = [...pids.entries()];
  const ownNode = streamRow(s.home, inst.InstanceUuid).source_node as string;
  const pid = pids.get(ownNode);
  assert.ok(pid, `the archive's source node ${ownNode} runs (${JSON.stringify(nodeOf)})`);
  process.kill(pid, 'SIGKILL');
  const t0 = Date.now();
  for (;;) {
    const now = dbPids(s.home).get(ownNode);
    if (now && now !== pid && pidAlive(now)) break;
    if (Date.now() - t0 > 60_000) assert.fail('the watchdog did not restart mariadbd');
    await sleep(200);
  }
  // Writes again once the server accepts them.
  for (let i = 0; ; i++) {
    try {
      await write(5);
      break;
    } catch (e) {
      if (i > 100) throw e;
      await sleep(300);
    }
  }
  await waitRight(s, inst.InstanceUuid, rows.at(-1)!.at + 1000, 90_000);
  await assertContinuous('after kill -9 of mariadbd');
  await assertRestore('crash-mariadbd', rows.at(-1)!.at);
});
