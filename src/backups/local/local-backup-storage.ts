/**
 * Local adapter of BackupStorage: the artifact of key `a/b/c` is the file `<dir>/a/b/c`; an
 * upload writes `<dir>/a/b/.c.partial` in the same folder, so that commit is a rename on one
 * filesystem (atomic), preceded by an fsync of the file and followed by one of the folder
 * (durable across a host crash). The sha256 is computed over the bytes as they are written.
 */
import { createHash, type Hash } from 'node:crypto';
import { close, createReadStream, fsync, open, write } from 'node:fs';
import { mkdir, open as openAsync, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { keyName, keyProblem, type ArtifactUpload, type BackupStorage, type PublishedArtifact } from '../backup-storage.js';

const STAGED = /^\.(.+)\.partial$/;
/** Keys have at most 4 segments: folders deeper than this are not ours. */
const MAX_DEPTH = 4;

export class LocalBackupStorage implements BackupStorage {
  readonly kind = 'local';
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Absolute path of a committed artifact (for this adapter and its tests only). */
  path(key: string): string {
    const why = keyProblem(key);
    const p = resolve(this.dir, key);
    if (why || !p.startsWith(this.dir + sep)) throw new Error(`invalid backup key ${key}: ${why ?? 'outside the folder'}`);
    return p;
  }

  private stagedPath(key: string): string {
    const p = this.path(key);
    return join(dirname(p), `.${keyName(key)}.partial`);
  }

  async openUpload(key: string): Promise<ArtifactUpload> {
    const final = this.path(key);
    const staged = this.stagedPath(key);
    await mkdir(dirname(final), { recursive: true, mode: 0o700 });
    await rm(staged, { force: true });
    const fd = await new Promise<number>((res, rej) => open(staged, 'wx', 0o600, (e, f) => (e ? rej(e) : res(f))));
    const writable = new FileSink(fd);
    let state: 'open' | 'committed' | 'aborted' = 'open';
    return {
      writable,
      commit: async () => {
        if (state !== 'open') throw new Error(`upload of ${key} was already ${state}`);
        if (!writable.done) throw new Error(`upload of ${key} has not finished${writable.errored ? `: ${writable.errored.message}` : ''}`);
        state = 'committed';
        await rename(staged, final);
        await fsyncDir(dirname(final));
        return { sizeBytes: writable.size, sha256: writable.hash.digest('hex') };
      },
      abort: async () => {
        if (state !== 'open') return;
        state = 'aborted';
        if (!writable.destroyed) writable.destroy();
        await finished(writable).catch(() => {});
        await rm(staged, { force: true });
      },
    };
  }

  async discardStaged(key: string): Promise<void> {
    await rm(this.stagedPath(key), { force: true });
  }

  async remove(key: string): Promise<void> {
    const p = this.path(key);
    await rm(p, { force: true });
    await rm(this.stagedPath(key), { force: true });
    // Empty folders go with their last artifact, up to the root.
    for (let d = dirname(p); d !== this.dir && d.startsWith(this.dir + sep); d = dirname(d)) {
      try {
        if ((await readdir(d)).length > 0) break;
        await rmdir(d);
      } catch {
        break; // gone already, or filled meanwhile
      }
    }
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
    return (await this.walk()).filter((f) => STAGED.test(keyName(f))).map((f) => {
      const i = f.lastIndexOf('/');
      return `${f.slice(0, i + 1)}${STAGED.exec(keyName(f))![1]}`;
    }).sort();
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.walk()).filter((f) => f.startsWith(prefix) && !keyName(f).startsWith('.')).sort();
  }

  /** Every file under the folder, as `/`-joined relative names, at most MAX_DEPTH deep. */
  private async walk(): Promise<string[]> {
    const out: string[] = [];
    const visit = async (d: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const e of entries) {
        const p = join(d, e.name);
        if (e.isDirectory() && depth < MAX_DEPTH) await visit(p, depth + 1);
        else if (e.isFile()) out.push(relative(this.dir, p).split(sep).join('/'));
      }
    };
    await visit(this.dir, 1);
    return out;
  }

  /** Makes the folder exist (at start-up, so a misconfigured dir fails early). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }
}

/** A file written through its descriptor, hashed on the way; `_final` fsyncs it, so `done` means durable. */
class FileSink extends Writable {
  readonly hash: Hash = createHash('sha256');
  size = 0;
  done = false;
  private fd: number | undefined;

  constructor(fd: number) {
    super({ highWaterMark: 1 << 20 });
    this.fd = fd;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.writeAll(chunk, cb);
  }

  private writeAll(chunk: Buffer, cb: (e?: Error | null) => void): void {
    write(this.fd!, chunk, 0, chunk.length, null, (e, n) => {
      if (e) return cb(e);
      if (n < chunk.length) return this.writeAll(chunk.subarray(n), cb);
      cb();
    });
  }

  override _final(cb: (e?: Error | null) => void): void {
    fsync(this.fd!, (e) => {
      if (e) return cb(e);
      const fd = this.fd!;
      this.fd = undefined;
      close(fd, (e2) => {
        if (!e2) this.done = true;
        cb(e2);
      });
    });
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.fd === undefined) return cb(err);
    const fd = this.fd;
    this.fd = undefined;
    close(fd, () => cb(err));
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await openAsync(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
