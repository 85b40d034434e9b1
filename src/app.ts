/**
 * The composition root of `openrds serve`: builds the ports, the task runner, the reconcilers
 * and the HTTP server, and tears them down in order. Database processes are left running.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { ACTIONS } from './actions/index.js';
import { prepareListeners } from './api/listeners.js';
import { buildServer } from './api/server.js';
import type { Config } from './config/config.js';
import { MariaDbEngine } from './engine/mariadb/mariadb-engine.js';
import { homePaths, openHomeStore, openMasterKey } from './home.js';
import { takeLock } from './serve-lock.js';
import { Membership } from './cluster/membership.js';
import { parseStoreUrl, redactUrl } from './store/open-store.js';
import { LocalProvisioner } from './provisioner/local/local-provisioner.js';
import { ClientBinlogStreams } from './provisioner/local/binlog-client-streams.js';
import { FileBinlogStreams } from './provisioner/local/binlog-file-streams.js';
import { BINLOG_BASENAME } from './engine/mariadb/profile/mycnf.js';
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
import { createFirstKey } from './tenants/keys.js';
import { BackupScheduler, BackupService, downloadRoute, LocalBackupStorage } from './backups/index.js';
import { consoleRoute } from './console/route.js';

export interface RunningApp {
  /** The plain-HTTP listener's base URL, else the HTTPS one's. */
  url: string;
  tlsUrl?: string;
  svc: Services;
  runner: TaskRunner;
  /** This serve node's member row, loop leases and loop fences (docs/cluster.md). */
  membership: Membership;
  /** The default tenant's key when this start created it (the first start of a store). */
  createdKey?: { AccessKeyId: string; AccessKeySecret: string };
  close(): Promise<void>;
}

export async function startApp(cfg: Config, log: Logger = pino({ name: 'openrds' })): Promise<RunningApp> {
  // Refuses plain HTTP off loopback before the home is touched.
  const listeners = prepareListeners(cfg, log);
  const paths = homePaths(cfg.home);
  const loc = parseStoreUrl(cfg.store.url, paths.db);
  const releaseLock = takeLock(paths.serves, loc.backend === 'sqlite' ? { backend: 'sqlite', store: loc.file } : { backend: 'postgres', store: redactUrl(loc.url) });
  let store;
  try {
    store = await openHomeStore(cfg.home, cfg.store.url);
  } catch (e) {
    releaseLock();
    throw e;
  }
  const engine = new MariaDbEngine();
  // The member id is the owner of this node's task and loop leases.
  const owner = `serve-${process.pid}-${randomBytes(4).toString('hex')}`;
  let runner: TaskRunner | undefined;
  const backupsDir = cfg.backups.dir || join(cfg.home, 'backups');
  const backupStorage = new LocalBackupStorage(backupsDir);
  await backupStorage.init();
  const provisioner = new LocalProvisioner(cfg.home, engine, cfg.engine.binDir, cfg.storage, log);
  const svc: Services = {
    config: cfg, store, engine, endpoints: new NftEndpoints(cfg.home), provisioner, masterKey: openMasterKey(cfg.home),
    clock: systemClock, log, engineVersion: await provisioner.engineVersion(),
    // Here at once; on the other serve nodes through the store's announcement (PostgreSQL NOTIFY).
    kickTasks: () => {
      runner?.kick();
      store.announceTasks().catch((err) => log.warn({ err }, 'could not announce the task to the other serve nodes; they find it at their next poll'));
    },
    backups: new BackupService(backupStorage, cfg.backups, openMasterKey(cfg.home)),
  };
  const caps = provisioner.capabilities;
  if (caps.compute.limit === 'advisory') log.warn({ reason: caps.compute.detail }, 'CPU/RAM limits are advisory: only the engine settings follow the spec');
  else log.info({ limits: caps.compute.mechanism, how: caps.compute.detail }, 'CPU/RAM limits enforced');
  if (caps.disk.limit === 'measured') log.warn({ reason: caps.disk.detail }, 'disk limits are watched, not enforced by a filesystem');
  else log.info({ volumes: caps.disk.mechanism, how: caps.disk.detail }, 'disk limits enforced by a volume per node');
  runner = new TaskRunner(svc, owner, log.child({ part: 'tasks' }));
  for (const d of TASK_DEFINITIONS) runner.register(d);

  // On SQLite this is the only serve (the serve lock): any lease left is from a previous life of the
  // home. On PostgreSQL other nodes may hold live leases: the membership's ticks free only those of
  // members whose heartbeat stopped (docs/cluster.md).
  if (store.backend.name === 'sqlite') {
    const resumed = await store.expireAllLeases();
    if (resumed) log.warn({ tasks: resumed }, 'resuming tasks left unfinished by a previous run');
    for (const m of await store.cluster.listMembers()) {
      await store.cluster.releaseLoops(m.id); // a killed predecessor's loops start here at once
      await store.cluster.removeMember(m.id);
    }
  }
  const adopted = await store.adoptHostlessNodes(cfg.hostId);
  if (adopted) log.info({ nodes: adopted, host: cfg.hostId }, 'database nodes from before host placement recorded as this host\'s');

  const endpoints = await restoreEndpoints(svc, log);
  if (endpoints) log.info({ endpoints, table: svc.endpoints.kind }, 'HA endpoints restored from the store');

  const replication = new ReplicationReporter(store, () => svc.clock.now());
  const watchdog = new NodeWatchdog(svc, log.child({ part: 'watchdog' }), replication);
  const haMonitor = new HaMonitor(svc, log.child({ part: 'ha' }), replication);
  const diskGuard = new DiskGuard(svc, log.child({ part: 'disk-guard' }));
  const prom = new PromMetrics({
    countTasksByStatus: () => store.countTasksByStatus(), knownActions: ACTIONS.keys(), replication: () => replication.current(),
    archive: {
      countGaps: () => store.recovery.countGaps(),
      heldBack: () => [...diskGuard.heldBack].map(([node, h]) => ({ node, ...h })),
    },
  });
  const collector = cfg.metrics.enabled ? new MetricsCollector(svc, log.child({ part: 'metrics' }), prom) : undefined;
  const retention = new RetentionJob(store, svc.clock, cfg.metrics.retentionIntervalMs, log.child({ part: 'metrics' }));
  const app = buildServer(svc, ACTIONS, prom.apiHooks);
  await app.register(metricsRoute(prom, cfg.metrics.prometheusToken));
  await app.register(downloadRoute(svc));
  await app.register(consoleRoute(log));
  const listening = await listeners.start(app);
  const { url, tlsUrl } = listening;
  svc.backups.setListenUrl(listening.downloadBase);
  // Only once the listeners are bound: a serve that cannot listen (EADDRINUSE) makes no key.
  let createdKey: RunningApp['createdKey'];
  const k = (await store.countKeys()) === 0 ? await createFirstKey(store) : undefined;
  if (k) {
    createdKey = k;
    process.stdout.write(`\nopenrds: created the default tenant and access key (shown only this once):\n` +
      `  AccessKeyId:     ${k.AccessKeyId}\n  AccessKeySecret: ${k.AccessKeySecret}\n\n` +
      `  export OPENRDS_ACCESS_KEY_ID=${k.AccessKeyId}\n  export OPENRDS_ACCESS_KEY_SECRET=${k.AccessKeySecret}\n\n`);
    log.info({ accessKeyId: k.AccessKeyId, tenant: 'default' }, 'default access key created');
  }
  const backupScheduler = new BackupScheduler(svc, log.child({ part: 'backups' }));
  // The binlog archive (docs/recovery.md): its streams outlive serve (a restarted serve adopts them);
  // the loop supervises them. The spool is on the archive's storage, beside the backups, unless configured.
  const spoolDir = cfg.archive.spoolDir || join(backupsDir, '.binlog-spool');
  const streams = cfg.archive.stream === 'replication'
    ? new ClientBinlogStreams(spoolDir, cfg.engine.binDir)
    : new FileBinlogStreams(spoolDir, { dir: (nodeId) => provisioner.paths(nodeId).datadir, indexName: `${BINLOG_BASENAME}.index` }, cfg.archive.intervalMs, cfg.archive.sourceCheckIdleMs);
  const archiver = new Archiver(svc, streams, log.child({ part: 'archive' }));
  // Each loop runs only while this node holds its lease: one owner per host for the loops that act
  // on this host's database processes, one owner in all for the others.
  const membership = new Membership(store, {
    id: owner, hostId: cfg.hostId, pid: process.pid, listen: [url, tlsUrl].filter(Boolean).join(' '), startedAt: Date.now(),
  }, log.child({ part: 'cluster' }), undefined, cfg.tasks.leaseMs);
  membership.addLoop('node-watchdog', 'host', watchdog);
  membership.addLoop('disk-guard', 'host', diskGuard);
  if (collector) membership.addLoop('metrics-collector', 'host', collector);
  haMonitor.fence = membership.fence(membership.addLoop('ha-monitor', 'global', haMonitor));
  haMonitor.memberId = membership.id;
  membership.addLoop('backup-scheduler', 'global', backupScheduler);
  membership.addLoop('retention', 'global', retention);
  membership.addLoop('archiver', 'host', archiver);
  await membership.start();
  runner.start();
  log.info({ url, tlsUrl, home: cfg.home, engine: `MariaDB ${svc.engineVersion}`, member: owner, host: cfg.hostId, loops: membership.owned() }, 'listening');

  return {
    url, tlsUrl, svc, runner, membership, createdKey,
    async close() {
      await listening.close();
      // Loops stop and their leases go at once: another node takes them at its next tick.
      await membership.stop();
      await svc.backups.close(svc.provisioner); // running backup jobs end; the next serve takes them again
      await runner!.stop();
      const freed = await store.releaseTaskLeases(owner).catch(() => 0);
      if (freed) log.info({ tasks: freed }, 'task leases handed over to the other serve nodes');
      await membership.leave();
      svc.engine.closeMonitoring(); // the long-lived monitoring and probe connections
      await store.close();
      releaseLock();
      log.info('stopped; database processes keep running');
    },
  };
}
