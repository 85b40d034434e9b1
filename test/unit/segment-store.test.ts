/**
 * The archive's segment store (src/archive/segment-store.ts) over a storage whose sink fails like a
 * full disk: put() rejects with the sink's error, drops the upload, and leaves no unhandled
 * rejection behind (one ended serve before: a full backup storage crashed the control plane).
 */
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { SegmentStore } from '../../src/archive/segment-store.js';
import type { ArtifactUpload, BackupStorage } from '../../src/backups/backup-storage.js';

function fullStorage(log: string[]): BackupStorage {
  const upload = (): ArtifactUpload => ({
    writable: new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      },
    }),
    commit: async () => { log.push('commit'); return { sizeBytes: 0, sha256: '' }; },
    abort: async () => { log.push('abort'); },
  });
  return { openUpload: async () => upload() } as unknown as BackupStorage;
}

test('SegmentStore.put on a full storage rejects, aborts the upload, and nothing is left unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const log: string[] = [];
    const store = new SegmentStore(fullStorage(log));
    // Enough bytes, in several parts, that zstd writes while parts are still being read.
    const big = Buffer.alloc(4 << 20, 7);
    const parts = [() => Readable.from([big]), () => Readable.from([big])];
    await assert.rejects(store.put('i/binlog-t1-r1-mysql-bin.000001-0.zst', parts), /ENOSPC|failed/);
    assert.deepEqual(log, ['abort'], 'the upload is dropped, never committed');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
