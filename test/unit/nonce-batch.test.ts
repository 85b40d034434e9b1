/** Group commit of nonces (src/store/nonce-batch.ts): who goes to the database, who wins. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideNonceBatch, planNonceBatch, type NonceRequest } from '../../src/store/nonce-batch.js';

const req = (nonce: string, now = 100, keyId = 'K1'): NonceRequest => ({ keyId, nonce, expiresAt: now + 1000, now });
const ret = (...pairs: Array<[string, string]>) => pairs.map(([key_id, nonce]) => ({ key_id, nonce }));

const CASES: Array<{ name: string; reqs: NonceRequest[]; returned: ReturnType<typeof ret>; rows: string[]; now: number; won: boolean[] }> = [
  { name: 'one new nonce', reqs: [req('a')], returned: ret(['K1', 'a']), rows: ['K1/a'], now: 100, won: [true] },
  { name: 'one replayed nonce (not returned)', reqs: [req('a')], returned: [], rows: ['K1/a'], now: 100, won: [false] },
  { name: 'two distinct nonces, both new', reqs: [req('a'), req('b')], returned: ret(['K1', 'b'], ['K1', 'a']), rows: ['K1/a', 'K1/b'], now: 100, won: [true, true] },
  { name: 'two distinct, one replayed', reqs: [req('a'), req('b')], returned: ret(['K1', 'b']), rows: ['K1/a', 'K1/b'], now: 100, won: [false, true] },
  { name: 'same nonce twice in a batch: only the first can win', reqs: [req('a'), req('a')], returned: ret(['K1', 'a']), rows: ['K1/a'], now: 100, won: [true, false] },
  { name: 'same nonce twice, already used: both lose', reqs: [req('a'), req('a')], returned: [], rows: ['K1/a'], now: 100, won: [false, false] },
  { name: 'same nonce three times among others', reqs: [req('a'), req('b'), req('a'), req('c'), req('a')], returned: ret(['K1', 'a'], ['K1', 'b'], ['K1', 'c']), rows: ['K1/a', 'K1/b', 'K1/c'], now: 100, won: [true, true, false, true, false] },
  { name: 'same nonce, other keys: distinct rows', reqs: [req('a', 100, 'K1'), req('a', 100, 'K2')], returned: ret(['K2', 'a'], ['K1', 'a']), rows: ['K1/a', 'K2/a'], now: 100, won: [true, true] },
  { name: 'key and nonce are not confused by concatenation', reqs: [req('bc', 100, 'a'), req('c', 100, 'ab')], returned: ret(['ab', 'c']), rows: ['a/bc', 'ab/c'], now: 100, won: [false, true] },
  { name: 'now is the smallest of the batch', reqs: [req('a', 300), req('b', 100), req('c', 200)], returned: ret(['K1', 'a'], ['K1', 'b'], ['K1', 'c']), rows: ['K1/a', 'K1/b', 'K1/c'], now: 100, won: [true, true, true] },
  { name: 'a returned row not asked for wins nothing', reqs: [req('a')], returned: ret(['K1', 'z']), rows: ['K1/a'], now: 100, won: [false] },
  { name: 'empty batch', reqs: [], returned: [], rows: [], now: Infinity, won: [] },
];

for (const c of CASES) {
  test(`nonce batch: ${c.name}`, () => {
    const plan = planNonceBatch(c.reqs);
    assert.deepEqual(plan.rows.map((r) => `${r.keyId}/${r.nonce}`), c.rows);
    assert.equal(plan.now, c.now);
    assert.deepEqual(decideNonceBatch(plan, c.returned), c.won);
  });
}

test('nonce batch: every pair is won at most once, whatever the batch (random batches)', () => {
  for (let round = 0; round < 200; round++) {
    const reqs = Array.from({ length: 1 + (round % 17) }, (_, i) => req(`n${(i * 7 + round) % 5}`, 100 + i, `K${i % 2}`));
    const plan = planNonceBatch(reqs);
    const won = decideNonceBatch(plan, plan.rows.map((r) => ({ key_id: r.keyId, nonce: r.nonce })));
    const winners = reqs.filter((_, i) => won[i]).map((r) => `${r.keyId}/${r.nonce}`);
    assert.equal(new Set(winners).size, winners.length);
    assert.equal(winners.length, new Set(reqs.map((r) => `${r.keyId}/${r.nonce}`)).size);
  }
});
