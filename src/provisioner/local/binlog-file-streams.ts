/**
 * Local adapter of the BinlogStreams port that copies the source node's binlog files
 * (`archive.stream: "files"`, the default): the node's datadir is on this host, so serve reads
 * `<datadir>/mysql-bin.NNNNNN` as the server appends to it and writes the bytes into the spool
 * (binlog-spool.ts). No client process and no binlog dump thread on the source: the replication
 * client (binlog-client-streams.ts) cost about 10 % of a core under write load (bench/RESULTS.md
 * "Archiver overhead"). The server writes each commit's events with sync_binlog=1 before the
 * commit returns, as the dump thread would send them; the copy is made and fsynced on a timer of its
 * own (`copyEveryMs`, archive.intervalMs), and `sync` reports what is durable (the port's contract).
 *
 * The copy is driven by change: each tail watches its source folder (inotify, through fs.watch), and
 * the timer copies only a tail whose binlog files or index were touched since its last look, or
 * that has not been looked at in the current `lookEveryMs` slot of the clock (an event lost, or
 * RightBorderTime of an idle source moving: each look that finds everything copied records
 * `coveredAt`). An idle datadir sends no events (measured: none in 30 s from two idle servers), so
 * 150 idle instances cost a look each every few seconds instead of two `stat`s each every 200 ms
 * (bench/RESULTS.md 3h). The slots are the clock's, not each tail's, so the idle tails all look in
 * the same tick and the supervisor records their coveredAt in one write (archiver.ts).
 *
 * A run (`.r<run>.src`: the source node, the first file and the identity of every file copied) goes
 * on across restarts of serve: a restarted serve adopts it and copies on from the spool's sizes. It
 * ends, with the reason in `.r<run>.log` (`.r<run>.end` marks it), when the copy can no longer be a
 * faithful prefix of the source's history: a file not yet copied whole vanished (purged, or the
 * node was deleted), a file shrank (crash recovery truncated it) or was replaced by another of the
 * same name (a restore or rebuild of the node), or the spool cannot be written (storage full).
 * The archiver then starts a new run from what it archived (docs/recovery.md "Archive").
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BinlogStreams, BinlogStreamSpec, SpoolFile, StreamState } from '../binlog-stream.js';
import { BinlogSpool, fsyncPath } from './binlog-spool.js';
import { findProcesses, signal, waitExit } from './proc.js';

/** Where a node's binlog files are, and the name of their index file. */
export interface BinlogLocation { dir(nodeId: string): string; indexName: string }

/** Bytes copied per read. */
const CHUNK = 4 << 20;

function spoolSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

interface FileId { ino: number; dev: number }
interface RunFileState { run: number; node: string; startFile: string; files: Record<string, FileId> }

interface Tail extends RunFileState {
  /** The source file being copied now. */
  current: string;
  /** Bytes of each source file copied into the spool (written, fsynced by the next spool sync). */
  copied: Map<string, number>;
  indexSize: number;
  indexMtimeMs: number;
  /** sync() copied it once (later copies are the timer's). */
  copiedOnce?: boolean;
  ended?: string;
  /** The source folder's watch (none yet, or it failed: the tail is looked at every tick). */
  watcher?: FSWatcher;
  /** A binlog file or the index was touched since the last look. */
  dirty: boolean;
  /** When the copy last looked at the source (epoch ms). */
  lookedAt: number;
  /** The start of the latest look that found the source's files copied whole and durable (epoch ms). */
  coveredAt?: number;
  /** The last copyFile reached the size the file had when it was looked at. */
  whole?: boolean;
}

export class FileBinlogStreams implements BinlogStreams {
  private readonly spool: BinlogSpool;
  private readonly tails = new Map<string, Tail>();

  /**
   * `copyEveryMs`: how often every running stream is copied and fsynced, on a timer of its own, as a
   * client process would write on its own: the archiver's round for an instance can take seconds (a
   * segment being compressed and stored), and the copy must not wait for it (measured: p99 2.2 s of
   * archive lag when the copy ran only in the round, bench/RESULTS.md "Archive lag").
   */
  constructor(root: string, private readonly source: BinlogLocation, copyEveryMs = 200, private readonly lookEveryMs = 5000) {
    this.spool = new BinlogSpool(root);
    this.binlogPrefix = source.indexName.replace(/index$/, '');
    this.timer = setInterval(() => this.copyAll(), copyEveryMs);
    this.timer.unref();
  }

  private readonly timer: NodeJS.Timeout;
  private readonly binlogPrefix: string;
  /** Per id: bumped whenever what sync or inspect report may have changed (the port's `version`; not coveredAt). */
  private readonly versions = new Map<string, number>();

  private bump(id: string): void {
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
  }

  version(id: string): number {
    return this.versions.get(id) ?? 0;
  }

  coveredAt(id: string): number | undefined {
    const t = this.tails.get(id);
    return t && !t.ended ? t.coveredAt : undefined;
  }

  private copyAll(): void {
    const now = Date.now();
    for (const [id, t] of this.tails) {
      if (t.ended) continue;
      if (!t.watcher) this.watchSource(t);
      if (!t.dirty && t.watcher && Math.floor(now / this.lookEveryMs) === Math.floor(t.lookedAt / this.lookEveryMs)) continue;
      // Cleared before the look: an event during it makes the next tick look again.
      t.dirty = false;
      t.lookedAt = now;
      try {
        this.copy(id, t);
      } catch { /* the next sync reports it */ }
    }
  }

  /** Watches the tail's source folder; without a watch (the folder is not there) the tail is looked at every tick. */
  private watchSource(t: Tail): void {
    const dir = this.source.dir(t.node);
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === basename(dir)) {
          // The folder itself moved, went or was unmounted: this watch sees no more; a new one next tick.
          this.unwatch(t);
        } else if (!name.startsWith(this.binlogPrefix)) {
          return; // InnoDB's and Aria's files
        }
        t.dirty = true;
      });
      w.on('error', () => { this.unwatch(t); t.dirty = true; });
      t.watcher = w;
      t.dirty = true; // what happened before the watch began
    } catch {
      t.watcher = undefined;
    }
  }

  private unwatch(t: Tail): void {
    t.watcher?.close();
    t.watcher = undefined;
  }

  /** Ends the copy timer (the streams' runs stay, for the next serve to adopt). */
  close(): void {
    clearInterval(this.timer);
    for (const t of this.tails.values()) this.unwatch(t);
  }

  private meta(id: string, run: number, ext: 'src' | 'log' | 'end'): string {
    return join(this.spool.dir(id), `.r${run}.${ext}`);
  }

  async start(spec: BinlogStreamSpec): Promise<void> {
    const known = this.tailOf(spec.id);
    if (known && !known.ended && known.run === spec.run) return;
    await this.stop(spec.id);
    const dir = this.spool.dir(spec.id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A replication client of this spool (a home that ran with archive.stream "replication") ends first.
    for (const p of findProcesses(`--result-file=${dir}/r`)) {
      signal(p.pid, 'SIGKILL');
      await waitExit(p.pid, 5000);
    }
    const state: RunFileState = { run: spec.run, node: spec.sourceNode, startFile: spec.startFile, files: {} };
    const t = this.tailFrom(spec.id, state);
    this.tails.set(spec.id, t);
    this.bump(spec.id);
    try {
      writeFileSync(this.meta(spec.id, spec.run, 'log'), '');
      writeFileSync(this.meta(spec.id, spec.run, 'src'), JSON.stringify(state));
    } catch (e) {
      this.end(spec.id, t, `could not write the stream's state: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); // inspect() says so
    }
  }

  private tailFrom(id: string, s: RunFileState): Tail {
    const copied = new Map<string, number>();
    // The newest file the run began (its state names every one), else the newest in its spool.
    let current = s.startFile;
    for (const name of Object.keys(s.files)) if (name > current) current = name;
    for (const f of this.spool.sync(id)) {
      if (f.run !== s.run) continue;
      copied.set(f.name, f.bytes);
      if (f.name > current) current = f.name;
    }
    return { ...s, current, copied, indexSize: -1, indexMtimeMs: -1, dirty: true, lookedAt: 0 };
  }

  /** The run of `id` this serve copies, adopting one a previous serve left running. */
  private tailOf(id: string): Tail | undefined {
    const known = this.tails.get(id);
    if (known) return known;
    const run = this.lastRun(id);
    if (run === undefined || existsSync(this.meta(id, run, 'end'))) return undefined;
    try {
      const t = this.tailFrom(id, JSON.parse(readFileSync(this.meta(id, run, 'src'), 'utf8')) as RunFileState);
      this.tails.set(id, t);
      return t;
    } catch {
      return undefined;
    }
  }

  private lastRun(id: string): number | undefined {
    const dir = this.spool.dir(id);
    if (!existsSync(dir)) return undefined;
    const runs = readdirSync(dir).map((f) => /^\.r(\d+)\.(src|log)$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number);
    return runs.length ? Math.max(...runs) : undefined;
  }

  private end(id: string, t: Tail, why: string): void {
    if (t.ended) return;
    t.ended = why;
    t.coveredAt = undefined;
    this.unwatch(t);
    this.bump(id);
    try {
      appendFileSync(this.meta(id, t.run, 'log'), `${new Date().toISOString()} ${why}\n`);
      writeFileSync(this.meta(id, t.run, 'end'), why);
    } catch { /* a full storage: the reason stays in memory */ }
  }

  async stop(id: string): Promise<void> {
    const t = this.tailOf(id);
    if (t) {
      this.end(id, t, 'stopped');
      this.unwatch(t);
    }
    this.tails.delete(id);
  }

  async inspect(id: string): Promise<StreamState> {
    const t = this.tailOf(id);
    if (t && !t.ended) return { running: true, run: t.run, log: '' };
    const run = t?.run ?? this.lastRun(id);
    let log = t?.ended ?? '';
    if (!t && run !== undefined) {
      try {
        log = readFileSync(this.meta(id, run, 'log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      } catch { /* none */ }
    }
    if (run !== undefined) log = this.spool.withFullNote(log);
    return { running: false, run, log };
  }

  /** The source's binlog files from `t.startFile` on, in order, or why they cannot be read. */
  private listSource(t: Tail): string[] | string {
    const index = join(this.source.dir(t.node), this.source.indexName);
    let names: string[];
    try {
      names = readFileSync(index, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => basename(l));
    } catch (e) {
      return `the source's binlog index ${index} cannot be read (${(e as NodeJS.ErrnoException).code}): the node was moved or deleted`;
    }
    const from = names.indexOf(t.startFile);
    if (from < 0) return `the source no longer has the binlog file ${t.startFile}`;
    return names.slice(from);
  }

  /**
   * Copies what the source wrote since the last look; ends the run when that is no longer possible.
   * A look that finds the newest file copied whole (and the index naming no newer one) records its
   * start as `coveredAt`: every transaction committed before it is in the spool, durably (the server
   * writes a commit's events into the file before the commit returns).
   */
  private copy(id: string, t: Tail): void {
    const dir = this.source.dir(t.node);
    const startedAt = Date.now();
    for (;;) {
      if (this.copyFile(id, t, dir, t.current) === undefined) return;
      const index = join(dir, this.source.indexName);
      let st;
      try {
        st = statSync(index);
      } catch {
        return this.end(id, t, `the source's binlog index ${index} is gone: the node was moved or deleted`);
      }
      if (st.size === t.indexSize && st.mtimeMs === t.indexMtimeMs) return this.covered(t, startedAt);
      const names = this.listSource(t);
      if (typeof names === 'string') return this.end(id, t, names);
      const at = names.indexOf(t.current);
      if (at < 0) return this.end(id, t, `the source's binlog file ${t.current} left its index before it was copied whole`);
      if (at === names.length - 1) {
        t.indexSize = st.size;
        t.indexMtimeMs = st.mtimeMs;
        return this.covered(t, startedAt);
      }
      // A newer file exists: the server writes no more to this one. Copy its last bytes, then go on.
      if (this.copyFile(id, t, dir, t.current) === undefined) return;
      t.current = names[at + 1]!;
    }
  }

  private covered(t: Tail, at: number): void {
    if (t.ended || !t.whole) return;
    t.coveredAt = at;
  }

  /** Appends to the spool what `name` has beyond what was copied; its size, or undefined once the run ended. */
  private copyFile(id: string, t: Tail, dir: string, name: string): number | undefined {
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      this.end(id, t, `the source's binlog file ${name} is gone (${(e as NodeJS.ErrnoException).code}) before it was copied whole`);
      return undefined;
    }
    const known = t.files[name];
    if (known && (known.ino !== st.ino || known.dev !== st.dev)) {
      this.end(id, t, `the source's binlog file ${name} was replaced by another (a restore or rebuild of the node)`);
      return undefined;
    }
    if (!known) {
      t.files[name] = { ino: st.ino, dev: st.dev };
      try {
        writeFileSync(this.meta(id, t.run, 'src'), JSON.stringify({ run: t.run, node: t.node, startFile: t.startFile, files: t.files }));
      } catch (e) {
        this.end(id, t, `could not write the stream's state: ${(e as Error).message}`);
        return undefined;
      }
    }
    let done = t.copied.get(name) ?? 0;
    if (st.size > done) {
      // The spool is the truth, memory only spares the look: another serve (a loop's lease moved
      // and back) may have copied or ended this run meanwhile.
      if (existsSync(this.meta(id, t.run, 'end'))) {
        t.ended = readFileSync(this.meta(id, t.run, 'end'), 'utf8') || 'ended by another serve';
        return undefined;
      }
      done = spoolSize(this.spool.path(id, { run: t.run, name }));
    }
    if (st.size < done) {
      this.end(id, t, `the source's binlog file ${name} shrank from ${done} to ${st.size} bytes (crash recovery truncated it)`);
      return undefined;
    }
    t.whole = st.size === done;
    if (t.whole) return st.size;
    let src: number | undefined;
    let dst: number | undefined;
    let at = done;
    let fresh = false;
    try {
      src = openSync(path, 'r');
      const target = this.spool.path(id, { run: t.run, name });
      fresh = !existsSync(target);
      dst = openSync(target, 'a');
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, st.size - done));
      while (at < st.size) {
        const n = readSync(src, buf, 0, Math.min(buf.length, st.size - at), at);
        if (n === 0) break;
        let w = 0;
        while (w < n) w += writeSync(dst, buf, w, n - w);
        at += n;
      }
      if (at !== done) {
        fsyncSync(dst);
        if (fresh) fsyncPath(this.spool.dir(id)); // the new file's name is durable too
        this.spool.synced(this.spool.path(id, { run: t.run, name }), at);
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.end(id, t, err.syscall === 'write' || err.code === 'ENOSPC' ? `could not write the spool file of ${name}: ${err.code}` : `could not read the source's binlog file ${name}: ${err.code}`);
      return undefined;
    } finally {
      if (src !== undefined) closeSync(src);
      if (dst !== undefined) closeSync(dst);
      if (at !== done) {
        t.copied.set(name, at);
        this.spool.touched(id);
        this.bump(id);
      }
    }
    t.whole = at === st.size;
    return at;
  }

  /** What the copy timer made durable (it copies and fsyncs; a second copy here would fsync twice per interval). */
  async sync(id: string): Promise<SpoolFile[]> {
    const t = this.tails.get(id) ?? this.tailOf(id);
    if (t && !t.ended && !t.copiedOnce) this.copy(id, t); // a run just started or adopted: at once
    if (t) t.copiedOnce = true;
    return this.spool.sync(id);
  }

  read(id: string, f: Pick<SpoolFile, 'run' | 'name'>, range: { start: number; end: number }): Readable {
    return this.spool.read(id, f, range);
  }

  async remove(id: string, f: Pick<SpoolFile, 'run' | 'name'>): Promise<void> {
    this.spool.remove(id, f);
  }

  async destroy(id: string): Promise<void> {
    await this.stop(id);
    this.spool.destroy(id);
  }
}
