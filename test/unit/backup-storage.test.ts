/**
 * The BackupStorage port's contract on the local adapter (src/backups/local/local-backup-storage.ts):
 * uploads as streams, published atomically on commit, never visible before, keys checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { keyName, keyProblem } from '../../src/backups/backup-storage.js';
import { LocalBackupStorage } from '../../src/backups/local/local-backup-storage.js';

function fresh(): LocalBackupStorage {
  const dir = mkdtempSync(join(tmpdir(), 'openrds-storage-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return new LocalBackupStorage(dir);
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function end(w: NodeJS.WritableStream, ...chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    w.on('error', reject);
    for (const c of chunks) w.write(c);
    w.end(() => resolve());
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('upload → commit → read: the same bytes, their size and sha256; invisible until the commit', async () => {
  const s = fresh();
  const a = Buffer.alloc(3 << 20, 7);
  const b = Buffer.from('tail');
  const up = await s.openUpload('inst-1/bk1.xb.zst');
  await end(up.writable, a, b);
  assert.equal(await s.stat('inst-1/bk1.xb.zst'), undefined, 'not readable before the commit');
  assert.deepEqual(await s.list('inst-1/'), []);
  assert.deepEqual(await s.listStaged(), ['inst-1/bk1.xb.zst']);
  const pub = await up.commit();
  const all = Buffer.concat([a, b]);
  assert.deepEqual(pub, { sizeBytes: all.length, sha256: sha(all) });
  assert.equal((await s.stat('inst-1/bk1.xb.zst'))?.sizeBytes, all.length);
  assert.ok((await readAll(s.read('inst-1/bk1.xb.zst'))).equals(all));
  assert.ok((await readAll(s.read('inst-1/bk1.xb.zst', { start: all.length - 4, end: all.length - 1 }))).equals(b));
  assert.deepEqual(await s.listStaged(), []);
  assert.deepEqual(await s.list('inst-1/'), ['inst-1/bk1.xb.zst']);
  await up.abort(); // after a commit: nothing
  assert.ok(await s.stat('inst-1/bk1.xb.zst'));
});

test('abort drops what was written; the earlier artifact of the key stays until a new commit', async () => {
  const s = fresh();
  const first = await s.openUpload('i/k');
  await end(first.writable, Buffer.from('one'));
  await first.commit();
  const second = await s.openUpload('i/k');
  second.writable.write(Buffer.from('two, half'));
  assert.equal((await readAll(s.read('i/k'))).toString(), 'one');
  await second.abort();
  await second.abort(); // idempotent
  assert.deepEqual(await s.listStaged(), []);
  assert.equal((await readAll(s.read('i/k'))).toString(), 'one');
  const third = await s.openUpload('i/k');
  await end(third.writable, Buffer.from('three'));
  await third.commit();
  assert.equal((await readAll(s.read('i/k'))).toString(), 'three');
});

test('commit refuses an upload that has not finished or was destroyed, and publishes nothing', async () => {
  const s = fresh();
  const open = await s.openUpload('i/unfinished');
  open.writable.write(Buffer.from('x'));
  await assert.rejects(open.commit(), /has not finished/);
  await open.abort();
  const broken = await s.openUpload('i/broken');
  broken.writable.write(Buffer.from('x'));
  broken.writable.destroy(new Error('the job failed'));
  await new Promise((r) => setImmediate(r));
  await assert.rejects(broken.commit(), /has not finished/);
  await broken.abort();
  assert.equal(await s.stat('i/unfinished'), undefined);
  assert.equal(await s.stat('i/broken'), undefined);
  assert.deepEqual(await s.listStaged(), []);
});

test('openUpload discards an unfinished upload of the key left by a crashed process', async () => {
  const s = fresh();
  const crashed = await s.openUpload('i/k');
  crashed.writable.write(Buffer.from('left behind'));
  // the process "dies": nobody aborts; the next attempt starts over
  const again = await s.openUpload('i/k');
  await end(again.writable, Buffer.from('fresh'));
  assert.deepEqual(await again.commit(), { sizeBytes: 5, sha256: sha(Buffer.from('fresh')) });
  assert.equal((await readAll(s.read('i/k'))).toString(), 'fresh');
});

test('discardStaged and remove are idempotent; remove takes empty folders with it', async () => {
  const s = fresh();
  const up = await s.openUpload('a/b/c');
  await end(up.writable, Buffer.from('x'));
  await up.commit();
  const left = await s.openUpload('a/b/d');
  left.writable.write(Buffer.from('y'));
  await s.discardStaged('a/b/d');
  await s.discardStaged('a/b/d');
  assert.deepEqual(await s.listStaged(), []);
  await s.remove('a/b/c');
  await s.remove('a/b/c');
  await s.remove('never/was');
  assert.equal(await s.stat('a/b/c'), undefined);
  assert.deepEqual(readdirSync(s.dir), [], 'the empty folders a/b and a went too');
});

test('list: committed artifacts under a prefix, sorted, at several depths', async () => {
  const s = fresh();
  for (const k of ['i2/b', 'i1/z', 'i1/a', 'i1/seg/000002', 'i1/seg/000001', 'other']) {
    const up = await s.openUpload(k);
    await end(up.writable, Buffer.from(k));
    await up.commit();
  }
  assert.deepEqual(await s.list('i1/'), ['i1/a', 'i1/seg/000001', 'i1/seg/000002', 'i1/z']);
  assert.deepEqual(await s.list('i1/seg/'), ['i1/seg/000001', 'i1/seg/000002']);
  assert.deepEqual(await s.list(''), ['i1/a', 'i1/seg/000001', 'i1/seg/000002', 'i1/z', 'i2/b', 'other']);
});

const KEY_CASES: Array<{ key: string; ok: boolean }> = [
  { key: 'inst/bk.xb.zst', ok: true },
  { key: 'one', ok: true },
  { key: 'a/b/c/d', ok: true },
  { key: 'a/b/c/d/e', ok: false },
  { key: '', ok: false },
  { key: '../x', ok: false },
  { key: 'a/../b', ok: false },
  { key: 'a//b', ok: false },
  { key: '/abs', ok: false },
  { key: 'a/.hidden', ok: false },
  { key: 'a/b c', ok: false },
  { key: 'a/b\\c', ok: false },
  { key: 'a/é', ok: false },
  { key: `a/${'x'.repeat(201)}`, ok: false },
];
for (const c of KEY_CASES) {
  test(`keyProblem(${JSON.stringify(c.key.slice(0, 30))}): ${c.ok ? 'valid' : 'refused'}`, async () => {
    assert.equal(keyProblem(c.key) === undefined, c.ok);
    if (!c.ok) await assert.rejects(fresh().openUpload(c.key), /invalid backup key/);
  });
}

test('keyName is the last segment', () => {
  assert.equal(keyName('i/b/c.zst'), 'c.zst');
  assert.equal(keyName('plain'), 'plain');
});
