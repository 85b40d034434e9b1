/**
 * Local adapter of BackupStorage: `<dir>/<instance>/<backupId>.xb.zst`, staged as
 * `<dir>/<instance>/.<backupId>.xb.zst.partial` in the same folder, so that publishing is a
 * rename on one filesystem (atomic), preceded by an fsync of the file and followed by one of the
 * folder (durable across a host crash).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { BackupStorage, PublishedArtifact } from '../backup-storage.js';

const STAGED = /^\.(.+)\.partial$/;

export class LocalBackupStorage implements BackupStorage {
  readonly kind = 'local';
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Absolute path of a published artifact. Keys are `<instance>/<file>` made by artifactKey(). */
  path(key: string): string {
    const p = resolve(this.dir, key);
    if (!p.startsWith(this.dir + sep) || key.split('/').length !== 2 || key.includes('..')) throw new Error(`invalid backup key ${key}`);
    return p;
  }

  stagingPath(key: string): string {
    const p = this.path(key);
    mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
    return join(dirname(p), `.${basename(p)}.partial`);
  }

  async publish(key: string): Promise<PublishedArtifact> {
    const staged = this.stagingPath(key);
    const fh = await open(staged, 'r');
    let sizeBytes = 0;
    const hash = createHash('sha256');
    try {
      // Hash what is on disk, through the same descriptor that is then fsynced and renamed.
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, sizeBytes);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        sizeBytes += bytesRead;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const final = this.path(key);
    await rename(staged, final);
    await fsyncDir(dirname(final));
    return { sizeBytes, sha256: hash.digest('hex') };
  }

  async discardStaged(key: string): Promise<void> {
    await rm(this.stagingPath(key), { force: true });
  }

  async remove(key: string): Promise<void> {
    const p = this.path(key);
    await rm(p, { force: true });
    await rm(join(dirname(p), `.${basename(p)}.partial`), { force: true });
    // The instance folder goes when its last backup does.
    try {
      if ((await readdir(dirname(p))).length === 0) await rm(dirname(p), { recursive: false, force: true }).catch(() => {});
    } catch { /* already gone */ }
  }

  async stat(key: string): Promise<{ sizeBytes: number; mtimeMs: number } | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { sizeBytes: s.size, mtimeMs: s.mtimeMs } : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(key), { start: range?.start, end: range?.end, highWaterMark: 1 << 20 });
  }

  async listStaged(): Promise<string[]> {
    const out: string[] = [];
    let instances: string[];
    try {
      instances = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    for (const inst of instances) {
      let files: string[];
      try {
        files = await readdir(join(this.dir, inst));
      } catch {
        continue; // not a folder
      }
      for (const f of files) {
        const m = STAGED.exec(f);
        if (m) out.push(`${inst}/${m[1]}`);
      }
    }
    return out;
  }

  /** Makes the folder exist (at start-up, so a misconfigured dir fails early). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
