/**
 * Local adapter of the NodeRestore port (docs/recovery.md):
 *
 *   restorePhysical:  artifact | zstd -dc | mbstream -x -C <node>/disk/restore ; mariadb-backup --prepare ; rename to the datadir
 *   replay:           mariadb-binlog --start-position=<gtid> --stop-position=<gtid> <files…> | mariadb (the node's admin)
 *
 * The backup bytes come from the caller as a stream (the backup storage reads them), so nothing
 * here knows where backups are kept. Leftover processes of an interrupted restore (a control plane
 * killed mid-way) are found by their command lines (the work folder) and ended before a redo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findBinary } from './mariadb-binaries.js';
import type { NodeRestore, ReplayRequest, RestoreDest } from '../node-restore.js';
import { INIT_MARKER, type LocalProvisioner } from './local-provisioner.js';
import { findProcesses, runTool, signal, waitExit } from './proc.js';

const TOOL_TIMEOUT_MS = 6 * 3_600_000;

export class LocalNodeRestore implements NodeRestore {
  constructor(
    private readonly provisioner: LocalProvisioner,
    /** `<home>/restore-work`: a private folder per replay (the binlogs and the client's option file). */
    private readonly workRoot: string,
    private readonly binDir = '',
  ) {}

  async restorePhysical(dest: RestoreDest, artifact: () => Readable): Promise<{ gtid: string }> {
    const p = this.provisioner.paths(dest.nodeId);
    if ((await this.provisioner.inspect(dest.nodeId)).alive) throw new Error(`node ${dest.nodeId} must be stopped before a backup is restored over it`);
    if (!existsSync(dirname(p.datadir))) throw new Error(`node ${dest.nodeId} has no data volume yet (ensureRunning makes it)`);
    // Next to the datadir: same filesystem, so the final rename is atomic.
    const work = join(dirname(p.datadir), 'restore');
    await killUsing(work);
    rmSync(work, { recursive: true, force: true });
    rmSync(p.datadir, { recursive: true, force: true }); // the volume must hold the restored copy
    mkdirSync(work, { recursive: true });
    await this.unpack(artifact(), work);
    await runTool(findBinary('mariadb-backup', this.binDir), ['--no-defaults', '--prepare', `--target-dir=${work}`], TOOL_TIMEOUT_MS);
    const info = ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info'].map((f) => join(work, f)).find((f) => existsSync(f));
    const gtid = info ? (readFileSync(info, 'utf8').trim().split(/\s+/)[2] ?? '') : '';
    renameSync(work, p.datadir);
    writeFileSync(join(p.datadir, INIT_MARKER), `restored from a backup at ${new Date().toISOString()}\n`);
    return { gtid };
  }

  async replay(req: ReplayRequest): Promise<{ bytes: number }> {
    const work = join(this.workRoot, `replay-${req.target.host}-${req.target.port}`);
    await killUsing(work);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true, mode: 0o700 });
    try {
      const files: string[] = [];
      let bytes = 0;
      for (const [i, open] of req.binlogs.entries()) {
        const f = join(work, `binlog.${String(i).padStart(6, '0')}`);
        const src = open();
        src.on('data', (d: Buffer) => { bytes += d.length; });
        await pipeline(src, createWriteStream(f));
        files.push(f);
      }
      if (!files.length) return { bytes: 0 };
      const opt = join(work, 'client.cnf');
      writeFileSync(opt, `[client]\nhost=${req.target.host}\nport=${req.target.port}\nuser=${req.target.user}\npassword="${req.target.password.replace(/["\\]/g, '\\$&')}"\n`, { mode: 0o600 });
      // TZ=UTC: the tools print and parse event times in local time; nothing here depends on it
      // (the replay stops by GTID), but the decoded stream then shows the API's times.
      const env = { ...process.env, TZ: 'UTC' };
      const decoder = spawn(findBinary('mariadb-binlog', this.binDir), [
        '--no-defaults', `--start-position=${req.startGtid}`, `--stop-position=${req.stopGtid}`, ...files,
      ], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let client: ChildProcess | undefined;
      try {
        client = spawn(findBinary('mariadb', this.binDir), [`--defaults-file=${opt}`, '--binary-mode', '--batch'], { stdio: [decoder.stdout!, 'ignore', 'pipe'], env });
      } finally {
        decoder.stdout!.destroy();
      }
      const [d, c] = await Promise.all([exitWithLog(decoder), exitWithLog(client)]);
      if (c.code !== 0) throw new Error(`replaying the binlog failed: ${c.log.trim().split('\n').slice(-3).join(' | ') || `mariadb exited with ${c.signal ?? c.code}`}`);
      if (d.code !== 0) throw new Error(`reading the archived binlog failed: ${d.log.trim().split('\n').slice(-3).join(' | ') || `mariadb-binlog exited with ${d.signal ?? d.code}`}`);
      return { bytes };
    } finally {
      rmSync(work, { recursive: true, force: true }); // the option file holds a password
    }
  }

  /** stream | zstd -dc | mbstream -x -C dir; rejects with the tools' messages when either fails. */
  private async unpack(src: Readable, dir: string): Promise<void> {
    const zstd = spawn(findBinary('zstd', ''), ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let mb: ChildProcess | undefined;
    try {
      mb = spawn(findBinary('mbstream', this.binDir), ['-x', '-C', dir], { stdio: [zstd.stdout!, 'ignore', 'pipe'] });
    } finally {
      zstd.stdout!.destroy();
    }
    const feed = pipeline(src, zstd.stdin!).catch((e: Error) => e);
    const [z, m, fed] = await Promise.all([exitWithLog(zstd), exitWithLog(mb), feed]);
    if (fed instanceof Error) throw new Error(`reading the backup failed: ${fed.message}`, { cause: fed });
    if (z.code !== 0) throw new Error(`decompressing the backup failed: ${z.log.trim() || `zstd exited with ${z.signal ?? z.code}`}`);
    if (m.code !== 0) throw new Error(`unpacking the backup failed: ${m.log.trim() || `mbstream exited with ${m.signal ?? m.code}`}`);
  }
}

/** Ends processes left by an interrupted restore that still use `dir`. */
async function killUsing(dir: string): Promise<void> {
  for (const p of findProcesses(dir)) {
    if (p.pid === process.pid) continue;
    signal(p.pid, 'SIGKILL');
    await waitExit(p.pid, 5000);
  }
}

function exitWithLog(p: ChildProcess): Promise<{ code: number | null; signal: string | null; log: string }> {
  let log = '';
  p.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-16_384); });
  return new Promise((resolve) => {
    p.once('close', (code, sig) => resolve({ code, signal: sig, log }));
    p.once('error', (e) => resolve({ code: -1, signal: null, log: e.message }));
  });
}
