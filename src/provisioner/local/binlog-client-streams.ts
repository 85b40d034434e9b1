/**
 * Local adapter of the BinlogStreams port, as a replication client (`archive.stream: "replication"`):
 *
 *   mariadb-binlog --defaults-file=<spool>/<id>/.r<run>.cnf --read-from-remote-server --raw --stop-never
 *       --stop-never-slave-server-id=<id> --result-file=<spool>/<id>/r<run>- <startFile>
 *
 * detached, its stderr in `<spool>/<id>/.r<run>.log`. Files land as `r<run>-<binlog file>`: a resumed
 * run never overwrites an earlier one. The process is found again by its command line (the
 * stream's folder), so a restarted `serve` adopts it. The spool (listing, durability) is binlog-spool.ts.
 * It costs the source a binlog dump thread and the host a client process per stream; the file
 * copier (binlog-file-streams.ts) needs neither (bench/RESULTS.md "Archiver overhead").
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BinlogSpool } from './binlog-spool.js';
import { findBinary } from './mariadb-binaries.js';
import type { BinlogStreams, BinlogStreamSpec, SpoolFile, StreamState } from '../binlog-stream.js';
import { findProcesses, incarnationOf, KeptStat, processArgv, signal, waitExit } from './proc.js';

/** How old the shared scan of /proc that inspect() reads may be (start() and stop() always scan afresh). */
const SCAN_MAX_AGE_MS = 1000;
/** How old inspect()'s "the known process runs" may be (port contract: binlog-stream.ts). */
const ALIVE_MAX_AGE_MS = 1000;

export class ClientBinlogStreams implements BinlogStreams {
  private readonly spool: BinlogSpool;
  private readonly root: string;

  constructor(
    /** Where spools live: on the archive's storage (by default beside the backups), so "durable" means there. */
    root: string,
    private readonly binDir = '',
  ) {
    this.spool = new BinlogSpool(root);
    this.root = root;
  }

  private dir(id: string): string {
    return this.spool.dir(id);
  }

  /**
   * The stream process each id was last seen with (pid, start ticks, run): while it lives, one
   * read of /proc/PID/stat answers inspect(). The archiver inspects every stream every 200 ms;
   * a scan of all of /proc per stream made serve spend ~90 % of a core at 150 instances (bench/RESULTS.md 3b).
   */
  private readonly known = new Map<string, { pid: number; startTicks: number; run: number; seenAt: number }>();
  private readonly stat = new KeptStat();
  /** One scan of /proc for all streams of this root, shared by the inspect() calls of a round. */
  private scan?: { at: number; procs: Array<{ pid: number; argv: string[] }> };

  private allProcesses(fresh: boolean): Array<{ pid: number; argv: string[] }> {
    if (fresh || !this.scan || Date.now() - this.scan.at > SCAN_MAX_AGE_MS) {
      this.scan = { at: Date.now(), procs: findProcesses(`--result-file=${this.root}/`) };
    }
    return this.scan.procs;
  }

  private processes(id: string, fresh = true): Array<{ pid: number; run: number }> {
    const dir = this.dir(id);
    return this.allProcesses(fresh).filter((p) => p.argv.some((a) => a.startsWith(`--result-file=${dir}/r`))).flatMap((p) => {
      const arg = p.argv.find((a) => a.startsWith(`--result-file=${dir}/r`));
      const m = arg && /\/r(\d+)-$/.exec(arg);
      return m && p.pid !== process.pid ? [{ pid: p.pid, run: Number(m[1]) }] : [];
    });
  }

  async start(spec: BinlogStreamSpec): Promise<void> {
    const running = this.processes(spec.id);
    if (running.some((p) => p.run === spec.run)) return;
    await this.stop(spec.id);
    const dir = this.dir(spec.id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const opt = join(dir, `.r${spec.run}.cnf`);
    const s = spec.source;
    writeFileSync(opt, `[client]\nhost=${s.host}\nport=${s.port}\nuser=${s.user}\npassword="${s.password.replace(/["\\]/g, '\\$&')}"\n`, { mode: 0o600 });
    const log = openSync(join(dir, `.r${spec.run}.log`), 'a');
    try {
      const child = spawn(findBinary('mariadb-binlog', this.binDir), [
        `--defaults-file=${opt}`, '--read-from-remote-server', '--raw', '--stop-never',
        `--stop-never-slave-server-id=${spec.serverId}`, `--result-file=${dir}/r${spec.run}-`, spec.startFile,
      ], { detached: true, stdio: ['ignore', 'ignore', log], env: { ...process.env, TZ: 'UTC' } });
      child.on('error', () => {}); // seen by inspect(): not running, the log says why
      child.unref();
    } finally {
      closeSync(log);
      this.scan = undefined; // the next inspect() sees the new process
    }
  }

  async stop(id: string): Promise<void> {
    const k = this.known.get(id);
    if (k) this.stat.forget(k.pid, k.startTicks);
    this.known.delete(id);
    this.scan = undefined;
    for (const p of this.processes(id)) {
      signal(p.pid, 'SIGTERM');
      if (!(await waitExit(p.pid, 5000))) {
        signal(p.pid, 'SIGKILL');
        await waitExit(p.pid, 5000);
      }
    }
  }

  /**
   * A scan may be up to SCAN_MAX_AGE_MS old: a stream another serve just started shows within that; start() checks afresh.
   * A known process seen alive less than ALIVE_MAX_AGE_MS ago is not read again: the archiver
   * inspects every stream every round, and an ended stream is seen (and resumed) a second later.
   */
  private liveProcess(id: string): Array<{ pid: number; run: number }> {
    const k = this.known.get(id);
    if (k && Date.now() - k.seenAt < ALIVE_MAX_AGE_MS) return [{ pid: k.pid, run: k.run }];
    if (k && this.stat.alive(k.pid, k.startTicks)) {
      k.seenAt = Date.now();
      return [{ pid: k.pid, run: k.run }];
    }
    this.known.delete(id);
    // The shared scan may be up to a second old: each process found is checked again (argv read afresh).
    const dir = this.dir(id);
    const procs = this.processes(id, false).filter((p) => processArgv(p.pid)?.some((a) => a.startsWith(`--result-file=${dir}/r`)));
    const first = procs[0];
    const ticks = first ? Number(incarnationOf(first.pid)?.split('.')[1]) : NaN;
    if (first && procs.length === 1 && Number.isInteger(ticks)) this.known.set(id, { pid: first.pid, startTicks: ticks, run: first.run, seenAt: Date.now() });
    return procs;
  }

  async inspect(id: string): Promise<StreamState> {
    const procs = this.liveProcess(id);
    const dir = this.dir(id);
    let run: number | undefined = procs[0]?.run;
    if (run === undefined && existsSync(dir)) {
      const runs = readdirSync(dir).map((f) => /^\.r(\d+)\.log$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number);
      run = runs.length ? Math.max(...runs) : undefined;
    }
    let log = '';
    if (run !== undefined && !procs.length) { // read only when it matters: the archiver inspects every stream every round
      try {
        log = readFileSync(join(dir, `.r${run}.log`), 'utf8').trim().split('\n').slice(-3).join(' | ');
      } catch { /* none yet */ }
    }
    // The client says only "Could not write into log file": say when the spool's storage is full.
    if (!procs.length) log = this.spool.withFullNote(log);
    return { running: procs.length > 0, run, log };
  }

  async sync(id: string): Promise<SpoolFile[]> {
    return this.spool.sync(id);
  }

  read(id: string, f: Pick<SpoolFile, 'run' | 'name'>, range: { start: number; end: number }): Readable {
    return this.spool.read(id, f, range);
  }

  async remove(id: string, f: Pick<SpoolFile, 'run' | 'name'>): Promise<void> {
    this.spool.remove(id, f);
  }

  async destroy(id: string): Promise<void> {
    this.spool.unwatch(id);
    await this.stop(id);
    this.spool.destroy(id);
  }
}
