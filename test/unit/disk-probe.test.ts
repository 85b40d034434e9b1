/** When the disk guard measures a disk again (diskProbeGapMs), and the change-token cache its lists use. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskProbeGapMs, MAX_FILL_BYTES_PER_S, MAX_PROBE_GAP_MS } from '../../src/reconciler/disk-decide.js';
import { UnchangedCache } from '../../src/common/unchanged-cache.js';

const GiB = 1024 ** 3;
const CASES: Array<{ name: string; used: number; total: number; at?: number; interval?: number; fill?: number; want: number }> = [
  { name: 'idle 100 GB disk at 1 %: the longest gap', used: 1 * GiB, total: 100 * GiB, want: MAX_PROBE_GAP_MS },
  { name: '100 GB at 90 %: 5 GiB of room = 2.5 s at 2 GiB/s, less one interval', used: 90 * GiB, total: 100 * GiB, want: 2500 - 500 },
  { name: 'at the threshold: every round', used: 95 * GiB, total: 100 * GiB, want: 0 },
  { name: 'above the threshold: every round', used: 99 * GiB, total: 100 * GiB, want: 0 },
  { name: 'room for less than one interval: every round', used: 94.5 * GiB, total: 100 * GiB, want: 0 },
  { name: 'small test disk (800 MB) half full: every round', used: 400 * 1024 ** 2, total: 800 * 1024 ** 2, want: 0 },
  { name: 'a slower assumed fill rate stretches the gap', used: 90 * GiB, total: 100 * GiB, fill: 1 * GiB, want: 5000 - 500 },
  { name: 'a longer guard interval shortens it', used: 90 * GiB, total: 100 * GiB, interval: 2000, want: 2500 - 2000 },
  { name: 'a lower threshold shortens it', used: 80 * GiB, total: 100 * GiB, at: 85, want: 2500 - 500 },
  { name: 'unknown size (0): every round', used: 0, total: 0, want: 0 },
  { name: 'nonsense fill rate: every round', used: 1, total: 100 * GiB, fill: 0, want: 0 },
  { name: 'huge disk: capped', used: 0, total: 16 * 1024 * GiB, want: MAX_PROBE_GAP_MS },
];
for (const c of CASES) {
  test(`diskProbeGapMs: ${c.name}`, () => {
    assert.equal(diskProbeGapMs(c.used, c.total, c.at ?? 95, c.interval ?? 500, c.fill ?? MAX_FILL_BYTES_PER_S), c.want);
  });
}

test('diskProbeGapMs: never longer than the time the disk needs to reach the threshold at the assumed rate (random disks)', () => {
  for (let i = 0; i < 500; i++) {
    const total = (1 + (i % 97)) * GiB;
    const used = ((i * 7919) % 1000) / 1000 * total;
    const gap = diskProbeGapMs(used, total, 95, 500);
    const reachMs = Math.max(0, ((total * 0.95 - used) / MAX_FILL_BYTES_PER_S) * 1000);
    assert.ok(gap + 500 <= Math.max(500, reachMs) + 1e-6, `gap ${gap} + interval must not pass ${reachMs}`);
    assert.ok(gap >= 0 && gap <= MAX_PROBE_GAP_MS);
  }
});

test('UnchangedCache: loads once while the token stays, again after it moves, always without a token', async () => {
  let token = 'a';
  let loads = 0;
  const asked: Array<readonly string[] | undefined> = [];
  const backend = { changeToken: (tables?: readonly string[]) => { asked.push(tables); return token; } };
  const cache = new UnchangedCache<number>(['instances', 'nodes']);
  const load = async () => ++loads;
  assert.equal(await cache.get(backend, load), 1);
  assert.equal(await cache.get(backend, load), 1);
  token = 'b';
  assert.equal(await cache.get(backend, load), 2);
  assert.equal(await cache.get(backend, load), 2);
  assert.ok(asked.every((t) => t?.join() === 'instances,nodes'), 'the token is asked for the cache\'s tables');
  assert.equal(await cache.get({}, load), 3);
  assert.equal(await cache.get({}, load), 4);
});

test('UnchangedCache: a value loaded while something was written is not kept', async () => {
  let token = 'a';
  let loads = 0;
  const cache = new UnchangedCache<number>(['instances']);
  const backend = { changeToken: () => token };
  const racing = async () => { token = `w${++loads}`; return loads; };
  assert.equal(await cache.get(backend, racing), 1);
  assert.equal(await cache.get(backend, async () => ++loads), 2, 'loaded again: the first value was not kept');
  assert.equal(await cache.get(backend, async () => ++loads), 2);
});
