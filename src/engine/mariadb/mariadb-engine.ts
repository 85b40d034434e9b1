/** MariaDB adapter of the Engine port. mysql2 is used only here and in client.ts. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AccountSpec, Engine, NodePaths, NodeSpec, Target } from '../engine.js';
import { withConnection } from './client.js';
import { installDbArgs, renderMyCnf } from './mycnf.js';
import { dropAccountSql, ensureAccountSql, initSql } from './sql.js';

const run = promisify(execFile);

export function findBinary(name: string, binDir: string): string {
  const dirs = binDir ? [binDir] : [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = join(d, name);
    if (d && existsSync(p)) return p;
  }
  throw new Error(`${name} not found${binDir ? ` in ${binDir}` : ' on PATH'}; install mariadb-server (npm start does it)`);
}

export class MariaDbEngine implements Engine {
  readonly kind = 'mariadb';
  private version?: string;
  constructor(private readonly binDir = '') {}

  async installedVersion(): Promise<string> {
    if (!this.version) {
      const { stdout } = await run(findBinary('mariadbd', this.binDir), ['--version']);
      const m = /Ver\s+(\d+\.\d+\.\d+)/.exec(stdout);
      if (!m) throw new Error(`cannot read the version from: ${stdout}`);
      this.version = m[1]!;
    }
    return this.version;
  }

  renderConfig(spec: NodeSpec, paths: NodePaths): string {
    return renderMyCnf(spec, paths);
  }

  renderInitSql(adminUser: string, adminHash: string): string {
    return initSql(adminUser, adminHash);
  }

  async initDatadir(paths: NodePaths, spec?: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): Promise<void> {
    const args = installDbArgs(spec ?? { cpu: 1, ramGb: 2, diskType: 'ssd_disk' }, paths);
    try {
      await run(findBinary('mariadb-install-db', this.binDir), args, { timeout: 120_000 });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string };
      throw new Error(`mariadb-install-db failed: ${(err.stderr || err.stdout || '').slice(-2000)}`, { cause: e });
    }
  }

  serverCommand(paths: NodePaths): { command: string; args: string[] } {
    return { command: findBinary('mariadbd', this.binDir), args: [`--defaults-file=${paths.config}`] };
  }

  async waitReady(t: Target, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await withConnection(t, async (c) => { await c.query('SELECT 1'); }, 1000);
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`server ${t.host}:${t.port} not ready after ${timeoutMs} ms`, { cause: last });
  }

  async ping(t: Target, timeoutMs = 2000): Promise<boolean> {
    try {
      await withConnection(t, async (c) => { await c.query('SELECT 1'); }, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async ensureAccount(t: Target, a: AccountSpec): Promise<void> {
    await withConnection(t, async (c) => {
      for (const s of ensureAccountSql(a.name, a.passwordHash, a.type)) await c.query(s);
    });
  }

  async dropAccount(t: Target, name: string): Promise<void> {
    await withConnection(t, async (c) => { await c.query(dropAccountSql(name)); });
  }

  async serverVersion(t: Target): Promise<string> {
    return withConnection(t, async (c) => {
      const [rows] = await c.query('SELECT VERSION() AS v');
      return String((rows as Array<{ v: string }>)[0]!.v).replace(/-.*$/, '');
    });
  }
}
