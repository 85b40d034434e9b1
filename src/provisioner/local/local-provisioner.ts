/**
 * Local adapter of the Provisioner port: one detached mariadbd per node, under
 * `<home>/nodes/<nodeId>/`. Processes outlive `openrds serve` and are adopted again by
 * matching their `--defaults-file` argument, so a restart of the control plane cuts nothing.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary } from '../../engine/mariadb/mariadb-engine.js';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Engine, NodePaths, NodeSpec } from '../../engine/engine.js';
import { ADMIN_USER, REPL_USER, type Target } from '../../engine/engine.js';
import type { BackupJob, BackupJobResult, InternalCredentials, NodeRuntime, NodeUsage, Provisioner } from '../provisioner.js';
import { LocalBackupJobs } from '../../backups/local/backup-job.js';
import { findProcesses, isAlive, processArgv, signal, waitExit } from './proc.js';
import { diskUsage, readProcUsage } from './usage.js';
import { applyLimits, detectMode, groupName, removeGroup, wrapCommand, type LimitsMode } from './cgroups.js';

const INIT_MARKER = '.openrds-initialized';
const execFileP = promisify(execFile);

async function run(cmd: string, args: string[]): Promise<void> {
  try {
    await execFileP(cmd, args, { timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`${cmd.split('/').pop()} ${args[1] ?? ''} failed: ${(err.stderr ?? '').split('\n').slice(-6).join(' | ')}`, { cause: e });
  }
}
const SOCKET_MAX = 100;

export class LocalProvisioner implements Provisioner {
  readonly kind = 'local';
  readonly nodesDir: string;
  readonly limitsEnforced: LimitsMode;
  /** Last datadir size per node: usage() walks a datadir at most every diskMaxAgeMs. */
  private readonly diskCache = new Map<string, { at: number; bytes: number }>();

  constructor(home: string, private readonly engine: Engine, private readonly binDir = '') {
    this.nodesDir = join(home, 'nodes');
    this.limitsEnforced = detectMode();
  }

  paths(nodeId: string): NodePaths {
    const dir = join(this.nodesDir, nodeId);
    let socket = join(dir, 'mysqld.sock');
    if (socket.length > SOCKET_MAX) {
      const h = createHash('sha1').update(this.nodesDir).digest('hex').slice(0, 10);
      socket = join('/tmp', `openrds-${h}-${nodeId}.sock`);
    }
    return {
      dir,
      datadir: join(dir, 'data'),
      config: join(dir, 'my.cnf'),
      initFile: join(dir, 'init.sql'),
      socket,
      pidFile: join(dir, 'mysqld.pid'),
      errorLog: join(dir, 'error.log'),
      tmpdir: join(dir, 'tmp'),
    };
  }

  async ensureRunning(spec: NodeSpec, creds: InternalCredentials): Promise<NodeRuntime> {
    const p = this.paths(spec.nodeId);
    mkdirSync(p.tmpdir, { recursive: true });
    writeIfChanged(p.config, this.engine.renderConfig(spec, p));
    writeIfChanged(p.initFile, this.engine.renderInitSql(ADMIN_USER, creds.adminHash, { user: REPL_USER, hash: creds.replHash }), 0o600);
    const running = await this.inspect(spec.nodeId);
    const group = groupName(this.nodesDir, spec.nodeId);
    try {
      applyLimits(this.limitsEnforced, group, { cpu: spec.cpu, ramGb: spec.ramGb }, { running: running.alive });
    } catch (e) {
      throw new Error(`could not set the resource limits of node ${spec.nodeId} (${this.limitsEnforced}): ${(e as Error).message}`, { cause: e });
    }
    if (running.alive) return running;
    if (!existsSync(join(p.datadir, INIT_MARKER))) {
      // Half-made by an interrupted attempt: an orphaned mariadb-install-db of a crashed control
      // plane may still be writing there, so end it before wiping.
      for (const orphan of findProcesses(`--datadir=${p.datadir}`)) {
        signal(orphan.pid, 'SIGKILL');
        await waitExit(orphan.pid, 5000);
      }
      rmSync(p.datadir, { recursive: true, force: true });
      await this.engine.initDatadir(p, spec);
      writeFileSync(join(p.datadir, INIT_MARKER), new Date().toISOString() + '\n');
    }
    const server = this.engine.serverCommand(p);
    const { command, args } = wrapCommand(this.limitsEnforced, group, server.command, server.args);
    const out = openSync(join(p.dir, 'stdout.log'), 'a');
    try {
      const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out] });
      child.on('error', () => {}); // reported through inspect()/waitReady
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start ${command}`);
      writeFileSync(this.pidPath(spec.nodeId), String(child.pid));
      return { alive: true, pid: child.pid };
    } finally {
      closeSync(out);
    }
  }

  async inspect(nodeId: string): Promise<NodeRuntime> {
    const p = this.paths(nodeId);
    const pid = readPid(this.pidPath(nodeId));
    if (pid !== undefined && this.isOurs(pid, p)) return { alive: true, pid };
    // The pid file may be stale (e.g. started by an older serve that crashed before writing it).
    const found = findProcesses(`--defaults-file=${p.config}`).find((x) => this.isOurs(x.pid, p));
    if (found) {
      writeFileSync(this.pidPath(nodeId), String(found.pid));
      return { alive: true, pid: found.pid };
    }
    return { alive: false };
  }

  async stop(nodeId: string, timeoutMs: number): Promise<void> {
    const rt = await this.inspect(nodeId);
    if (!rt.alive || rt.pid === undefined) return;
    signal(rt.pid, 'SIGTERM');
    if (!(await waitExit(rt.pid, timeoutMs))) {
      signal(rt.pid, 'SIGKILL');
      await waitExit(rt.pid, 5000);
    }
  }

  async destroy(nodeId: string): Promise<void> {
    const rt = await this.inspect(nodeId);
    if (rt.alive && rt.pid !== undefined) {
      signal(rt.pid, 'SIGKILL');
      if (!(await waitExit(rt.pid, 10_000))) throw new Error(`node ${nodeId} (pid ${rt.pid}) did not exit after SIGKILL`);
    }
    const p = this.paths(nodeId);
    rmSync(p.dir, { recursive: true, force: true });
    rmSync(p.socket, { force: true });
    await removeGroup(this.limitsEnforced, groupName(this.nodesDir, nodeId));
  }

  async listRunning(): Promise<Array<{ nodeId: string; pid: number }>> {
    const prefix = `--defaults-file=${this.nodesDir}/`;
    return findProcesses(prefix).flatMap(({ pid, argv }) => {
      const arg = argv.find((a) => a.startsWith(prefix));
      const nodeId = arg?.slice(prefix.length).split('/')[0];
      return nodeId ? [{ nodeId, pid }] : [];
    });
  }

  async cloneFrom(sourceNodeId: string, source: Target, destNodeId: string): Promise<{ gtid: string }> {
    const src = this.paths(sourceNodeId);
    const dst = this.paths(destNodeId);
    if ((await this.inspect(destNodeId)).alive) throw new Error(`node ${destNodeId} must be stopped before it is replaced by a copy`);
    mkdirSync(dst.tmpdir, { recursive: true });
    const work = join(dst.dir, 'clone');
    rmSync(work, { recursive: true, force: true });
    const backup = findBinary('mariadb-backup', this.binDir);
    await run(backup, [
      `--defaults-file=${src.config}`, '--backup', `--target-dir=${work}`, `--datadir=${src.datadir}`,
      `--host=${source.host}`, `--port=${source.port}`, `--user=${source.user}`, `--password=${source.password}`,
    ]);
    await run(backup, ['--no-defaults', '--prepare', `--target-dir=${work}`]);
    const info = ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info'].map((f) => join(work, f)).find((f) => existsSync(f));
    const gtid = info ? (readFileSync(info, 'utf8').trim().split(/\s+/)[2] ?? '') : '';
    rmSync(dst.datadir, { recursive: true, force: true });
    renameSync(work, dst.datadir);
    writeFileSync(join(dst.datadir, INIT_MARKER), `cloned from ${sourceNodeId} at ${new Date().toISOString()}\n`);
    return { gtid };
  }

  async logTail(nodeId: string, lines = 8): Promise<string> {
    try {
      return readFileSync(this.paths(nodeId).errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
    } catch {
      return '(no server log)';
    }
  }

  async usage(nodeId: string, opts: { diskMaxAgeMs?: number } = {}): Promise<NodeUsage | undefined> {
    const rt = await this.inspect(nodeId);
    const proc = rt.alive && rt.pid !== undefined ? readProcUsage(rt.pid) : undefined;
    if (!proc || rt.pid === undefined) {
      this.diskCache.delete(nodeId);
      return undefined;
    }
    const now = Date.now();
    let disk = this.diskCache.get(nodeId);
    if (!disk || now - disk.at > (opts.diskMaxAgeMs ?? 0)) {
      disk = { at: now, bytes: diskUsage(this.paths(nodeId).datadir) };
      this.diskCache.set(nodeId, disk);
    }
    return { pid: rt.pid, cpuSeconds: proc.cpuSeconds, rssBytes: proc.rssBytes, diskBytes: disk.bytes };
  }

  // --- backup jobs: src/backups/local/backup-job.ts; private folders under <home>/backup-work ---

  private jobs?: LocalBackupJobs;
  private get backupJobs(): LocalBackupJobs {
    return (this.jobs ??= new LocalBackupJobs(join(dirname(this.nodesDir), 'backup-work'), this.engine, (id) => this.paths(id), this.binDir));
  }

  runBackup(job: BackupJob): Promise<BackupJobResult> {
    return this.backupJobs.run(job);
  }

  abortBackup(job: Pick<BackupJob, 'id' | 'dest'>): Promise<void> {
    return this.backupJobs.abort(job);
  }

  private pidPath(nodeId: string): string {
    return join(this.nodesDir, nodeId, 'node.pid');
  }

  private isOurs(pid: number, p: NodePaths): boolean {
    const argv = processArgv(pid);
    return !!argv && argv.includes(`--defaults-file=${p.config}`) && isAlive(pid);
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function writeIfChanged(file: string, content: string, mode = 0o644): void {
  try {
    if (readFileSync(file, 'utf8') === content) return;
  } catch {
    /* missing */
  }
  writeFileSync(file + '.tmp', content, { mode });
  // rename is atomic: a crash never leaves a half-written config behind
  renameSync(file + '.tmp', file);
}
