/**
 * Archive segments in the backup storage, beside the full backups (docs/recovery.md "Archive").
 * Every use of the backup storage for the archive goes through this module.
 *
 * A segment is one byte range of one archived binlog file, stored zstd-compressed: a range that
 * does not start at the file's beginning gets the file's header (magic number and format
 * description event) put in front, so every segment is a binlog file the tools read by itself.
 * `put` publishes atomically and returns the size and sha256 of the compressed bytes; `open`
 * checks them while it decompresses.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupStorage } from '../backups/backup-storage.js';
import { findBinary } from '../provisioner/local/mariadb-binaries.js';

export interface StoredSegment {
  sizeBytes: number;
  sha256: string;
}

export function segmentKey(instanceUuid: string, timeline: number, run: number, file: string, start: number): string {
  return `${instanceUuid}/binlog-t${timeline}-r${run}-${file}-${start}.zst`;
}

export class SegmentStore {
  constructor(private readonly storage: BackupStorage) {}

  /** Compresses `parts` (read in order) into the segment `key` and publishes it. */
  async put(key: string, parts: ReadonlyArray<() => Readable>): Promise<StoredSegment> {
    const upload = await this.storage.openUpload(key);
    const z = spawn(findBinary('zstd', ''), ['-q', '-c', '-3'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    z.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    const done = new Promise<number | null>((resolve) => { z.once('close', (c) => resolve(c)); z.once('error', () => resolve(-1)); });
    const written = pipeline(z.stdout!, upload.writable);
    // The sink can fail (the storage full) while the parts are still being read: handled below, but
    // observed at once, or Node would end the process on an unhandled rejection.
    written.catch(() => undefined);
    try {
      for (const open of parts) await pipeline(open(), z.stdin!, { end: false });
      z.stdin!.end();
      const code = await done;
      await written;
      if (code !== 0) throw new Error(`compressing archive segment ${key} failed: ${err.trim() || `zstd exited with ${code}`}`);
    } catch (e) {
      z.kill('SIGKILL');
      await done;
      await written.catch(() => undefined);
      await upload.abort();
      throw e;
    }
    return upload.commit();
  }

  /** The decompressed bytes of a segment; the stream errors unless the stored bytes have `want`'s size and sha256. */
  open(key: string, want: StoredSegment): Readable {
    const hash = createHash('sha256');
    let n = 0;
    const src = this.storage.read(key);
    const tap = new PassThrough();
    tap.on('data', (d: Buffer) => { hash.update(d); n += d.length; });
    const z = spawn(findBinary('zstd', ''), ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out = new PassThrough();
    pipeline(src, tap, z.stdin!).catch((e) => out.destroy(e));
    z.stdout!.pipe(out, { end: false });
    z.once('close', (code) => {
      const got = hash.digest('hex');
      if (code !== 0) out.destroy(new Error(`decompressing archive segment ${key} failed (zstd ${code})`));
      else if (n !== want.sizeBytes || got !== want.sha256) out.destroy(new Error(`archive segment ${key} is damaged: ${n} bytes with sha256 ${got}, stored as ${want.sizeBytes} bytes with ${want.sha256}`));
      else out.end();
    });
    return out;
  }

  async remove(key: string): Promise<void> {
    await this.storage.remove(key);
  }
}
