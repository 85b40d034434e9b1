/**
 * Local adapter of the Provisioner port: one detached mariadbd per node, under
 * `<home>/nodes/<nodeId>/`. Processes outlive `openrds serve` and are adopted again by
 * matching their `--defaults-file` argument, so a restart of the control plane cuts nothing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, NodePaths, NodeSpec } from '../../engine/engine.js';
import { ADMIN_USER } from '../../engine/engine.js';
import type { NodeRuntime, Provisioner } from '../provisioner.js';
import { findProcesses, isAlive, processArgv, signal, waitExit } from './proc.js';

const INIT_MARKER = '.openrds-initialized';
const SOCKET_MAX = 100;

export class LocalProvisioner implements Provisioner {
  readonly kind = 'local';
  readonly nodesDir: string;

  constructor(home: string, private readonly engine: Engine) {
    this.nodesDir = join(home, 'nodes');
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

  async ensureRunning(spec: NodeSpec, adminPasswordHash: string): Promise<NodeRuntime> {
    const p = this.paths(spec.nodeId);
    mkdirSync(p.tmpdir, { recursive: true });
    writeIfChanged(p.config, this.engine.renderConfig(spec, p));
    writeIfChanged(p.initFile, this.engine.renderInitSql(ADMIN_USER, adminPasswordHash), 0o600);
    const running = await this.inspect(spec.nodeId);
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
    const { command, args } = this.engine.serverCommand(p);
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
  }

  async listRunning(): Promise<Array<{ nodeId: string; pid: number }>> {
    const prefix = `--defaults-file=${this.nodesDir}/`;
    return findProcesses(prefix).flatMap(({ pid, argv }) => {
      const arg = argv.find((a) => a.startsWith(prefix));
      const nodeId = arg?.slice(prefix.length).split('/')[0];
      return nodeId ? [{ nodeId, pid }] : [];
    });
  }

  async logTail(nodeId: string, lines = 8): Promise<string> {
    try {
      return readFileSync(this.paths(nodeId).errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
    } catch {
      return '(no server log)';
    }
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
