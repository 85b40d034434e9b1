/**
 * The binlog walker (src/archive/binlog-events.ts) against real MariaDB 10.11 binlog files
 * (test/golden/binlog/: DDL, single-row inserts, a two-statement transaction committed 2 s after it
 * began, a rotation), checked against what mariadb-binlog printed for the same files.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatGtid, newWalk, walk, type WalkState } from '../../src/archive/binlog-events.js';

const FILE1 = readFileSync(new URL('../golden/binlog/mixed.000001', import.meta.url));
const FILE2 = readFileSync(new URL('../golden/binlog/mixed.000002', import.meta.url));

/** GTID, commit time (UTC) and end offset of every transaction, as mariadb-binlog (TZ=UTC) shows them. */
const WANT1 = [
  ['0-7-1', '2026-12-02T00:14:14.000Z', 451], ['0-7-2', '2026-12-02T00:14:14.000Z', 608],
  ['0-7-3', '2026-12-02T00:14:14.000Z', 816], ['0-7-4', '2026-12-02T00:14:15.000Z', 1024],
  ['0-7-5', '2026-12-02T00:14:15.000Z', 1232],
  // BEGIN at 00:14:15, second INSERT after SLEEP(1.1), COMMIT at 00:14:17: the commit event's time counts.
  ['0-7-6', '2026-12-02T00:14:17.000Z', 1574],
  ['0-7-7', '2026-12-02T00:14:17.000Z', 1714], ['0-7-8', '2026-12-02T00:14:17.000Z', 1874],
  ['0-7-9', '2026-12-02T00:29:47.000Z', 2084],
];

function all(buf: Buffer, piece: number): { state: WalkState; got: Array<[string, string, number]> } {
  let state = newWalk();
  const got: Array<[string, string, number]> = [];
  for (let n = Math.min(piece, buf.length); ; n = Math.min(n + piece, buf.length)) {
    const r = walk(state, buf.subarray(0, n));
    state = r.state;
    for (const t of r.transactions) got.push([formatGtid(t.gtid), new Date(t.commitAt).toISOString(), t.end]);
    if (n === buf.length) break;
  }
  return { state, got };
}

for (const piece of [FILE1.length, 1, 7, 19, 100, 333, 1024]) {
  test(`walk: the whole file read in pieces of ${piece} bytes gives every transaction once`, () => {
    const { state, got } = all(FILE1, piece);
    assert.deepEqual(got, WANT1);
    assert.equal(state.safeEnd, FILE1.length);
    assert.equal(state.ended, true, 'the file ends with a Rotate event');
    assert.equal(state.checksumLen, 4);
    assert.equal(state.headerEnd, 256);
    assert.equal(state.gtidList, '', 'the first file of a server starts with an empty Gtid_list');
  });
}

const CUTS: Array<{ name: string; at: number; safeEnd: number; done: number }> = [
  { name: 'inside the header', at: 10, safeEnd: 4, done: 0 },
  { name: 'after the format description', at: 256, safeEnd: 256, done: 0 },
  { name: 'inside a GTID event', at: 640, safeEnd: 608, done: 2 },
  { name: 'after a GTID event, before its rows', at: 650, safeEnd: 608, done: 2 },
  { name: 'inside the two-statement transaction', at: 1400, safeEnd: 1232, done: 5 },
  { name: 'just before its commit event ends', at: 1573, safeEnd: 1232, done: 5 },
  { name: 'at its end', at: 1574, safeEnd: 1574, done: 6 },
  { name: 'inside a DDL', at: 1700, safeEnd: 1574, done: 6 },
];
for (const c of CUTS) {
  test(`walk: bytes cut ${c.name}: safeEnd is after the last whole transaction`, () => {
    const r = walk(newWalk(), FILE1.subarray(0, c.at));
    assert.equal(r.state.safeEnd, c.safeEnd);
    assert.equal(r.transactions.length, c.done);
    assert.equal(r.state.ended, false);
  });
}

test('walk: a second file carries the position before it in its Gtid_list', () => {
  const { state, got } = all(FILE2, FILE2.length);
  assert.equal(state.gtidList, '0-7-9');
  assert.equal(got[0]![0], '0-7-10');
  assert.equal(state.ended, false, 'the active file has no Rotate yet');
});

test('walk: bytes given from an offset continue where the state is', () => {
  const first = walk(newWalk(), FILE1.subarray(0, 1300));
  const rest = walk(first.state, FILE1.subarray(first.state.offset), first.state.offset);
  assert.deepEqual([...first.transactions, ...rest.transactions].map((t) => formatGtid(t.gtid)), WANT1.map((w) => w[0]));
});

test('walk: not a binlog', () => {
  assert.throws(() => walk(newWalk(), Buffer.from('hello world, this is not a binlog file')), /magic/);
});
