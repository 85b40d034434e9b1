/**
 * FileBinlogStreams on real folders: a fake "datadir" with an index and binlog files (plain bytes:
 * the adapter copies bytes, it does not parse events). What the source appends reaches the spool at
 * each sync; a rotation moves on to the next file after the old one's last bytes; a restarted serve
 * (a new adapter) adopts the run; a file that shrank, was replaced or vanished ends the run with its
 * reason, and a stopped run is not adopted.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

/** A sync once the copy timer (every 10 ms here) has run. */
const synced = async (s: FileBinlogStreams) => { await sleep(40); return s.sync('i1'); };
import { FileBinlogStreams } from '../../src/provisioner/local/binlog-file-streams.js';

const root = mkdtempSync(join(tmpdir(), 'file-streams-'));
after(() => rmSync(root, { recursive: true, force: true }));

function setup(name: string) {
  const data = join(root, name, 'data');
  const spool = join(root, name, 'spool');
  mkdirSync(data, { recursive: true });
  const index = (...files: string[]) => writeFileSync(join(data, 'mysql-bin.index'), files.map((f) => `./${f}\n`).join(''));
  const make = () => new FileBinlogStreams(spool, { dir: () => data, indexName: 'mysql-bin.index' }, 10);
  const spec = (run: number, startFile = 'mysql-bin.000001') => ({ id: 'i1', run, sourceNode: 'n1', source: { host: '', port: 0, user: '', password: '' }, serverId: 1, startFile });
  const spoolText = (run: number, file: string) => readFileSync(join(spool, 'i1', `r${run}-${file}`), 'utf8');
  return { data, spool, index, make, spec, spoolText };
}

test('appends are copied at each sync, a rotation moves on after the old file\'s last bytes, and a new adapter adopts the run', async () => {
  const t = setup('copy');
  writeFileSync(join(t.data, 'mysql-bin.000001'), 'A1');
  t.index('mysql-bin.000001');
  let s = t.make();
  await s.start(t.spec(1));
  assert.deepEqual(await synced(s), [{ run: 1, name: 'mysql-bin.000001', bytes: 2 }]);
  appendFileSync(join(t.data, 'mysql-bin.000001'), 'A2');
  assert.deepEqual((await synced(s)).map((f) => f.bytes), [4], 'an append');
  // Rotation: the old file gets its last bytes, then a new file is listed in the index.
  appendFileSync(join(t.data, 'mysql-bin.000001'), 'R');
  writeFileSync(join(t.data, 'mysql-bin.000002'), 'B1');
  t.index('mysql-bin.000001', 'mysql-bin.000002');
  assert.deepEqual((await synced(s)).map((f) => `${f.name}/${f.bytes}`), ['mysql-bin.000001/5', 'mysql-bin.000002/2']);
  assert.equal(t.spoolText(1, 'mysql-bin.000001'), 'A1A2R');
  assert.deepEqual(await s.inspect('i1'), { running: true, run: 1, log: '' });
  // serve restarts: a new adapter over the same spool copies on from the spool's sizes.
  appendFileSync(join(t.data, 'mysql-bin.000002'), 'B2');
  s = t.make();
  assert.deepEqual(await s.inspect('i1'), { running: true, run: 1, log: '' }, 'adopted');
  await synced(s);
  assert.equal(t.spoolText(1, 'mysql-bin.000002'), 'B1B2', 'nothing copied twice, nothing skipped');
  await s.start(t.spec(1));
  assert.equal((await s.inspect('i1')).running, true, 'start of the running run keeps it');
  // stop: the run ends and a later adapter does not adopt it.
  await s.stop('i1');
  assert.equal((await t.make().inspect('i1')).running, false);
  assert.match((await t.make().inspect('i1')).log, /stopped/);
});

const endings: Array<[string, (data: string) => void, RegExp]> = [
  ['a file shrank (crash recovery truncated it)', (d) => truncateSync(join(d, 'mysql-bin.000001'), 1), /shrank from 4 to 1 bytes/],
  ['a file was replaced by another of the same name (a restore)', (d) => { writeFileSync(join(d, 'x'), 'NEW-FILE'); renameSync(join(d, 'x'), join(d, 'mysql-bin.000001')); }, /replaced by another/],
  ['a file vanished before it was copied whole (purged)', (d) => rmSync(join(d, 'mysql-bin.000001')), /is gone \(ENOENT\)/],
  ['the datadir went (the node was deleted)', (d) => rmSync(d, { recursive: true }), /is gone/],
];

for (const [what, act, why] of endings) {
  test(`the run ends when ${what}`, async () => {
    const t = setup(what.replace(/\W+/g, '-'));
    writeFileSync(join(t.data, 'mysql-bin.000001'), 'A1A2');
    t.index('mysql-bin.000001');
    const s = t.make();
    await s.start(t.spec(3));
    await synced(s);
    act(t.data);
    await synced(s);
    const st = await s.inspect('i1');
    assert.equal(st.running, false);
    assert.equal(st.run, 3);
    assert.match(st.log, why);
    assert.equal(t.spoolText(3, 'mysql-bin.000001'), 'A1A2', 'what was copied stays in the spool');
    const later = await t.make().inspect('i1');
    assert.equal(later.running, false, 'an ended run is not adopted');
    assert.match(later.log, why, 'its reason is kept for the next serve');
    // A new run starts afresh.
    if (what.includes('datadir')) return;
    writeFileSync(join(t.data, 'mysql-bin.000002'), 'C1');
    t.index('mysql-bin.000002');
    await s.start(t.spec(4, 'mysql-bin.000002'));
    assert.deepEqual((await synced(s)).filter((f) => f.run === 4), [{ run: 4, name: 'mysql-bin.000002', bytes: 2 }]);
  });
}

test('a start file the source does not have ends the run at once', async () => {
  const t = setup('nofile');
  writeFileSync(join(t.data, 'mysql-bin.000005'), 'X');
  t.index('mysql-bin.000005');
  const s = t.make();
  await s.start(t.spec(1, 'mysql-bin.000004'));
  await synced(s);
  const st = await s.inspect('i1');
  assert.equal(st.running, false);
  assert.match(st.log, /mysql-bin\.000004 is gone|no longer has the binlog file mysql-bin\.000004/);
});

test('the copy is driven by change: an append is copied at once, an idle source is looked at once per lookEveryMs slot of the clock, coveredAt says when the spool held all of it', async () => {
  const t = setup('events');
  writeFileSync(join(t.data, 'mysql-bin.000001'), 'A1');
  t.index('mysql-bin.000001');
  const s = new FileBinlogStreams(t.spool, { dir: () => t.data, indexName: 'mysql-bin.index' }, 10, 400);
  try {
    assert.equal(s.coveredAt('i1'), undefined, 'no run');
    await sleep(400 - (Date.now() % 400) + 5); // just after a slot began: the checks below end before the next
    const before = Date.now();
    await s.start(t.spec(1));
    await sleep(60);
    const c1 = s.coveredAt('i1');
    assert.ok(c1 !== undefined && c1 >= before, 'the first look covered the source');
    // Idle: no look (no new coveredAt, no version change) until the next slot, even with other files written.
    const v1 = s.version('i1');
    writeFileSync(join(t.data, 'ib_logfile0'), 'innodb');
    await sleep(100);
    assert.equal(s.version('i1'), v1, 'an InnoDB file is not a reason to look');
    assert.equal(s.coveredAt('i1'), c1);
    await sleep(450);
    const c2 = s.coveredAt('i1')!;
    assert.ok(c2 > c1, 'the periodic look moved coveredAt');
    assert.ok(Math.floor(c2 / 400) > Math.floor(c1 / 400), 'in a later slot');
    assert.equal(s.version('i1'), v1, 'a look that copied nothing leaves the version (only coveredAt moved)');
    // An append is copied at the next tick (the watch), long before the next periodic look.
    const appendedAt = Date.now();
    appendFileSync(join(t.data, 'mysql-bin.000001'), 'A2');
    await sleep(60);
    assert.equal(t.spoolText(1, 'mysql-bin.000001'), 'A1A2');
    assert.ok(s.coveredAt('i1')! >= appendedAt, 'covered again after the append, at a look that began after it');
    // A rotation too: the new file is listed in the index.
    writeFileSync(join(t.data, 'mysql-bin.000002'), 'B1');
    t.index('mysql-bin.000001', 'mysql-bin.000002');
    await sleep(60);
    assert.deepEqual((await s.sync('i1')).map((f) => `${f.name}/${f.bytes}`), ['mysql-bin.000001/4', 'mysql-bin.000002/2']);
    // An ended run covers nothing.
    rmSync(join(t.data, 'mysql-bin.000002'));
    await sleep(60);
    assert.equal((await s.inspect('i1')).running, false);
    assert.equal(s.coveredAt('i1'), undefined);
  } finally {
    s.close();
  }
});
