/**
 * The spool of the local BinlogStreams adapters (binlog-stream.ts): `<root>/<id>/r<run>-<binlog file>`,
 * one folder per stream, on the archive's storage. Whoever writes the files (a replication client,
 * or the file copier), this lists them with their durable sizes: `sync` fsyncs every file that grew
 * (and the folder when files appeared). A spool folder is watched (inotify, through fs.watch):
 * `sync` of a spool nothing touched since the last one answers from memory, without a system call,
 * so idle streams cost nothing per round.
 */
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readdirSync, rmSync, statfsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { SpoolFile } from '../binlog-stream.js';

const FILE = /^r(\d+)-(.+)$/;

interface SpoolWatch { watcher: FSWatcher; dirty: boolean; listedAt: number; files?: SpoolFile[] }
/** A watched spool is listed afresh at least this often anyway (an event lost to a full inotify queue). */
const RESCAN_MS = 5000;

/** Below this much free space a stream's failed write is reported as the storage being full. */
const SPOOL_FULL_BYTES = 1 << 20;

export const spoolFileName = (f: Pick<SpoolFile, 'run' | 'name'>) => `r${f.run}-${f.name}`;

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class BinlogSpool {
  /** Durable size per spool file path, as of the last sync. */
  private readonly syncedSize = new Map<string, number>();
  /** Spool folders being watched: `dirty` once anything in it changed since its last listing. */
  private readonly watched = new Map<string, SpoolWatch>();

  /** `root`: on the archive's storage (by default beside the backups), so "durable" means there. */
  constructor(readonly root: string) {}

  dir(id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`invalid stream id ${id}`);
    return join(this.root, id);
  }

  /**
   * `log` (why a stream ended), with a note when the spool's storage is full: a writer says only
   * that it could not write, and one that could not even write its first file says nothing.
   */
  withFullNote(log: string): string {
    if (log !== '' && !/could not write/i.test(log)) return log;
    try {
      const fs = statfsSync(this.root);
      const free = Number(fs.bavail) * Number(fs.bsize);
      if (free < SPOOL_FULL_BYTES) return `${log ? `${log} | ` : ''}no space left on the archive's storage (${free} bytes free)`;
    } catch { /* the folder is gone */ }
    return log;
  }

  path(id: string, f: Pick<SpoolFile, 'run' | 'name'>): string {
    return join(this.dir(id), spoolFileName(f));
  }

  private watchOf(id: string, dir: string): SpoolWatch | undefined {
    let w = this.watched.get(id);
    if (!w) {
      try {
        const watcher = watch(dir, { persistent: false });
        const entry: SpoolWatch = { watcher, dirty: true, listedAt: 0 };
        watcher.on('change', () => { entry.dirty = true; });
        watcher.on('error', () => this.unwatch(id)); // the folder went: list it afresh next time
        this.watched.set(id, entry);
        w = entry;
      } catch {
        return undefined; // no watch (limit reached): every sync lists the folder
      }
    }
    return w;
  }

  unwatch(id: string): void {
    this.watched.get(id)?.watcher.close();
    this.watched.delete(id);
  }

  /** Records that `path` was fsynced at `size` by its writer (sync need not fsync it again). */
  synced(path: string, size: number): void {
    this.syncedSize.set(path, size);
  }

  /** Marks a spool as changed now (a write of this process), not only when the event arrives. */
  touched(id: string): void {
    const w = this.watched.get(id);
    if (w) w.dirty = true;
  }

  /** Makes the spool of `id` durable and lists its files (by run, then name), with their durable sizes. */
  sync(id: string): SpoolFile[] {
    const dir = this.dir(id);
    if (!existsSync(dir)) {
      this.unwatch(id);
      return [];
    }
    // Watch before listing: a write during the listing marks the folder for the next sync.
    const w = this.watchOf(id, dir);
    if (w && !w.dirty && w.files && Date.now() - w.listedAt < RESCAN_MS) return w.files.map((f) => ({ ...f }));
    if (w) w.dirty = false;
    const listed = this.list(dir);
    if (w) {
      w.files = listed;
      w.listedAt = Date.now();
    }
    return listed.map((f) => ({ ...f }));
  }

  private list(dir: string): SpoolFile[] {
    const out: SpoolFile[] = [];
    let appeared = false;
    for (const f of readdirSync(dir)) {
      const m = FILE.exec(f);
      if (!m) continue;
      const path = join(dir, f);
      const size = statSync(path).size;
      const before = this.syncedSize.get(path);
      if (before !== size) {
        fsyncPath(path);
        if (before === undefined) appeared = true;
        this.syncedSize.set(path, size);
      }
      out.push({ run: Number(m[1]), name: m[2]!, bytes: size });
    }
    if (appeared) fsyncPath(dir);
    return out.sort((a, b) => a.run - b.run || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  read(id: string, f: Pick<SpoolFile, 'run' | 'name'>, range: { start: number; end: number }): Readable {
    if (range.end <= range.start) return createReadStream('/dev/null');
    return createReadStream(this.path(id, f), { start: range.start, end: range.end - 1 });
  }

  remove(id: string, f: Pick<SpoolFile, 'run' | 'name'>): void {
    const path = this.path(id, f);
    rmSync(path, { force: true });
    this.syncedSize.delete(path);
    this.touched(id);
  }

  /** Removes the whole spool of `id`. Idempotent. */
  destroy(id: string): void {
    this.unwatch(id);
    rmSync(this.dir(id), { recursive: true, force: true });
    for (const k of [...this.syncedSize.keys()]) if (k.startsWith(this.dir(id) + '/')) this.syncedSize.delete(k);
  }
}
