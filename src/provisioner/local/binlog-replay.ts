/**
 * Binlog replay as local processes (the LocalProvisioner's replayBinlog, docs/recovery.md):
 *
 *   binlogs (Node streams) → <home>/restore-work/replay-<node>/binlog.NNNNNN
 *   mariadb-binlog --start-position=<gtid> --stop-position=<gtid> <files…> | mariadb (the node's admin)
 *
 * The binlog bytes come from the caller as streams (the archive's segment store reads them), so
 * nothing here knows where the archive is kept. Processes of a replay left by a killed control
 * plane carry the work folder in their argv (the files, the option file); they are ended first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ReplayRequest } from '../provisioner.js';
import type { MariaDbBinaries } from './mariadb-binaries.js';
import { findProcesses, signal, waitExit } from './proc.js';

export class LocalBinlogReplay {
  constructor(
    /** `<home>/restore-work`: a private folder per replay (the binlogs and the client's option file). */
    private readonly workRoot: string,
    private readonly bin: MariaDbBinaries,
  ) {}

  async replay(req: ReplayRequest): Promise<{ bytes: number }> {
    if (!/^[A-Za-z0-9_.-]+$/.test(req.nodeId)) throw new Error(`invalid node id ${req.nodeId}`);
    const work = join(this.workRoot, `replay-${req.nodeId}`);
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
      const decoder = spawn(this.bin.path('mariadb-binlog'), [
        '--no-defaults', `--start-position=${req.startGtid}`, `--stop-position=${req.stopGtid}`, ...files,
      ], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let client: ChildProcess | undefined;
      try {
        client = spawn(this.bin.path('mariadb'), [`--defaults-file=${opt}`, '--binary-mode', '--batch'], { stdio: [decoder.stdout!, 'ignore', 'pipe'], env });
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
}

/** Ends processes left by an interrupted replay that still use `dir`. */
async function killUsing(dir: string): Promise<void> {
  for (const p of findProcesses(`${dir}/`)) {
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
