/**
 * Prometheus export (prom-client, on a registry of its own): the per-node gauges of the last
 * collector round, labelled instance_uuid, instance_name, node and role, and the control
 * plane's own metrics (tasks by status, API requests and latencies, collector duration and lag).
 * Names and meanings: docs/monitoring.md. Served by `metricsRoute` at GET /metrics.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiHooks } from '../api/server.js';
import type { MetricKey } from './definitions.js';
import type { RoundObserver, RoundReport } from './collector.js';
import { ReplicationState } from '../ha/replication-health.js';
import type { NodeReplication } from '../ha/replication-reporter.js';

const NODE_LABELS = ['instance_uuid', 'instance_name', 'node', 'role'] as const;
type NodeLabels = Record<(typeof NODE_LABELS)[number], string>;

/** Gauge name of each metric key (the slow-query counter is a Prometheus counter, below). */
const GAUGES: Record<Exclude<MetricKey, 'mysql_slow_queries'>, { name: string; help: string }> = {
  mysql_cpu_usage: { name: 'openrds_mysql_cpu_usage_percent', help: 'CPU time of the server process over the last interval, % of the spec\'s cores' },
  mysql_mem_usage: { name: 'openrds_mysql_mem_usage_percent', help: 'Resident memory of the server process, % of the spec\'s RAM' },
  mysql_space_usage: { name: 'openrds_mysql_space_usage_percent', help: 'Disk space of the datadir (data and binlogs), % of DiskValue' },
  mysql_network_trffice: { name: 'openrds_mysql_network_traffic_mb_per_second', help: 'Bytes_received + Bytes_sent per second over the last interval, MB/s (10^6 bytes)' },
  mysql_sessions: { name: 'openrds_mysql_sessions', help: 'Threads_connected, openrds\' own connections (admin and replication accounts) excluded' },
};

export interface PromOptions {
  /** Where task counts come from at scrape time. */
  countTasksByStatus(): Promise<Record<string, number>>;
  /** Action names that may appear as a label; others count as "other" (labels must stay bounded). */
  knownActions: Iterable<string>;
  /** The latest replication observation of each HA standby and read-only node (ReplicationReporter.current). */
  replication?(): NodeReplication[];
  /** The binlog archive (docs/recovery.md), read at scrape time: gaps recorded (store) and binlogs held back (disk guard). */
  archive?: {
    countGaps(): Promise<Array<{ instance_uuid: string; kind: string; n: number }>>;
    heldBack(): Array<{ instanceUuid: string; instanceName: string; node: string; bytes: number }>;
  };
  /** Node.js process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
}

export class PromMetrics implements RoundObserver {
  readonly registry = new Registry();
  readonly apiHooks: ApiHooks;
  private readonly gauges = new Map<MetricKey, Gauge<string>>();
  private readonly slow: Counter<string>;
  private readonly up: Gauge<string>;
  private readonly readings: Counter<string>;
  private readonly roundDuration: Histogram<string>;
  private readonly lag: Gauge<string>;
  private readonly lastRound: Gauge<string>;
  private lastLabels = new Map<string, NodeLabels>();

  constructor(opts: PromOptions) {
    const registers = [this.registry];
    for (const [key, g] of Object.entries(GAUGES)) {
      this.gauges.set(key as MetricKey, new Gauge({ name: g.name, help: g.help, labelNames: NODE_LABELS, registers }));
    }
    this.slow = new Counter({ name: 'openrds_mysql_slow_queries_total', help: 'Queries slower than long_query_time (1 s) seen by the collector since serve started', labelNames: NODE_LABELS, registers });
    this.up = new Gauge({ name: 'openrds_node_up', help: '1 when the node answered the last collector round, 0 when it gave a gap', labelNames: NODE_LABELS, registers });
    this.readings = new Counter({ name: 'openrds_collector_readings_total', help: 'Node readings by result: ok, or gap (the node did not answer in time)', labelNames: ['result'], registers });
    this.roundDuration = new Histogram({
      name: 'openrds_collector_round_duration_seconds', help: 'Duration of a collector round (every node read and the rollups written)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
    this.lag = new Gauge({ name: 'openrds_collector_lag_seconds', help: 'How late the last round finished after it was due', registers });
    this.lastRound = new Gauge({ name: 'openrds_collector_last_round_timestamp_seconds', help: 'When the last collector round finished (alert on time() minus this)', registers });

    const known = new Set(opts.knownActions);
    const requests = new Counter({ name: 'openrds_api_requests_total', help: 'API requests by action and result Code', labelNames: ['action', 'code'], registers });
    const latency = new Histogram({
      name: 'openrds_api_request_duration_seconds', help: 'API request latency by action', labelNames: ['action'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    });
    this.apiHooks = {
      onRequestDone(action, code, seconds) {
        const a = known.has(action) ? action : 'other';
        requests.inc({ action: a, code });
        latency.observe({ action: a }, seconds);
      },
    };
    new Gauge({
      name: 'openrds_tasks', help: 'Tasks in the store by status (NEW, DOING, FINISH, ERROR)', labelNames: ['status'], registers,
      async collect() {
        this.reset();
        for (const [status, n] of Object.entries(await opts.countTasksByStatus())) this.set({ status }, n);
      },
    });
    if (opts.replication) replicationGauges(opts.replication, registers);
    if (opts.archive) archiveGauges(opts.archive, registers);
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Replaces the per-node series with the round's: a node without values has none (a gap), and up 0. */
  roundDone(r: RoundReport): void {
    for (const g of this.gauges.values()) g.reset();
    this.up.reset();
    const seen = new Map<string, NodeLabels>();
    let ok = 0;
    for (const n of r.nodes) {
      const labels: NodeLabels = { instance_uuid: n.instance.uuid, instance_name: n.instance.name, node: n.node.id, role: n.node.role };
      seen.set(JSON.stringify(labels), labels);
      this.up.set(labels, n.values ? 1 : 0);
      if (!n.values) continue;
      ok++;
      for (const [key, g] of this.gauges) {
        const v = n.values[key];
        if (v !== undefined) g.set(labels, v);
      }
      this.slow.inc(labels, n.values.mysql_slow_queries ?? 0);
    }
    for (const [k, labels] of this.lastLabels) if (!seen.has(k)) this.slow.remove(labels);
    this.lastLabels = seen;
    this.readings.inc({ result: 'ok' }, ok);
    this.readings.inc({ result: 'gap' }, r.nodes.length - ok);
    this.roundDuration.observe(r.durationMs / 1000);
    this.lag.set(Math.max(0, r.doneAt - r.dueAt) / 1000);
    this.lastRound.set(r.doneAt / 1000);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function archiveGauges(a: NonNullable<PromOptions['archive']>, registers: Registry[]): void {
  new Gauge({
    name: 'openrds_archive_gaps', labelNames: ['instance_uuid', 'kind'], registers,
    help: 'Gaps in the binlog archive by instance, kind gap (events lost before they were archived: the restore window restarts after the next full backup) or errant (archived events a failover discarded); counted since the instance\'s archive began',
    async collect() {
      this.reset();
      for (const g of await a.countGaps()) this.set({ instance_uuid: g.instance_uuid, kind: g.kind }, g.n);
    },
  });
  new Gauge({
    name: 'openrds_archive_held_binlog_bytes', labelNames: ['instance_uuid', 'instance_name', 'node'], registers,
    help: 'Bytes of a node\'s binlog files kept only because the binlog archive does not hold them yet (measured by the disk guard)',
    collect() {
      this.reset();
      for (const h of a.heldBack()) this.set({ instance_uuid: h.instanceUuid, instance_name: h.instanceName, node: h.node }, h.bytes);
    },
  });
}

/**
 * Replication of every HA standby and read-only node, read at scrape time from the loops' latest
 * observations (every 0.25 s / 1 s), not from the bucketed store record. A value MariaDB does not
 * know (Seconds_Behind_Master NULL, a node that could not be asked) has no sample.
 */
function replicationGauges(current: () => NodeReplication[], registers: Registry[]): void {
  const labelsOf = (r: NodeReplication): NodeLabels => ({ instance_uuid: r.instance.uuid, instance_name: r.instance.name, node: r.node.id, role: r.node.role });
  const flag = (name: string, help: string, pick: (r: NodeReplication) => boolean | number | null) => new Gauge({
    name, help, labelNames: NODE_LABELS, registers,
    collect() {
      this.reset();
      for (const r of current()) {
        const v = pick(r);
        if (v !== null) this.set(labelsOf(r), Number(v));
      }
    },
  });
  flag('openrds_replica_seconds_behind_source', 'Seconds_Behind_Master of the standby / read-only node (no sample when MariaDB does not know it: a thread stopped, IO not connected)', (r) => r.health.secondsBehind);
  flag('openrds_replica_io_running', '1 when the replica IO thread runs (connected to its source), 0 when it is stopped or (re)connecting', (r) => r.health.ioRunning);
  flag('openrds_replica_sql_running', '1 when the replica SQL thread (the applier) runs, 0 when it is stopped', (r) => r.health.sqlRunning);
  new Gauge({
    name: 'openrds_replica_state', help: 'Replication state of the node (docs/ha.md "Replication health"): 1 for the current state, 0 for the others',
    labelNames: [...NODE_LABELS, 'state'], registers,
    collect() {
      this.reset();
      for (const r of current()) {
        for (const st of Object.values(ReplicationState)) this.set({ ...labelsOf(r), state: st }, r.health.state === st ? 1 : 0);
      }
    },
  });
}

/** GET /metrics, unauthenticated (docs/operator-guide.md: keep the API port on a trusted network). */
/**
 * GET /metrics. With `token` set, a scrape must send `Authorization: Bearer <token>` (Prometheus:
 * `authorization: { credentials: ... }`); otherwise 401. Without it the page is open: it lists
 * every tenant's instance names, so keep the port on a trusted network (docs/monitoring.md).
 */
export function metricsRoute(prom: PromMetrics, token = '') {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (app: FastifyInstance) => {
    app.get('/metrics', async (req, reply) => {
      if (token) {
        const got = Buffer.from(String(req.headers.authorization ?? ''));
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
          return reply.code(401).header('www-authenticate', 'Bearer realm="openrds metrics"')
            .send('401: /metrics needs "Authorization: Bearer <metrics.prometheusToken>" (set it in the Prometheus scrape config)\n');
        }
      }
      const { contentType, body } = await prom.render();
      return reply.header('content-type', contentType).send(body);
    });
  };
}
