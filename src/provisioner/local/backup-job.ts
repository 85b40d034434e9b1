/**
 * Backup jobs as local processes (the LocalProvisioner's runBackup/abortBackup):
 *
 *   <tool> --defaults-file=<home>/backup-work/<id>/tool.cnf …  |  zstd -1 -T2 -q -f -o <staging file>
 *
 * The tool's stdout is handed to zstd as its stdin (the data never passes through Node), and
 * both are found again by their command lines — the job's private folder for the tool, the
 * staging path for zstd — so that a control plane killed mid-job can end them after a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, NodePaths } from '../../engine/engine.js';
import { findBinary } from '../../engine/mariadb/mariadb-engine.js';
import { BackupJobError, type BackupJob, type BackupJobResult } from '../provisioner.js';
import { findProcesses, signal, waitExit } from './proc.js';

/** The tool's log is verbose (a line per file copied); its last part has the position and the verdict. */
const LOG_KEEP = 256 * 1024;
const NO_SPACE = /No space left on device|Errcode: 28|errno[ :]+28\b|ENOSPC|Disk full/i;

export class LocalBackupJobs {
  constructor(
    /** `<home>/backup-work`: one private folder per job. */
    readonly workRoot: string,
    private readonly engine: Engine,
    private readonly nodePaths: (nodeId: string) => NodePaths,
    private readonly binDir = '',
  ) {}

  workDir(id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`invalid backup job id ${id}`);
    return join(this.workRoot, id);
  }

  async run(job: BackupJob): Promise<BackupJobResult> {
    await this.abort(job); // a run of the same job left by a crashed control plane
    const workDir = this.workDir(job.id);
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    try {
      const cmd = this.engine.backupCommand({
        kind: job.kind, node: this.nodePaths(job.nodeId), target: job.target, workDir, databases: job.databases, replica: job.replica,
      });
      writeFileSync(cmd.optionFile.path, cmd.optionFile.content, { mode: 0o600 });
      const log = await this.pipeline(cmd.command, cmd.args, job);
      if (cmd.successMarker && !cmd.successMarker.test(log.trimEnd())) {
        throw new BackupJobError(`${toolName(cmd.command)} exited without reporting a complete backup: ${lastLines(log)}`);
      }
      const head = job.headBytes > 0 ? await this.readHead(job.dest, job.headBytes) : '';
      return { log, head };
    } finally {
      rmSync(workDir, { recursive: true, force: true }); // the option file holds a password
    }
  }

  async abort(job: Pick<BackupJob, 'id' | 'dest'>): Promise<void> {
    const workDir = this.workDir(job.id);
    const found = new Map<number, string[]>();
    for (const p of [...findProcesses(`${workDir}/`), ...findProcesses(job.dest)]) {
      if (p.pid !== process.pid) found.set(p.pid, p.argv);
    }
    for (const pid of found.keys()) signal(pid, 'SIGKILL');
    for (const pid of found.keys()) await waitExit(pid, 10_000);
    rmSync(workDir, { recursive: true, force: true });
  }

  /** Runs `command | zstd` into job.dest; resolves with the tool's log when both succeeded. */
  private async pipeline(command: string, args: string[], job: BackupJob): Promise<string> {
    const tool = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let zstd: ChildProcess | undefined;
    let log = '';
    let zlog = '';
    let spawnError: Error | undefined;
    tool.on('error', (e) => { spawnError ??= e; });
    tool.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.length > 2 * LOG_KEEP) log = log.slice(-LOG_KEEP);
    });
    const toolDone = exitOf(tool);
    try {
      zstd = spawn(findBinary('zstd', ''), ['-1', '-T2', '-q', '-f', '-o', job.dest], { stdio: [tool.stdout!, 'ignore', 'pipe'] });
    } finally {
      tool.stdout!.destroy(); // zstd has its own copy of the pipe; ours would keep it open
    }
    zstd.on('error', (e) => { spawnError ??= e; });
    zstd.stderr!.on('data', (d: Buffer) => { zlog = (zlog + d.toString()).slice(-8192); });
    const zstdDone = exitOf(zstd);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signal(tool.pid ?? 0, 'SIGKILL');
      if (zstd?.pid) signal(zstd.pid, 'SIGKILL');
    }, job.timeoutMs);
    const [t, z] = await Promise.all([toolDone, zstdDone]).finally(() => clearTimeout(timer));
    log = log.slice(-LOG_KEEP);
    const name = toolName(command);
    if (spawnError) throw new BackupJobError(`could not start the backup: ${spawnError.message}`, { cause: spawnError });
    if (timedOut) throw new BackupJobError(`the backup took longer than ${Math.round(job.timeoutMs / 1000)} s and was stopped`);
    if (z.code !== 0) {
      const why = zlog.trim() || `zstd exited with ${z.signal ?? z.code}`;
      throw new BackupJobError(NO_SPACE.test(why) ? `the backup folder is full (no space left on device): ${why}` : `compression failed: ${why}`, { noSpace: NO_SPACE.test(why) });
    }
    if (t.code !== 0) {
      const tail = lastLines(log);
      throw new BackupJobError(`${name} failed (${t.signal ?? `exit ${t.code}`}): ${tail}`, { noSpace: NO_SPACE.test(tail) });
    }
    return log;
  }

  /** The first `bytes` of a compressed file, decompressed. */
  private readHead(file: string, bytes: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const z = spawn(findBinary('zstd', ''), ['-dc', '-q', file], { stdio: ['ignore', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      let n = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        z.kill('SIGKILL');
        resolve(Buffer.concat(chunks).subarray(0, bytes).toString('utf8'));
      };
      z.on('error', reject);
      z.stdout!.on('data', (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= bytes) finish();
      });
      z.on('close', finish);
    });
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
