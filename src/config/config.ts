/**
 * Configuration: embedded defaults, overridden by `<home>/config.json` (or OPENRDS_CONFIG).
 * Every section is optional in the file; a section given there replaces the default one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_CATALOG } from '../catalog/defaults.js';
import { validateCatalog, type Catalog } from '../catalog/catalog.js';
import { DEFAULT_NETWORKS, type Vdc } from '../network/network.js';
import { DEFAULT_HA_CONFIG, type HaConfig } from '../ha/ha-state.js';
import { DEFAULT_BACKUP_CONFIG, validateBackupConfig, type BackupConfig } from '../backups/backup-config.js';
import { DEFAULT_ARCHIVE_CONFIG, validateArchiveConfig, type ArchiveConfig } from '../archive/archive-config.js';
import { validateTls, type TlsConfig } from './tls-config.js';

export type ListenAddress = { host: string; port: number };

export interface Config {
  home: string;
  /**
   * The plain-HTTP listener; null = none (HTTPS only). Default 127.0.0.1:8080 when no TLS
   * listener is configured, else none. Off loopback it needs `insecureHttp` (src/api/listeners.ts).
   */
  listen: ListenAddress | null;
  /** The operator accepts plain HTTP on a non-loopback address (`--insecure-http`). */
  insecureHttp: boolean;
  /** HTTPS listener and its certificate (docs/operator-guide.md#https). */
  tls: TlsConfig;
  /**
   * The metadata store (src/store/open-store.ts): empty = the SQLite file <home>/openrds.db,
   * or postgres://… . From --store, else OPENRDS_STORE_URL, else `store.url` in the file.
   */
  store: { url: string };
  /**
   * Which host this serve node runs on (docs/cluster.md "Placement"): every database node it creates
   * records it, and a task acting on nodes is claimed only by a serve of their host. From
   * OPENRDS_HOST_ID, else `hostId` in the file, else os.hostname().
   */
  hostId: string;
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
  /** The continuous binlog archive and the restore window (docs/recovery.md). */
  archive: ArchiveConfig;
  /** Data volumes and the disk guard (docs/storage.md). */
  storage: StorageConfig;
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
    /** When set, GET /metrics requires `Authorization: Bearer <token>`; empty = open (trusted networks only). */
    prometheusToken: string;
  };
  engine: {
    /** Directory holding mariadbd / mariadb-install-db; empty = search PATH and /usr/sbin. */
    binDir: string;
    /** Stop timeout before SIGKILL. */
    stopTimeoutMs: number;
    /**
     * How long a started node may take to answer on its address before the step fails for good
     * (ensureNodeReady, docs/state-machines.md "Readiness bound"). Default 60 s.
     */
    readyTimeoutMs: number;
  };
}

export interface StorageConfig {
  /**
   * `auto`: a loop-mounted sparse XFS image per node where the host allows it (root, loop
   * devices, xfsprogs), else `watch`. `loop`: refuse to start without. `watch`: plain folders,
   * the disk guard measures their size against the DiskValue.
   */
  volumes: 'auto' | 'loop' | 'watch';
  /** Bytes that one GB of DiskValue stands for: 1 GiB. Tests set a few MiB to fill a disk quickly. */
  gbBytes: number;
  /** At this used share of a node's disk the instance is made read-only (MariaDB hangs commits when a binlog cannot grow). */
  readOnlyAtPercent: number;
  /** A read-only instance becomes writable again below this share (after ModifyDBInstanceSpec added disk). */
  writableBelowPercent: number;
  /** How often the disk guard measures every node (statfs: a few µs per node). */
  guardIntervalMs: number;
}

export const DEFAULT_STORAGE: StorageConfig = { volumes: 'auto', gbBytes: 1024 ** 3, readOnlyAtPercent: 95, writableBelowPercent: 90, guardIntervalMs: 500 };

export function validateStorage(s: StorageConfig): string[] {
  const errs: string[] = [];
  if (!['auto', 'loop', 'watch'].includes(s.volumes)) errs.push(`volumes must be auto, loop or watch, got ${JSON.stringify(s.volumes)}`);
  if (!(Number.isInteger(s.gbBytes) && s.gbBytes >= 1024 * 1024)) errs.push(`gbBytes must be an integer ≥ 1048576, got ${s.gbBytes}`);
  if (!(s.readOnlyAtPercent > 0 && s.readOnlyAtPercent <= 100)) errs.push(`readOnlyAtPercent must be in (0, 100], got ${s.readOnlyAtPercent}`);
  if (!(s.writableBelowPercent > 0 && s.writableBelowPercent <= s.readOnlyAtPercent)) errs.push(`writableBelowPercent must be in (0, readOnlyAtPercent], got ${s.writableBelowPercent}`);
  if (!(s.guardIntervalMs >= 100 && s.guardIntervalMs <= 60_000)) errs.push(`guardIntervalMs must be 100–60000, got ${s.guardIntervalMs}`);
  return errs;
}

export function parseListen(s: string, what = '--listen'): ListenAddress {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m || !m[1]) throw new Error(`${what} must be HOST:PORT, got ${s}`);
  const port = Number(m[2]);
  if (port < 0 || port > 65535) throw new Error(`${what} port out of range: ${s}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** What the command line says about the listeners; each overrides its env variable and config key. */
export interface ListenOptions {
  listen?: string;
  tlsListen?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

/** The config file as written: `listen` and `tls.listen` are "HOST:PORT" strings there. */
type FileConfig = Partial<Omit<Config, 'listen' | 'tls'>> & { listen?: string; tls?: Partial<Omit<TlsConfig, 'listen'>> & { listen?: string } };

function pathOf(given: string | undefined, inFile: unknown, file: string): string {
  if (given) return resolve(given);
  return typeof inFile === 'string' && inFile ? resolve(dirname(file), inFile) : '';
}

const envFlag = (v: string | undefined) => v !== undefined && /^(1|true|yes)$/i.test(v);

export function loadConfig(opts: { home?: string; configFile?: string; store?: string } & ListenOptions): Config {
  const home = resolve(opts.home ?? process.env.OPENRDS_HOME ?? './data');
  const file = opts.configFile ?? process.env.OPENRDS_CONFIG ?? join(home, 'config.json');
  const fromFile: FileConfig = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const env = process.env;
  const tlsListen = opts.tlsListen ?? env.OPENRDS_TLS_LISTEN ?? fromFile.tls?.listen ?? '';
  // HTTPS alone when only a TLS listener is asked for; both when --listen (or its env/config) is given too.
  const listen = opts.listen ?? env.OPENRDS_LISTEN ?? fromFile.listen ?? (tlsListen ? '' : '127.0.0.1:8080');
  const cfg: Config = {
    home,
    listen: listen ? parseListen(listen) : null,
    insecureHttp: opts.insecureHttp === true || envFlag(env.OPENRDS_INSECURE_HTTP) || fromFile.insecureHttp === true,
    tls: {
      names: [],
      ...(fromFile.tls ?? {}),
      listen: tlsListen ? parseListen(tlsListen, '--tls-listen') : null,
      // Paths from the command line or env are relative to the working directory, paths in the file to the file.
      cert: pathOf(opts.tlsCert ?? env.OPENRDS_TLS_CERT, fromFile.tls?.cert, file),
      key: pathOf(opts.tlsKey ?? env.OPENRDS_TLS_KEY, fromFile.tls?.key, file),
    },
    store: { url: opts.store ?? env.OPENRDS_STORE_URL ?? fromFile.store?.url ?? '' },
    hostId: env.OPENRDS_HOST_ID || fromFile.hostId || hostname(),
    catalog: { ...DEFAULT_CATALOG, ...(fromFile.catalog ?? {}) },
    networks: fromFile.networks ?? DEFAULT_NETWORKS,
    auth: { maxSkewSeconds: 900, ...(fromFile.auth ?? {}) },
    tasks: { concurrency: 8, leaseMs: 15000, stepRetries: 3, ...(fromFile.tasks ?? {}) },
    reconciler: { intervalMs: 1000, ...(fromFile.reconciler ?? {}) },
    ha: { ...DEFAULT_HA_CONFIG, ...(fromFile.ha ?? {}) },
    backups: { ...DEFAULT_BACKUP_CONFIG, ...(fromFile.backups ?? {}) },
    archive: { ...DEFAULT_ARCHIVE_CONFIG, ...(fromFile.archive ?? {}) },
    storage: { ...DEFAULT_STORAGE, ...(fromFile.storage ?? {}) },
    engine: { binDir: '', stopTimeoutMs: 30000, readyTimeoutMs: 60_000, ...(fromFile.engine ?? {}) },
    metrics: { enabled: true, intervalMs: 10_000, nodeTimeoutMs: 0, diskIntervalMs: 60_000, retentionIntervalMs: 600_000, prometheusToken: '', ...(fromFile.metrics ?? {}) },
  };
  const m = cfg.metrics;
  if (!(m.intervalMs >= 1000 && m.intervalMs <= 30_000)) throw new Error(`metrics.intervalMs must be 1000–30000 ms, got ${m.intervalMs} in ${file}`);
  // Default: half the interval, at most 5 s, so that a hung node never delays the next round.
  if (!m.nodeTimeoutMs) m.nodeTimeoutMs = Math.min(5000, Math.floor(m.intervalMs / 2));
  if (!(m.nodeTimeoutMs > 0 && m.nodeTimeoutMs < m.intervalMs)) throw new Error(`metrics.nodeTimeoutMs must be below metrics.intervalMs in ${file}`);
  const storageErrs = validateStorage(cfg.storage);
  if (storageErrs.length) throw new Error(`invalid storage section in ${file}: ${storageErrs.join('; ')}`);
  const backupErrs = validateBackupConfig(cfg.backups);
  if (backupErrs.length) throw new Error(`invalid backups section in ${file}: ${backupErrs.join('; ')}`);
  const archiveErrs = validateArchiveConfig(cfg.archive);
  if (archiveErrs.length) throw new Error(`invalid archive section in ${file}: ${archiveErrs.join('; ')}`);
  const tlsErrs = validateTls(cfg.tls);
  if (tlsErrs.length) throw new Error(`invalid tls settings (${file}, --tls-*): ${tlsErrs.join('; ')}`);
  const errs = validateCatalog(cfg.catalog);
  if (errs.length) throw new Error(`invalid catalog in ${file}: ${errs.join('; ')}`);
  return cfg;
}
