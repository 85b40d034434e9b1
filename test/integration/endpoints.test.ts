/**
 * The nftables endpoint adapter against the real kernel: repoints work from its cached map, and
 * a map changed behind its back (a stale cache) is detected and repaired, never trusted blindly.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { NftEndpoints } from '../../src/endpoints/nftables/nft-endpoints.js';
import { addrKey, type Address } from '../../src/endpoints/endpoints.js';

const home = `/tmp/openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-endpoints-${process.pid}`;
const ep = new NftEndpoints(home);
const front: Address = { ip: '127.77.1.1', port: 3306 };
const a: Address = { ip: '127.77.1.10', port: 3306 };
const b: Address = { ip: '127.77.1.11', port: 3306 };
const c: Address = { ip: '127.77.1.12', port: 3306 };
const nft = (script: string) => execFileSync('nft', ['-f', '-'], { input: script });
const targetNow = async () => (await new NftEndpoints(home).list()).find((e) => addrKey(e.front) === addrKey(front))?.target;

after(async () => { await ep.destroyAll(); });

test('point, repoint and remove, as the kernel sees it', async () => {
  await ep.point(front, a);
  assert.deepEqual(await targetNow(), a);
  await ep.point(front, b);
  assert.deepEqual(await targetNow(), b);
  assert.deepEqual((await ep.list({ maxAgeMs: 60_000 })).map((e) => e.target), [b], 'the cached map follows the change');
  await ep.point(front, b); // idempotent
  assert.deepEqual(await targetNow(), b);
});

test('an element deleted behind its back: the repoint still lands', async () => {
  nft(`delete element ip ${ep.table} endpoints { ${front.ip} . ${front.port} }\n`);
  await ep.point(front, a); // the cache says "b" exists: its delete fails, then a fresh read
  assert.deepEqual(await targetNow(), a);
});

test('an element changed behind its back: "already there" is confirmed, not trusted', async () => {
  nft(`delete element ip ${ep.table} endpoints { ${front.ip} . ${front.port} }\nadd element ip ${ep.table} endpoints { ${front.ip} . ${front.port} : ${c.ip} . ${c.port} }\n`);
  await ep.point(front, a); // the cache says "a": a fresh read shows "c"
  assert.deepEqual(await targetNow(), a);
});

test('a table removed behind its back is made again by the same call', async () => {
  execFileSync('nft', ['delete', 'table', 'ip', ep.table]);
  await ep.point(front, b);
  assert.deepEqual(await targetNow(), b);
  await ep.remove(front);
  assert.equal(await targetNow(), undefined);
});
