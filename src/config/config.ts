/**
 * Configuration: embedded defaults, overridden by `<home>/config.json` (or OPENRDS_CONFIG).
 * Every section is optional in the file; a section given there replaces the default one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CATALOG } from '../catalog/defaults.js';
import { validateCatalog, type Catalog } from '../catalog/catalog.js';
import { DEFAULT_NETWORKS, type Vdc } from '../network/network.js';
import { DEFAULT_HA_CONFIG, type HaConfig } from '../ha/ha-state.js';
import { DEFAULT_BACKUP_CONFIG, validateBackupConfig, type BackupConfig } from '../backups/backup-config.js';

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
  /** HA monitor, failover and read-only instance settings (docs/ha.md). */
  ha: HaConfig;
  /** Backups: storage folder, download URLs, retention, scheduler (docs/backups.md). */
  backups: BackupConfig;
  /** Monitoring (docs/monitoring.md). */
  metrics: {
    /** Collect metrics of every node; off leaves DescribeDBInstancePerformance with stored points only. */
    enabled: boolean;
    /** Sampling interval: 1,000–30,000 ms (a 30 s bucket needs at least one sample). */
    intervalMs: number;
    /** A node that has not answered within this gives a gap for this round (< intervalMs). */
    nodeTimeoutMs: number;
    /** How old a datadir size may be: walking a datadir costs ~1 ms, so it is not redone every round. */
    diskIntervalMs: number;
    /** How often old points are deleted. */
    retentionIntervalMs: number;
  };
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
    ha: { ...DEFAULT_HA_CONFIG, ...(fromFile.ha ?? {}) },
    backups: { ...DEFAULT_BACKUP_CONFIG, ...(fromFile.backups ?? {}) },
    engine: { binDir: '', stopTimeoutMs: 30000, ...(fromFile.engine ?? {}) },
    metrics: { enabled: true, intervalMs: 10_000, nodeTimeoutMs: 0, diskIntervalMs: 60_000, retentionIntervalMs: 600_000, ...(fromFile.metrics ?? {}) },
  };
  const m = cfg.metrics;
  if (!(m.intervalMs >= 1000 && m.intervalMs <= 30_000)) throw new Error(`metrics.intervalMs must be 1000–30000 ms, got ${m.intervalMs} in ${file}`);
  // Default: half the interval, at most 5 s, so that a hung node never delays the next round.
  if (!m.nodeTimeoutMs) m.nodeTimeoutMs = Math.min(5000, Math.floor(m.intervalMs / 2));
  if (!(m.nodeTimeoutMs > 0 && m.nodeTimeoutMs < m.intervalMs)) throw new Error(`metrics.nodeTimeoutMs must be below metrics.intervalMs in ${file}`);
  const backupErrs = validateBackupConfig(cfg.backups);
  if (backupErrs.length) throw new Error(`invalid backups section in ${file}: ${backupErrs.join('; ')}`);
  const errs = validateCatalog(cfg.catalog);
  if (errs.length) throw new Error(`invalid catalog in ${file}: ${errs.join('; ')}`);
  return cfg;
}
