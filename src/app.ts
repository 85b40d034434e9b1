/**
 * The composition root of `openrds serve`: builds the ports, the task runner, the reconcilers
 * and the HTTP server, and tears them down in order. Database processes are left running.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { ACTIONS } from './actions/index.js';
import { prepareListeners } from './api/listeners.js';
import { buildServer } from './api/server.js';
import type { Config } from './config/config.js';
import { MariaDbEngine } from './engine/mariadb/mariadb-engine.js';
import { homePaths, openHomeStore, openMasterKey } from './home.js';
import { takeLock } from './serve-lock.js';
import { LocalProvisioner } from './provisioner/local/local-provisioner.js';
import { LocalNodeRestore } from './provisioner/local/local-node-restore.js';
import { LocalBinlogStreams } from './provisioner/local/local-binlog-streams.js';
import { Archiver } from './archive/archiver.js';
import { DiskGuard } from './reconciler/disk-guard.js';
import { NodeWatchdog } from './reconciler/node-watchdog.js';
import { MetricsCollector } from './metrics/collector.js';
import { metricsRoute, PromMetrics } from './metrics/prometheus.js';
import { RetentionJob } from './metrics/retention.js';
import { HaMonitor } from './ha/ha-monitor.js';
import { ReplicationReporter } from './ha/replication-reporter.js';
import { NftEndpoints } from './endpoints/nftables/nft-endpoints.js';
import { restoreEndpoints } from './ha/restore-endpoints.js';
import { systemClock, type Services } from './services.js';
import { TASK_DEFINITIONS } from './tasks/definitions/index.js';
import { TaskRunner } from './tasks/runner.js';
import { createKey } from './tenants/keys.js';
import { BackupScheduler, BackupService, downloadRoute, LocalBackupStorage } from './backups/index.js';

export interface RunningApp {
  /** The plain-HTTP listener's base URL, else the HTTPS one's. */
  url: string;
  tlsUrl?: string;
  svc: Services;
  runner: TaskRunner;
  close(): Promise<void>;
}

export async function startApp(cfg: Config, log: Logger = pino({ name: 'openrds' })): Promise<RunningApp> {
  // Refuses plain HTTP off loopback before the home is touched.
  const listeners = prepareListeners(cfg, log);
  const paths = homePaths(cfg.home);
  const store = await openHomeStore(cfg.home, cfg.store.url);
  takeLock(paths.lock);
  const engine = new MariaDbEngine(cfg.engine.binDir);
  const owner = `serve-${process.pid}-${randomBytes(4).toString('hex')}`;
  let runner: TaskRunner | undefined;
  const backupsDir = cfg.backups.dir || join(cfg.home, 'backups');
  const backupStorage = new LocalBackupStorage(backupsDir);
  await backupStorage.init();
  const provisioner = new LocalProvisioner(cfg.home, engine, cfg.engine.binDir, cfg.storage, log);
  const svc: Services = {
    config: cfg, store, engine, endpoints: new NftEndpoints(cfg.home), provisioner, masterKey: openMasterKey(cfg.home),
    restore: new LocalNodeRestore(provisioner, join(cfg.home, 'restore-work'), cfg.engine.binDir),
    clock: systemClock, log, engineVersion: await engine.installedVersion(), kickTasks: () => runner?.kick(),
    backups: new BackupService(backupStorage, cfg.backups, openMasterKey(cfg.home)),
  };
  if (svc.provisioner.limitsEnforced === 'advisory') {
    log.warn('CPU/RAM limits are advisory: no writable cgroup v1 or v2 here, only the engine settings follow the spec');
  } else log.info({ limits: svc.provisioner.limitsEnforced }, 'CPU/RAM limits enforced by cgroups');
  if (svc.provisioner.volumes === 'watch') log.warn({ reason: svc.provisioner.volumesReason }, 'disk limits are watched, not enforced by a filesystem');
  else log.info({ volumes: svc.provisioner.volumes }, 'disk limits enforced by a loop-mounted XFS volume per node');
  runner = new TaskRunner(svc, owner, log.child({ part: 'tasks' }));
  for (const d of TASK_DEFINITIONS) runner.register(d);

  if ((await store.countKeys()) === 0) {
    const k = await createKey(store, 'default');
    process.stdout.write(`\nopenrds: created the default tenant and access key (shown only this once):\n` +
      `  AccessKeyId:     ${k.AccessKeyId}\n  AccessKeySecret: ${k.AccessKeySecret}\n\n`);
    log.info({ accessKeyId: k.AccessKeyId, tenant: 'default' }, 'default access key created');
  }
  // Single-node control plane: any lease left in the store is from a previous life of this home.
  const resumed = await store.expireAllLeases();
  if (resumed) log.warn({ tasks: resumed }, 'resuming tasks left unfinished by a previous run');

  const endpoints = await restoreEndpoints(svc, log);
  if (endpoints) log.info({ endpoints, table: svc.endpoints.kind }, 'HA endpoints restored from the store');

  const replication = new ReplicationReporter(store, () => svc.clock.now());
  const watchdog = new NodeWatchdog(svc, log.child({ part: 'watchdog' }), replication);
  const haMonitor = new HaMonitor(svc, log.child({ part: 'ha' }), replication);
  const diskGuard = new DiskGuard(svc, log.child({ part: 'disk-guard' }));
  const prom = new PromMetrics({ countTasksByStatus: () => store.countTasksByStatus(), knownActions: ACTIONS.keys(), replication: () => replication.current() });
  const collector = cfg.metrics.enabled ? new MetricsCollector(svc, log.child({ part: 'metrics' }), prom) : undefined;
  const retention = new RetentionJob(store, svc.clock, cfg.metrics.retentionIntervalMs, log.child({ part: 'metrics' }));
  const app = buildServer(svc, ACTIONS, prom.apiHooks);
  await app.register(metricsRoute(prom, cfg.metrics.prometheusToken));
  await app.register(downloadRoute(svc));
  const listening = await listeners.start(app);
  const { url, tlsUrl } = listening;
  svc.backups.setListenUrl(listening.downloadBase);
  const backupScheduler = new BackupScheduler(svc, log.child({ part: 'backups' }));
  // The binlog archive (docs/recovery.md): its streams run detached and outlive serve; the loop
  // supervises them. The spool is on the archive's storage, beside the backups, unless configured.
  const archiver = new Archiver(svc, new LocalBinlogStreams(cfg.archive.spoolDir || join(backupsDir, '.binlog-spool'), cfg.engine.binDir), log.child({ part: 'archive' }));
  runner.start();
  watchdog.start();
  diskGuard.start();
  collector?.start();
  retention.start();
  haMonitor.start();
  backupScheduler.start();
  archiver.start();
  log.info({ url, tlsUrl, home: cfg.home, engine: `MariaDB ${svc.engineVersion}` }, 'listening');

  return {
    url, tlsUrl, svc, runner,
    async close() {
      await listening.close();
      await watchdog.stop();
      await diskGuard.stop();
      await collector?.stop();
      await retention.stop();
      await haMonitor.stop();
      await backupScheduler.stop();
      await archiver.stop(); // its streams keep running; the next serve adopts them
      await svc.backups.close(svc.provisioner); // running backup jobs end; the next serve takes them again
      await runner!.stop();
      svc.engine.closeMonitoring(); // the long-lived monitoring and probe connections
      await store.close();
      rmSync(paths.lock, { force: true });
      log.info('stopped; database processes keep running');
    },
  };
}
