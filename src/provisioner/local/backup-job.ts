/**
 * Backup jobs and restores as local processes (the LocalProvisioner's runBackup, abortBackup and
 * restorePhysical):
 *
 *   <tool> --defaults-file=<home>/backup-work/<id>/tool.cnf …  |  zstd -1 -T2 -q -c  →  sink (Node)
 *   source (Node)  →  zstd -d -c -q  |  mbstream -x -C <node>/disk/restore
 *
 * The tool's stdout goes to zstd directly (a logical dump passes through Node first, which keeps
 * its first bytes: the dump names its binlog position there). zstd's output is written into the
 * sink the caller gives (BackupStorage.openUpload), so no local path crosses the port. Every
 * process of a job carries the job's private folder in its argv (zstd through argv[0]), so a
 * control plane killed mid-job finds and ends them after a restart; they also die on their own
 * at their next write once the control plane's end of the pipe is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NodePaths } from '../../engine/engine.js';
import { BackupJobError, type BackupJob, type BackupJobResult } from '../provisioner.js';
import { backupToolCommand, parseBackupPosition } from './backup-tools.js';
import type { MariaDbBinaries } from './mariadb-binaries.js';
import { findProcesses, signal, waitExit } from './proc.js';

/** The tool's log is verbose (a line per file copied); its last part has the position and the verdict. */
const LOG_KEEP = 256 * 1024;
/** A logical dump names its binlog position in its first lines. */
const HEAD_BYTES = 64 * 1024;
const NO_SPACE = /No space left on device|Errcode: 28|errno[ :]+28\b|ENOSPC|Disk full/i;

export class LocalBackupJobs {
  constructor(
    /** `<home>/backup-work`: one private folder per job. */
    readonly workRoot: string,
    private readonly bin: MariaDbBinaries,
    private readonly nodePaths: (nodeId: string) => NodePaths,
  ) {}

  workDir(id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`invalid backup job id ${id}`);
    return join(this.workRoot, id);
  }

  async run(job: BackupJob, sink: Writable): Promise<BackupJobResult> {
    await this.abort(job.id); // a run of the same job left by a crashed control plane
    const workDir = this.workDir(job.id);
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    try {
      const cmd = backupToolCommand(
        { kind: job.kind, node: this.nodePaths(job.nodeId), target: job.target, workDir, databases: job.databases, replica: job.replica },
        { backup: this.bin.path('mariadb-backup'), dump: this.bin.path('mariadb-dump') },
      );
      writeFileSync(cmd.optionFile.path, cmd.optionFile.content, { mode: 0o600 });
      const { log, head } = await this.pipeline(cmd.command, cmd.args, job, workDir, sink);
      if (cmd.successMarker && !cmd.successMarker.test(log.trimEnd())) {
        throw new BackupJobError(`${toolName(cmd.command)} exited without reporting a complete backup: ${lastLines(log)}`);
      }
      return { position: parseBackupPosition(job.kind, log, head) };
    } finally {
      rmSync(workDir, { recursive: true, force: true }); // the option file holds a password
    }
  }

  /** Ends every process whose argv names the job's folder (or `dir`: inside it, or as `--target-dir`), then removes the folder. */
  async abort(id: string, dir = this.workDir(id)): Promise<void> {
    const found = new Set<number>();
    const exact = `--target-dir=${dir}`;
    const mine = [...findProcesses(`${dir}/`), ...findProcesses(exact).filter((p) => p.argv.includes(exact))];
    for (const p of mine) if (p.pid !== process.pid) found.add(p.pid);
    for (const pid of found) signal(pid, 'SIGKILL');
    for (const pid of found) await waitExit(pid, 10_000);
    rmSync(dir, { recursive: true, force: true });
  }

  /** Runs `command | zstd` into `sink`; resolves with the tool's log (and a dump's first bytes) when all three succeeded. */
  private async pipeline(command: string, args: string[], job: BackupJob, workDir: string, sink: Writable): Promise<{ log: string; head: string }> {
    const tool = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keepHead = job.kind === 'logical';
    let log = '';
    let zlog = '';
    let head: Buffer[] = [];
    let headLen = 0;
    let spawnError: Error | undefined;
    tool.on('error', (e) => { spawnError ??= e; });
    tool.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.length > 2 * LOG_KEEP) log = log.slice(-LOG_KEEP);
    });
    const toolDone = exitOf(tool);
    let zstd: ChildProcess;
    const zargs = ['-1', '-T2', '-q', '-c'];
    // argv[0] names the job's folder, so abort() finds this zstd too (zstd reads only its basename).
    const argv0 = join(workDir, 'zstd');
    if (keepHead) {
      zstd = spawn(this.bin.path('zstd'), zargs, { argv0, stdio: ['pipe', 'pipe', 'pipe'] });
      zstd.stdin!.on('error', () => {}); // zstd gone: its exit status says why
      tool.stdout!.on('data', (d: Buffer) => {
        if (headLen < HEAD_BYTES) { head.push(d); headLen += d.length; }
      });
      tool.stdout!.pipe(zstd.stdin!);
    } else {
      try {
        zstd = spawn(this.bin.path('zstd'), zargs, { argv0, stdio: [tool.stdout!, 'pipe', 'pipe'] });
      } finally {
        tool.stdout!.destroy(); // zstd has its own copy of the pipe; ours would keep it open
      }
    }
    zstd.on('error', (e) => { spawnError ??= e; });
    zstd.stderr!.on('data', (d: Buffer) => { zlog = (zlog + d.toString()).slice(-8192); });
    const zstdDone = exitOf(zstd);
    const killBoth = () => {
      if (tool.pid) signal(tool.pid, 'SIGKILL'); // never pid 0: that would be our own process group
      if (zstd.pid) signal(zstd.pid, 'SIGKILL');
    };
    // A sink that fails (the storage is full, say) ends the job at once: nothing more can be kept,
    // and the tool could block for good on a pipe nobody reads any more.
    const copied = pipeline(zstd.stdout!, sink).then(() => undefined, (e: Error) => { killBoth(); return e; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killBoth();
      sink.destroy(new Error('backup job timed out'));
    }, job.timeoutMs);
    const [t, z, copyError] = await Promise.all([toolDone, zstdDone, copied]).finally(() => clearTimeout(timer));
    log = log.slice(-LOG_KEEP);
    const name = toolName(command);
    if (spawnError) throw new BackupJobError(`could not start the backup: ${spawnError.message}`, { cause: spawnError });
    if (timedOut) throw new BackupJobError(`the backup took longer than ${Math.round(job.timeoutMs / 1000)} s and was stopped`);
    if (copyError) {
      const why = copyError.message;
      throw new BackupJobError(NO_SPACE.test(why) || (copyError as NodeJS.ErrnoException).code === 'ENOSPC'
        ? `the backup storage is full (no space left on device): ${why}` : `could not write the backup to its storage: ${why}`,
      { noSpace: NO_SPACE.test(why) || (copyError as NodeJS.ErrnoException).code === 'ENOSPC', cause: copyError });
    }
    if (z.code !== 0) {
      const why = zlog.trim() || `zstd exited with ${z.signal ?? z.code}`;
      throw new BackupJobError(NO_SPACE.test(why) ? `the backup's scratch space is full (no space left on device): ${why}` : `compression failed: ${why}`, { noSpace: NO_SPACE.test(why) });
    }
    if (t.code !== 0) {
      const tail = lastLines(log);
      throw new BackupJobError(`${name} failed (${t.signal ?? `exit ${t.code}`}): ${tail}`, { noSpace: NO_SPACE.test(tail) });
    }
    const text = Buffer.concat(head).subarray(0, HEAD_BYTES).toString('utf8');
    head = [];
    return { log, head: text };
  }

  /**
   * Unpacks a physical backup read from `source` (zstd-compressed xbstream) into the empty folder
   * `work`: `zstd -d | mbstream -x`. Orphans of an earlier run into `work` are ended and the folder
   * is wiped first. The caller prepares the copy (mariadb-backup --prepare) and moves it in place.
   */
  async unpackPhysical(source: Readable, work: string): Promise<void> {
    await this.abort('', work);
    mkdirSync(work, { recursive: true, mode: 0o700 });
    const zstd = spawn(this.bin.path('zstd'), ['-d', '-c', '-q'], { argv0: join(work, 'zstd'), stdio: ['pipe', 'pipe', 'pipe'] });
    let mb: ChildProcess;
    try {
      mb = spawn(this.bin.path('mbstream'), ['-x', '-C', `${work}/`], { stdio: [zstd.stdout!, 'ignore', 'pipe'] });
    } finally {
      zstd.stdout!.destroy();
    }
    let errs = '';
    let spawnError: Error | undefined;
    for (const p of [zstd, mb]) {
      p.on('error', (e) => { spawnError ??= e; });
      p.stderr!.on('data', (d: Buffer) => { errs = (errs + d.toString()).slice(-8192); });
    }
    zstd.stdin!.on('error', () => {});
    const fed = pipeline(source, zstd.stdin!).then(() => undefined, (e: Error) => e);
    const [z, m, feedError] = await Promise.all([exitOf(zstd), exitOf(mb), fed]);
    if (spawnError) throw new Error(`could not start the restore: ${spawnError.message}`, { cause: spawnError });
    if (feedError) throw new Error(`could not read the backup: ${feedError.message}`, { cause: feedError });
    if (z.code !== 0 || m.code !== 0) {
      throw new Error(`unpacking the backup failed (zstd ${z.signal ?? z.code}, mbstream ${m.signal ?? m.code}): ${errs.trim().slice(-800) || '(no output)'}`);
    }
  }
}

function exitOf(p: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    p.once('close', (code, sig) => resolve({ code, signal: sig }));
    p.once('error', () => resolve({ code: -1, signal: null }));
  });
}

function toolName(command: string): string {
  return command.split('/').pop() ?? command;
}

/** The lines of a tool's log that say what went wrong: errors if any, else the last few. */
function lastLines(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /error|fail|denied|unknown|cannot|can't/i.test(l));
  return (errors.length ? errors.slice(-3) : lines.slice(-3)).join(' | ').slice(0, 800) || '(no output)';
}
