/**
 * Local adapter of the Provisioner port: one detached mariadbd per node, under
 * `<home>/nodes/<nodeId>/`. Processes outlive `openrds serve` and are adopted again by
 * matching their `--defaults-file` argument, so a restart of the control plane cuts nothing.
 * The datadir (binlogs included) lives on the node's volume, `<node>/disk/data`: a loop-mounted
 * XFS image of DiskValue GB where the host allows it (volumes.ts, docs/storage.md). A new datadir
 * is a copy of the home's datadir template (templates.ts, docs/engine-config.md "Datadir templates").
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { EngineProfile, NodePaths, NodeSpec } from '../../engine/engine.js';
import { ADMIN_USER, REPL_USER, type Target } from '../../engine/engine.js';
import type {
  AddressPlan, BackupJob, BackupJobResult, CloneDest, DiskStatus, InternalCredentials, Listener, NodeRuntime, NodeUsage, Provisioner, ReplayRequest,
} from '../provisioner.js';
import type { ProvisionerCapabilities } from '../capabilities.js';
import { hostUse } from '../../network/host-addresses.js';
import { pickFreeIp } from '../../network/network.js';
import { renderToolOptionFile } from './backup-tools.js';
import { MariaDbBinaries } from './mariadb-binaries.js';
import { DEFAULT_STORAGE, type StorageConfig } from '../../config/config.js';
import { LoopVolumes, type VolumeMode } from './volumes.js';
import { LocalBackupJobs } from './backup-job.js';
import { LocalBinlogReplay } from './binlog-replay.js';
import { findProcesses, incarnationOf, isAlive, processArgv, runTool, KeptStat, signal, waitExit } from './proc.js';
import { diskUsage, readProcUsage } from './usage.js';
import { parseListeners, type ProcListener } from './listeners.js';
import { DatadirTemplates, type TemplateLog } from './templates.js';
import { applyLimits, detectMode, groupName, removeGroup, wrapCommand, type LimitsMode } from './cgroups.js';

export const INIT_MARKER = '.openrds-initialized';

const SOCKET_MAX = 100;

export class LocalProvisioner implements Provisioner {
  readonly kind = 'local';
  readonly nodesDir: string;
  readonly limitsEnforced: LimitsMode;
  /** Last datadir size per node: usage() walks a datadir at most every diskMaxAgeMs. */
  private readonly diskCache = new Map<string, { at: number; bytes: number }>();
  private readonly vols: LoopVolumes;
  /** Nodes made before volumes existed keep their datadir at `<node>/data` (watched). */
  private readonly legacy = new Map<string, boolean>();
  readonly templates: DatadirTemplates;
  readonly bin: MariaDbBinaries;

  constructor(
    home: string,
    private readonly engine: EngineProfile,
    binDir = '',
    private readonly storage: Pick<StorageConfig, 'volumes' | 'gbBytes'> = DEFAULT_STORAGE,
    log?: TemplateLog,
  ) {
    this.nodesDir = join(home, 'nodes');
    this.bin = new MariaDbBinaries(binDir);
    this.templates = new DatadirTemplates(home, engine, this.bin, log);
    this.limitsEnforced = detectMode();
    this.vols = new LoopVolumes(storage.volumes);
  }

  /** How DiskValue is held on this host (loop mounts or not: volumes.ts) and CPU/RAM (cgroups or not: cgroups.ts). */
  get capabilities(): ProvisionerCapabilities {
    return localCapabilities(this.vols.mode, this.vols.reason, this.limitsEnforced);
  }

  engineVersion(): Promise<string> {
    return this.bin.installedVersion();
  }

  /** Addresses come from the config's pipes (src/network/), skipping what anyone on this host listens on. */
  async planAddresses(req: { cidr: string; port: number; alsoTaken: ReadonlySet<string> }): Promise<AddressPlan> {
    const { used, wildcard } = hostUse({ listeners: await this.listeners(), foreign: [] }, req.port);
    if (wildcard) return { ok: false, blockedBy: wildcard };
    for (const ip of req.alsoTaken) used.add(ip);
    return { ok: true, pick: (usedInStore) => pickFreeIp(req.cidr, usedInStore, used) };
  }

  private isLegacy(dir: string, nodeId: string): boolean {
    let v = this.legacy.get(nodeId);
    if (v === undefined) {
      v = existsSync(join(dir, 'data')) && !existsSync(LoopVolumes.mountPoint(dir));
      this.legacy.set(nodeId, v);
    }
    return v;
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
      datadir: this.isLegacy(dir, nodeId) ? join(dir, 'data') : join(LoopVolumes.mountPoint(dir), 'data'),
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
    await this.ensureVolume(spec.nodeId, spec.diskGb);
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
      // Half-made by an interrupted attempt: an orphaned copy (or, from an older serve, an
      // install-db) of a crashed control plane may still be writing there, so end it before wiping.
      const orphans = findProcesses(p.datadir).filter((o) => o.argv.some((a) => a === p.datadir || a === `--datadir=${p.datadir}`));
      for (const orphan of orphans) {
        signal(orphan.pid, 'SIGKILL');
        await waitExit(orphan.pid, 5000);
      }
      rmSync(p.datadir, { recursive: true, force: true });
      // The copy holds no identity: server_id comes from the config, the internal accounts from
      // the init file at every start, and it has no binary logs or replication state.
      const key = await this.templates.copyInto(p.datadir, { ownFilesystem: this.vols.mountedDevice(LoopVolumes.mountPoint(p.dir)) !== undefined });
      // First line: when the datadir was ready (bench/provision.ts reads it).
      writeFileSync(join(p.datadir, INIT_MARKER), `${new Date().toISOString()}\ntemplate ${key}\n`);
    }
    const server = this.bin.serverCommand(p);
    const { command, args } = wrapCommand(this.limitsEnforced, group, server.command, server.args);
    const out = openSync(join(p.dir, 'stdout.log'), 'a');
    try {
      const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...this.engine.serverEnvironment(spec) } });
      child.on('error', () => {}); // reported through inspect()/waitReady
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start ${command}`);
      writeFileSync(this.pidPath(spec.nodeId), String(child.pid));
      return runtimeOf(child.pid);
    } finally {
      closeSync(out);
    }
  }

  /**
   * The server run each node was last seen with (pid and start ticks, checked against its argv
   * once). inspect() is called for every node every second (watchdog, HA monitor): while that run
   * lives, one read of /proc/PID/stat answers it; the full check (pid file, argv, adoption) runs
   * only when the run ended or was never seen.
   */
  private readonly seen = new Map<string, { pid: number; startTicks: number }>();
  private readonly stat = new KeptStat();

  async inspect(nodeId: string): Promise<NodeRuntime> {
    const r = this.liveRun(nodeId);
    return r ? { alive: true, incarnation: `${r.pid}.${r.startTicks}` } : { alive: false };
  }

  /** The node's live server run and its /proc/PID/stat line (one read on a kept descriptor while the run is known). */
  private liveRun(nodeId: string): { pid: number; startTicks: number; stat: string } | undefined {
    const s = this.seen.get(nodeId);
    if (s) {
      const stat = this.stat.text(s.pid, s.startTicks);
      if (stat !== undefined) return { ...s, stat };
      this.seen.delete(nodeId);
    }
    const pid = this.serverPid(nodeId);
    const incarnation = pid === undefined ? undefined : incarnationOf(pid);
    const startTicks = incarnation === undefined ? NaN : Number(incarnation.split('.')[1]);
    if (pid === undefined || !Number.isInteger(startTicks)) return undefined;
    const stat = this.stat.text(pid, startTicks);
    if (stat === undefined) return undefined;
    this.seen.set(nodeId, { pid, startTicks });
    return { pid, startTicks, stat };
  }

  /** The pid of the node's live server, adopting one a previous serve started; undefined when none runs. */
  private serverPid(nodeId: string): number | undefined {
    const p = this.paths(nodeId);
    const pid = readPid(this.pidPath(nodeId));
    if (pid !== undefined && this.isOurs(pid, p)) return pid;
    // The pid file may be stale (e.g. started by an older serve that crashed before writing it).
    const found = findProcesses(`--defaults-file=${p.config}`).find((x) => this.isOurs(x.pid, p));
    if (found) {
      writeFileSync(this.pidPath(nodeId), String(found.pid));
      return found.pid;
    }
    return undefined;
  }

  async stop(nodeId: string, timeoutMs: number): Promise<void> {
    const pid = this.serverPid(nodeId);
    if (pid === undefined) return;
    signal(pid, 'SIGTERM');
    if (!(await waitExit(pid, timeoutMs))) await this.kill(nodeId, pid);
  }

  async fence(nodeId: string): Promise<void> {
    const pid = this.serverPid(nodeId);
    if (pid !== undefined) await this.kill(nodeId, pid);
  }

  /** SIGKILL and wait: a process in uninterruptible sleep (a stalled disk) may take a moment. */
  private async kill(nodeId: string, pid: number): Promise<void> {
    signal(pid, 'SIGKILL');
    if (!(await waitExit(pid, 10_000))) throw new Error(`node ${nodeId} (pid ${pid}) did not exit after SIGKILL`);
  }

  async destroy(nodeId: string): Promise<void> {
    await this.fence(nodeId);
    const s = this.seen.get(nodeId);
    if (s) this.stat.forget(s.pid, s.startTicks);
    this.seen.delete(nodeId);
    const p = this.paths(nodeId);
    await this.vols.release(p.dir);
    rmSync(p.dir, { recursive: true, force: true });
    rmSync(p.socket, { force: true });
    this.legacy.delete(nodeId);
    await removeGroup(this.limitsEnforced, groupName(this.nodesDir, nodeId));
  }

  async listRunning(): Promise<Array<{ nodeId: string; incarnation: string }>> {
    return this.serverProcesses().flatMap(({ nodeId, pid }) => {
      const incarnation = incarnationOf(pid);
      return incarnation ? [{ nodeId, incarnation }] : [];
    });
  }

  /** The servers of this home's nodes, found by their `--defaults-file` argument. */
  private serverProcesses(): Array<{ nodeId: string; pid: number }> {
    const prefix = `--defaults-file=${this.nodesDir}/`;
    return findProcesses(prefix).flatMap(({ pid, argv }) => {
      const arg = argv.find((a) => a.startsWith(prefix));
      const nodeId = arg?.slice(prefix.length).split('/')[0];
      return nodeId ? [{ nodeId, pid }] : [];
    });
  }

  async listeners(owners = false): Promise<Listener[]> {
    const found: ProcListener[] = [];
    for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch { /* no IPv6 here */ }
      found.push(...parseListeners(text, v6));
    }
    // Whose socket: the inodes our nodes' servers hold (only this home's few processes are read).
    const owner = new Map<number, string>();
    for (const { nodeId, pid } of owners ? this.serverProcesses() : []) {
      let fds: string[] = [];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch { /* gone meanwhile */ }
      for (const fd of fds) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m) owner.set(Number(m[1]), nodeId);
        } catch { /* closed meanwhile */ }
      }
    }
    return found.map(({ ip, port, inode }) => ({ ip, port, nodeId: owner.get(inode) }));
  }

  async cloneFrom(sourceNodeId: string, source: Target, dest: CloneDest): Promise<{ gtid: string }> {
    const destNodeId = dest.nodeId;
    const src = this.paths(sourceNodeId);
    const dst = this.paths(destNodeId);
    if ((await this.inspect(destNodeId)).alive) throw new Error(`node ${destNodeId} must be stopped before it is replaced by a copy`);
    mkdirSync(dst.tmpdir, { recursive: true });
    await this.ensureVolume(destNodeId, dest.diskGb);
    // The copy is made next to the datadir (same filesystem, so the final rename is atomic), and
    // the old datadir goes first: the copy replaces it anyway, and the volume must hold the copy.
    const work = join(dirname(dst.datadir), 'clone');
    // A copy interrupted by a crash of the control plane may still be running (its mariadb-backup
    // outlives serve): end it before its folder is wiped, so the redone copy is the only writer.
    for (const orphan of findProcesses(`--target-dir=${work}`)) {
      signal(orphan.pid, 'SIGKILL');
      await waitExit(orphan.pid, 5000);
    }
    rmSync(work, { recursive: true, force: true });
    rmSync(dst.datadir, { recursive: true, force: true });
    // Credentials in a 0600 option file, never on the command line (visible in ps).
    const optionFile = join(dst.dir, 'clone.cnf');
    writeFileSync(optionFile, renderToolOptionFile({ kind: 'physical', node: src, target: source, workDir: dst.dir, replica: false }), { mode: 0o600 });
    const backup = this.bin.path('mariadb-backup');
    try {
      await runTool(backup, [`--defaults-file=${optionFile}`, '--backup', `--target-dir=${work}`, `--datadir=${src.datadir}`], 3_600_000);
    } finally {
      rmSync(optionFile, { force: true });
    }
    return this.installCopy(work, dst, `cloned from ${sourceNodeId}`);
  }

  async restorePhysical(dest: CloneDest, artifact: () => Readable): Promise<{ gtid: string }> {
    const dst = this.paths(dest.nodeId);
    if ((await this.inspect(dest.nodeId)).alive) throw new Error(`node ${dest.nodeId} must be stopped before a backup is restored over it`);
    mkdirSync(dst.tmpdir, { recursive: true });
    await this.ensureVolume(dest.nodeId, dest.diskGb);
    // As in cloneFrom: unpacked next to the datadir (one filesystem), the old datadir gone first.
    const work = join(dirname(dst.datadir), 'restore');
    rmSync(dst.datadir, { recursive: true, force: true });
    await this.backupJobs.unpackPhysical(artifact(), work);
    return this.installCopy(work, dst, 'restored from a backup');
  }

  /** Prepares a physical copy in `work` (on the node's disk) and renames it into the node's datadir; its GTID position. */
  private async installCopy(work: string, dst: NodePaths, what: string): Promise<{ gtid: string }> {
    await runTool(this.bin.path('mariadb-backup'), ['--no-defaults', '--prepare', `--target-dir=${work}`], 3_600_000);
    const info = ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info'].map((f) => join(work, f)).find((f) => existsSync(f));
    const gtid = info ? (readFileSync(info, 'utf8').trim().split(/\s+/)[2] ?? '') : '';
    rmSync(dst.datadir, { recursive: true, force: true });
    renameSync(work, dst.datadir);
    writeFileSync(join(dst.datadir, INIT_MARKER), `${what} at ${new Date().toISOString()}\n`);
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
    // The run inspect() knows (no pid file, argv or extra stat read per node and round), then VmRSS.
    const run = this.liveRun(nodeId);
    const proc = run ? readProcUsage(run.pid, run.stat) : undefined;
    const incarnation = run ? `${run.pid}.${run.startTicks}` : undefined;
    if (!proc || !incarnation) {
      this.diskCache.delete(nodeId);
      return undefined;
    }
    const now = Date.now();
    let disk = this.diskCache.get(nodeId);
    if (!disk || now - disk.at > (opts.diskMaxAgeMs ?? 0)) {
      const mounted = this.vols.mountedUsage(this.paths(nodeId).dir);
      disk = { at: now, bytes: mounted ? mounted.usedBytes : diskUsage(this.paths(nodeId).datadir) };
      this.diskCache.set(nodeId, disk);
    }
    return { incarnation, cpuSeconds: proc.cpuSeconds, rssBytes: proc.rssBytes, diskBytes: disk.bytes };
  }

  // --- data volumes (volumes.ts) ---

  private async ensureVolume(nodeId: string, diskGb: number): Promise<void> {
    const p = this.paths(nodeId);
    if (this.isLegacy(p.dir, nodeId)) return;
    try {
      await this.vols.ensure(p.dir, diskGb * this.storage.gbBytes);
    } catch (e) {
      throw new Error(`could not prepare the ${diskGb} GB data volume of node ${nodeId}: ${(e as Error).message}`, { cause: e });
    }
  }

  async diskStatus(nodes: ReadonlyArray<{ nodeId: string; limitBytes: number }>): Promise<Map<string, DiskStatus>> {
    const out = new Map<string, DiskStatus>();
    for (const { nodeId, limitBytes } of nodes) {
      const p = this.paths(nodeId);
      const mounted = this.vols.mountedUsage(p.dir);
      if (mounted) {
        out.set(nodeId, { ...mounted, hardLimit: true });
        continue;
      }
      if (!existsSync(p.datadir)) continue;
      // Watched: walk the datadir, at most once a second per node (~1 ms for a few hundred files).
      const now = Date.now();
      let disk = this.diskCache.get(nodeId);
      if (!disk || now - disk.at > 1000) {
        disk = { at: now, bytes: diskUsage(p.datadir) };
        this.diskCache.set(nodeId, disk);
      }
      out.set(nodeId, { totalBytes: limitBytes, usedBytes: disk.bytes, hardLimit: false });
    }
    return out;
  }

  /** Unmounts the volume of every node whose server does not run (`openrds halt --unmount`). */
  async releaseStoppedVolumes(): Promise<string[]> {
    const released: string[] = [];
    if (!existsSync(this.nodesDir)) return released;
    for (const nodeId of readdirSync(this.nodesDir)) {
      const dir = join(this.nodesDir, nodeId);
      if (!this.vols.mountedDevice(LoopVolumes.mountPoint(dir))) continue;
      if ((await this.inspect(nodeId)).alive) continue;
      await this.vols.release(dir);
      released.push(nodeId);
    }
    return released;
  }

  // --- backup jobs: backup-job.ts; private folders under <home>/backup-work ---

  private jobs?: LocalBackupJobs;
  private get backupJobs(): LocalBackupJobs {
    return (this.jobs ??= new LocalBackupJobs(join(dirname(this.nodesDir), 'backup-work'), this.bin, (id) => this.paths(id)));
  }

  runBackup(job: BackupJob, sink: Writable): Promise<BackupJobResult> {
    return this.backupJobs.run(job, sink);
  }

  abortBackup(jobId: string): Promise<void> {
    return this.backupJobs.abort(jobId);
  }

  // --- binlog replay: binlog-replay.ts; private folders under <home>/restore-work ---

  private replays?: LocalBinlogReplay;
  replayBinlog(req: ReplayRequest): Promise<{ bytes: number }> {
    return (this.replays ??= new LocalBinlogReplay(join(dirname(this.nodesDir), 'restore-work'), this.bin)).replay(req);
  }

  private pidPath(nodeId: string): string {
    return join(this.nodesDir, nodeId, 'node.pid');
  }

  private isOurs(pid: number, p: NodePaths): boolean {
    const argv = processArgv(pid);
    return !!argv && argv.includes(`--defaults-file=${p.config}`) && isAlive(pid);
  }
}

function runtimeOf(pid: number): NodeRuntime {
  const incarnation = incarnationOf(pid);
  return incarnation ? { alive: true, incarnation } : { alive: false };
}

/** Pure: the capabilities of the local provisioner from what this host allows (docs/storage.md, docs/engine-config.md). */
export function localCapabilities(volumes: VolumeMode, volumesReason: string, limits: LimitsMode): ProvisionerCapabilities {
  return {
    disk: volumes === 'loop-xfs'
      ? { limit: 'hard', growsOnline: true, mechanism: 'loop-xfs', detail: 'a loop-mounted XFS volume of DiskValue GB per node, grown online' }
      : { limit: 'measured', growsOnline: true, mechanism: 'watch', detail: volumesReason },
    compute: limits === 'advisory'
      ? { limit: 'advisory', mechanism: 'advisory', detail: 'no writable cgroup v1 or v2 here: only the engine settings follow the spec' }
      : { limit: 'hard', mechanism: limits, detail: `a CPU quota and a memory limit per node (${limits})` },
  };
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
