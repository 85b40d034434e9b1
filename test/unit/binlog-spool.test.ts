/**
 * ClientBinlogStreams.sync (binlog-spool.ts) on a real folder: what a stream client writes is listed with its durable
 * size; a spool nothing touched is answered from memory (the folder is watched), and a change is
 * seen once its inotify event arrived.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientBinlogStreams } from '../../src/provisioner/local/binlog-client-streams.js';

const root = mkdtempSync(join(tmpdir(), 'spool-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('sync lists the spool, sees appends, new files and removals, and answers an untouched spool from memory', async () => {
  const s = new ClientBinlogStreams(root);
  assert.deepEqual(await s.sync('i1'), [], 'no spool yet');
  const dir = join(root, 'i1');
  mkdirSync(dir);
  writeFileSync(join(dir, 'r1-bin.000001'), Buffer.alloc(100));
  writeFileSync(join(dir, '.r1.log'), ''); // not a spool file
  assert.deepEqual(await s.sync('i1'), [{ run: 1, name: 'bin.000001', bytes: 100 }]);

  appendFileSync(join(dir, 'r1-bin.000001'), Buffer.alloc(50));
  await sleep(100); // the watch event arrives
  assert.deepEqual(await s.sync('i1'), [{ run: 1, name: 'bin.000001', bytes: 150 }], 'an append');

  writeFileSync(join(dir, 'r2-bin.000002'), Buffer.alloc(7));
  await sleep(100);
  assert.deepEqual((await s.sync('i1')).map((f) => `${f.run}/${f.name}/${f.bytes}`), ['1/bin.000001/150', '2/bin.000002/7'], 'a new run\'s file');

  const listed = await s.sync('i1');
  listed[0]!.bytes = 0; // a caller's copy
  assert.equal((await s.sync('i1'))[0]!.bytes, 150, 'answered from memory, not from the caller\'s copy');

  await s.remove('i1', { run: 1, name: 'bin.000001' });
  assert.deepEqual((await s.sync('i1')).map((f) => f.name), ['bin.000002'], 'a removal is seen at once');
  await s.destroy('i1');
  assert.deepEqual(await s.sync('i1'), [], 'destroyed');
});
