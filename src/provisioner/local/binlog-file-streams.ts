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
 * A run (`.r<run>.src`: the source node, the first file and the identity of every file copied) goes
 * on across restarts of serve: a restarted serve adopts it and copies on from the spool's sizes. It
 * ends, with the reason in `.r<run>.log` (`.r<run>.end` marks it), when the copy can no longer be a
 * faithful prefix of the source's history: a file not yet copied whole vanished (purged, or the
 * node was deleted), a file shrank (crash recovery truncated it) or was replaced by another of the
 * same name (a restore or rebuild of the node), or the spool cannot be written (storage full).
 * The archiver then starts a new run from what it archived (docs/recovery.md "Archive").
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BinlogStreams, BinlogStreamSpec, SpoolFile, StreamState } from '../binlog-stream.js';
import { BinlogSpool, fsyncPath } from './binlog-spool.js';
import { findProcesses, signal, waitExit } from './proc.js';

/** Where a node's binlog files are, and the name of their index file. */
export interface BinlogLocation { dir(nodeId: string): string; indexName: string }

/** The index is read again at least this often even when the current file did not grow (a crash of the server starts a new file). */
const INDEX_RECHECK_MS = 1000;
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
  indexCheckedAt: number;
  indexSize: number;
  indexMtimeMs: number;
  /** The size of `current` at the last look: a growth makes the index be read again. */
  lastSize: number;
  /** sync() copied it once (later copies are the timer's). */
  copiedOnce?: boolean;
  ended?: string;
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
  constructor(root: string, private readonly source: BinlogLocation, copyEveryMs = 200) {
    this.spool = new BinlogSpool(root);
    this.timer = setInterval(() => this.copyAll(), copyEveryMs);
    this.timer.unref();
  }

  private readonly timer: NodeJS.Timeout;

  private copyAll(): void {
    for (const [id, t] of this.tails) {
      try {
        if (!t.ended) this.copy(id, t);
      } catch { /* the next sync reports it */ }
    }
  }

  /** Ends the copy timer (the streams' runs stay, for the next serve to adopt). */
  close(): void {
    clearInterval(this.timer);
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
    return { ...s, current, copied, indexCheckedAt: 0, indexSize: -1, indexMtimeMs: -1, lastSize: -1 };
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
    try {
      appendFileSync(this.meta(id, t.run, 'log'), `${new Date().toISOString()} ${why}\n`);
      writeFileSync(this.meta(id, t.run, 'end'), why);
    } catch { /* a full storage: the reason stays in memory */ }
  }

  async stop(id: string): Promise<void> {
    const t = this.tailOf(id);
    if (t) this.end(id, t, 'stopped');
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

  /** Copies what the source wrote since the last round; ends the run when that is no longer possible. */
  private copy(id: string, t: Tail): void {
    const dir = this.source.dir(t.node);
    const now = Date.now();
    for (;;) {
      const size = this.copyFile(id, t, dir, t.current);
      if (size === undefined) return;
      const grew = size !== t.lastSize;
      t.lastSize = size;
      if (!grew && now - t.indexCheckedAt < INDEX_RECHECK_MS) return;
      const index = join(dir, this.source.indexName);
      let st;
      try {
        st = statSync(index);
      } catch {
        return this.end(id, t, `the source's binlog index ${index} is gone: the node was moved or deleted`);
      }
      t.indexCheckedAt = now;
      if (st.size === t.indexSize && st.mtimeMs === t.indexMtimeMs) return;
      const names = this.listSource(t);
      if (typeof names === 'string') return this.end(id, t, names);
      const at = names.indexOf(t.current);
      if (at < 0) return this.end(id, t, `the source's binlog file ${t.current} left its index before it was copied whole`);
      if (at === names.length - 1) {
        t.indexSize = st.size;
        t.indexMtimeMs = st.mtimeMs;
        return;
      }
      // A newer file exists: the server writes no more to this one. Copy its last bytes, then go on.
      if (this.copyFile(id, t, dir, t.current) === undefined) return;
      t.current = names[at + 1]!;
      t.lastSize = -1;
    }
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
    if (st.size === done) return st.size;
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
      }
    }
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
