/** The in-memory window of the SQLite nonce log (src/store/nonce-window.ts): who wins, what may be pruned. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planNonceBatch, type NonceRequest } from '../../src/store/nonce-batch.js';
import { NonceWindow, type NonceLogRow } from '../../src/store/nonce-window.js';

const row = (id: number, nonce: string, expiresAt: number, keyId = 'K1'): NonceLogRow => ({ id, keyId, nonce, expiresAt });
const req = (nonce: string, now: number, keyId = 'K1'): NonceRequest => ({ keyId, nonce, expiresAt: now + 1000, now });

const DECIDE: Array<{ name: string; log: NonceLogRow[]; reqs: NonceRequest[]; won: boolean[] }> = [
  { name: 'empty log, one nonce', log: [], reqs: [req('a', 100)], won: [true] },
  { name: 'empty batch', log: [row(1, 'a', 1000)], reqs: [], won: [] },
  { name: 'live in the log: a replay', log: [row(1, 'a', 1000)], reqs: [req('a', 100)], won: [false] },
  { name: 'live until its expiry: one ms before', log: [row(1, 'a', 1000)], reqs: [req('a', 999)], won: [false] },
  { name: 'expired at its expiry (expiry <= now)', log: [row(1, 'a', 1000)], reqs: [req('a', 1000)], won: [true] },
  { name: 'expired long ago', log: [row(1, 'a', 1000)], reqs: [req('a', 5000)], won: [true] },
  { name: 'same nonce, other key', log: [row(1, 'a', 1000, 'K2')], reqs: [req('a', 100)], won: [true] },
  { name: 'key and nonce not confused by concatenation', log: [row(1, 'bc', 1000, 'a')], reqs: [req('c', 100, 'ab')], won: [true] },
  { name: 'twice in a batch: the first wins', log: [], reqs: [req('a', 100), req('a', 100)], won: [true, false] },
  { name: 'twice in a batch, already live: both lose', log: [row(1, 'a', 1000)], reqs: [req('a', 100), req('a', 100)], won: [false, false] },
  { name: 'the latest row of a nonce counts (re-used after expiry)', log: [row(1, 'a', 1000), row(2, 'a', 3000)], reqs: [req('a', 2000)], won: [false] },
  { name: 'the batch is decided at its smallest now', log: [row(1, 'a', 1000)], reqs: [req('b', 1500), req('a', 999)], won: [true, false] },
  { name: 'a row already seen (id not above lastId) is ignored', log: [row(2, 'a', 1000), row(1, 'b', 1000)], reqs: [req('a', 100), req('b', 100)], won: [false, true] },
  { name: 'mixed batch', log: [row(1, 'a', 1000), row(2, 'b', 50)], reqs: [req('a', 100), req('b', 100), req('c', 100), req('c', 100)], won: [false, true, true, false] },
];

for (const c of DECIDE) {
  test(`nonce window decide: ${c.name}`, () => {
    const w = new NonceWindow();
    w.add(c.log);
    assert.deepEqual(w.decide(planNonceBatch(c.reqs)), c.won);
  });
}

const PRUNE: Array<{ name: string; log: NonceLogRow[]; now: number; upTo: number | undefined; live: string[] }> = [
  { name: 'empty', log: [], now: 100, upTo: undefined, live: [] },
  { name: 'nothing expired', log: [row(1, 'a', 1000), row(2, 'b', 1000)], now: 999, upTo: undefined, live: ['a', 'b'] },
  { name: 'all expired', log: [row(1, 'a', 1000), row(2, 'b', 1001)], now: 1001, upTo: 2, live: [] },
  { name: 'a prefix expired', log: [row(1, 'a', 1000), row(2, 'b', 1001), row(3, 'c', 2000)], now: 1500, upTo: 2, live: ['c'] },
  { name: 'an out-of-order live row holds back the ids after it', log: [row(1, 'a', 1000), row(2, 'b', 9000), row(3, 'c', 1000)], now: 1500, upTo: 1, live: ['b'] },
  { name: 'a re-used nonce: the old row prunable, the new one live', log: [row(1, 'a', 1000), row(2, 'a', 3000)], now: 2000, upTo: 1, live: ['a'] },
  { name: 'gaps in the ids (another process pruned)', log: [row(5, 'a', 1000), row(9, 'b', 1000), row(12, 'c', 5000)], now: 1000, upTo: 9, live: ['c'] },
];

for (const c of PRUNE) {
  test(`nonce window prune: ${c.name}`, () => {
    const w = new NonceWindow();
    w.add(c.log);
    assert.equal(w.prunableUpTo(c.now), c.upTo);
    assert.deepEqual(['a', 'b', 'c'].filter((n) => w.isLive('K1', n, c.now)), c.live);
    assert.equal(w.prunableUpTo(c.now), undefined, 'a second prune at the same time finds nothing more');
  });
}

test('nonce window: lastId follows the rows, and a long run of prunes keeps working (compaction)', () => {
  const w = new NonceWindow();
  for (let i = 1; i <= 20_000; i++) w.add([row(i, `n${i}`, i)]);
  assert.equal(w.lastId, 20_000);
  for (let t = 1000; t <= 20_000; t += 1000) assert.equal(w.prunableUpTo(t), t);
  assert.equal(w.size, 0);
  w.add([row(20_001, 'late', 30_000)]);
  assert.equal(w.prunableUpTo(29_999), undefined);
  assert.equal(w.prunableUpTo(30_000), 20_001);
});
