/**
 * Configuration: embedded defaults, overridden by `<home>/config.json` (or OPENRDS_CONFIG).
 * Every section is optional in the file; a section given there replaces the default one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CATALOG } from '../catalog/defaults.js';
import { validateCatalog, type Catalog } from '../catalog/catalog.js';
import { DEFAULT_NETWORKS, type Vdc } from '../network/network.js';

export interface Config {
  home: string;
  listen: { host: string; port: number };
  catalog: Catalog;
  networks: Vdc[];
  auth: {
    /** Allowed distance between the request Timestamp and the server clock. */
    maxSkewSeconds: number;
  };
  tasks: { concurrency: number; leaseMs: number; stepRetries: number };
  reconciler: { intervalMs: number };
  engine: {
    /** Directory holding mariadbd / mariadb-install-db; empty = search PATH and /usr/sbin. */
    binDir: string;
    /** Stop timeout before SIGKILL. */
    stopTimeoutMs: number;
  };
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m || !m[1]) throw new Error(`--listen must be HOST:PORT, got ${s}`);
  const port = Number(m[2]);
  if (port < 0 || port > 65535) throw new Error(`--listen port out of range: ${s}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export function loadConfig(opts: { home?: string; listen?: string; configFile?: string }): Config {
  const home = resolve(opts.home ?? process.env.OPENRDS_HOME ?? './data');
  const file = opts.configFile ?? process.env.OPENRDS_CONFIG ?? join(home, 'config.json');
  const fromFile: Partial<Config> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const cfg: Config = {
    home,
    listen: parseListen(opts.listen ?? process.env.OPENRDS_LISTEN ?? '127.0.0.1:8080'),
    catalog: { ...DEFAULT_CATALOG, ...(fromFile.catalog ?? {}) },
    networks: fromFile.networks ?? DEFAULT_NETWORKS,
    auth: { maxSkewSeconds: 900, ...(fromFile.auth ?? {}) },
    tasks: { concurrency: 8, leaseMs: 15000, stepRetries: 3, ...(fromFile.tasks ?? {}) },
    reconciler: { intervalMs: 1000, ...(fromFile.reconciler ?? {}) },
    engine: { binDir: '', stopTimeoutMs: 30000, ...(fromFile.engine ?? {}) },
  };
  const errs = validateCatalog(cfg.catalog);
  if (errs.length) throw new Error(`invalid catalog in ${file}: ${errs.join('; ')}`);
  return cfg;
}
