/**
 * A finished full backup as the restore reads it: the bytes from the backup storage, hashed on
 * the way, so a restore can prove it read exactly the published artifact (its sha256).
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { Services } from '../services.js';
import type { Backup } from '../store/backups-repo.js';

export interface VerifiedRead {
  open(): Readable;
  /** Throws unless the bytes read by the last open() had the backup's size and sha256. */
  check(): void;
}

export function backupReader(svc: Pick<Services, 'backups'>, b: Pick<Backup, 'id' | 'file' | 'sha256' | 'size_bytes'>): VerifiedRead {
  let hash = createHash('sha256');
  let bytes = 0;
  return {
    open() {
      hash = createHash('sha256');
      bytes = 0;
      const out = new PassThrough();
      out.on('data', (d: Buffer) => { hash.update(d); bytes += d.length; });
      const src = svc.backups.storage.read(b.file);
      src.on('error', (e) => out.destroy(e));
      return src.pipe(out);
    },
    check() {
      const got = hash.copy().digest('hex');
      if (bytes !== Number(b.size_bytes) || got !== b.sha256) {
        throw new Error(`backup ${b.id} read back as ${bytes} bytes with sha256 ${got}, but it was published as ${b.size_bytes} bytes with sha256 ${b.sha256}`);
      }
    },
  };
}
