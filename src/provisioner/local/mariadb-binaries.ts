/**
 * The MariaDB programs the local provisioner runs on this host: where they are, the installed
 * server's version, making an empty datadir (mariadb-install-db) and the server's command line.
 * Nothing above the provisioner runs a program (the Engine port is a profile plus an SQL client).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NodePaths } from '../../engine/engine.js';

const run = promisify(execFile);

export function findBinary(name: string, binDir: string): string {
  const dirs = binDir ? [binDir] : [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = join(d, name);
    if (d && existsSync(p)) return p;
  }
  throw new Error(`${name} not found${binDir ? ` in ${binDir}` : ' on PATH'}; install mariadb-server (npm start does it)`);
}

/**
 * mariadb-install-db's command line for a datadir: `--no-defaults` first, a private tmpdir (the
 * shared /tmp once lost the bootstrap's temporary table in CI: "Unknown table
 * 'mysql.tmp_proxies_priv'"), then the profile's init settings.
 */
export function installDbArgs(datadir: string, tmpdir: string, settings: Readonly<Record<string, string>>): string[] {
  return ['--no-defaults', `--datadir=${datadir}`, `--tmpdir=${tmpdir}`, ...Object.entries(settings).map(([k, v]) => (v === '' ? `--${k}` : `--${k}=${v}`))];
}

export class MariaDbBinaries {
  private version?: { stamp: string; version: string };
  constructor(readonly binDir = '') {}

  path(name: 'mariadbd' | 'mariadb-install-db' | 'mariadb-backup' | 'mariadb-dump' | 'mbstream' | 'zstd' | 'mariadb-binlog' | 'mariadb'): string {
    return findBinary(name, name === 'zstd' ? '' : this.binDir);
  }

  /** Read again when the binary changes (a package upgrade under a running serve): datadir templates are keyed by it. */
  async installedVersion(): Promise<string> {
    const bin = this.path('mariadbd');
    const st = statSync(bin);
    const stamp = `${bin} ${st.ino} ${st.size} ${st.mtimeMs}`;
    if (!this.version || this.version.stamp !== stamp) {
      const { stdout } = await run(bin, ['--version']);
      const m = /Ver\s+(\d+\.\d+\.\d+)/.exec(stdout);
      if (!m) throw new Error(`cannot read the version from: ${stdout}`);
      this.version = { stamp, version: m[1]! };
    }
    return this.version.version;
  }

  /**
   * Creates an empty datadir made with `settings` (EngineProfile.initSettings); it holds no server
   * identity. Not idempotent by itself: the caller wipes a half-made one first. `scratch` is an
   * empty folder of the caller's for the tool's temporary files; it is removed afterwards.
   */
  async initDatadir(datadir: string, scratch: string, settings: Readonly<Record<string, string>>): Promise<void> {
    mkdirSync(scratch, { recursive: true });
    try {
      await run(this.path('mariadb-install-db'), installDbArgs(datadir, scratch, settings), { timeout: 120_000 });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string };
      throw new Error(`mariadb-install-db failed: ${(err.stderr || err.stdout || '').slice(-2000)}`, { cause: e });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  serverCommand(paths: Pick<NodePaths, 'config'>): { command: string; args: string[] } {
    return { command: this.path('mariadbd'), args: [`--defaults-file=${paths.config}`] };
  }
}
