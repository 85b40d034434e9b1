/**
 * The metrics collector: every `metrics.intervalMs` (on ticks aligned to the clock, so each
 * 30 s bucket gets the same number of samples) it
 * - gathers the live instances and their nodes, then reads every node at once — process usage
 *   from the Provisioner, status counters from the Engine — each under its own deadline, so a
 *   hung node delays nobody and gives a gap (no reading), never a zero;
 * - decides with the pure deriveValues() and sampleRows();
 * - acts: adds the reporting node's rows to the instance's rollups and saves every node's
 *   reading (the base of the next rates, also after a restart of serve), in one transaction,
 *   then hands the round to the observer (Prometheus).
 * The reporting node is the primary of an HA instance and the only node otherwise
 * (docs/monitoring.md).
 */
import type { Logger } from 'pino';
import type { Target } from '../engine/engine.js';
import { adminTarget, primaryNode } from '../instances/nodes.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import type { MetricValues } from './definitions.js';
import { deriveValues, maxGapFor, type NodeReading } from './derive.js';
import { addRows, sampleRows, type PointRow } from './rollup.js';

/** One node's outcome in a round. */
export interface NodeOutcome {
  instance: Pick<Instance, 'uuid' | 'name'>;
  node: Pick<Node, 'id' | 'role'>;
  /** Whether this node's values go into the instance's stored series. */
  reporting: boolean;
  /** Absent when the node did not answer in time: a gap. */
  values?: MetricValues;
  error?: string;
}

export interface RoundReport {
  /** When the round was due and when it finished (epoch ms). */
  dueAt: number;
  doneAt: number;
  durationMs: number;
  nodes: NodeOutcome[];
}

/** Who wants each round's results (the Prometheus exporter). */
export interface RoundObserver {
  roundDone(r: RoundReport): void;
}

/** Instances in these states have no node worth reading: not made yet, or going away. */
const SKIP = new Set<string>([InstanceStatus.CREATING, InstanceStatus.DELETING, InstanceStatus.DELETED]);

interface Job {
  instance: Instance;
  node: Node;
  reporting: boolean;
  target: Target;
}

export class MetricsCollector {
  private readonly prev = new Map<string, NodeReading>();
  private loaded = false;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private round?: Promise<unknown>;
  private readonly failing = new Set<string>();

  constructor(private readonly svc: Services, private readonly log: Logger, private readonly observer?: RoundObserver) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    this.svc.engine.closeMonitoring();
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.svc.config.metrics.intervalMs;
    const now = Date.now();
    const due = Math.floor(now / every) * every + every;
    this.timer = setTimeout(() => {
      this.round = this.runOnce(due)
        .catch((err) => this.log.error({ err }, 'metrics round failed'))
        .finally(() => this.schedule());
    }, due - now);
  }

  /** One round: gather, read, decide, record. `dueAt` is when it was scheduled (for the lag). */
  async runOnce(dueAt = this.svc.clock.now()): Promise<RoundReport> {
    const t0 = performance.now();
    const { store } = this.svc;
    if (!this.loaded) await this.loadPrevious();
    const jobs = await this.gather();
    const readings = await Promise.all(jobs.map((j) => this.read(j)));

    const { pointRows, outcomes, saved } = this.decide(jobs, readings);
    const series = await store.metrics.seriesIds(new Set(pointRows.map((r) => r.uuid)), this.svc.clock.now());
    const points = pointRows.map(({ uuid, row }) => ({ ...row, series_id: series.get(uuid)! }));
    await store.metrics.record(points, saved);
    this.svc.engine.closeMonitoring(jobs.map((j) => j.target));

    const doneAt = this.svc.clock.now();
    const report: RoundReport = { dueAt, doneAt, durationMs: performance.now() - t0, nodes: outcomes };
    this.observer?.roundDone(report);
    return report;
  }

  private async loadPrevious(): Promise<void> {
    for (const r of await this.svc.store.metrics.lastReadings()) {
      try {
        this.prev.set(r.node_id, JSON.parse(r.reading) as NodeReading);
      } catch {
        /* unreadable: the next reading is a baseline */
      }
    }
    this.loaded = true;
  }

  private async gather(): Promise<Job[]> {
    const { store } = this.svc;
    const instances = (await store.listLiveInstances()).filter((i) => !SKIP.has(i.status));
    if (instances.length === 0) return [];
    const byInstance = new Map<string, Node[]>();
    for (const n of await store.listAllNodes()) {
      if (n.desired !== 'running') continue;
      const list = byInstance.get(n.instance_uuid) ?? [];
      list.push(n);
      byInstance.set(n.instance_uuid, list);
    }
    const jobs: Job[] = [];
    for (const inst of instances) {
      const nodes = byInstance.get(inst.uuid) ?? [];
      const reporting = primaryNode(nodes) ?? nodes[0];
      for (const node of nodes) jobs.push({ instance: inst, node, reporting: node === reporting, target: adminTarget(this.svc, inst, node) });
    }
    return jobs;
  }

  /** A node's reading, or an error message when it did not answer within the node timeout. */
  private async read(j: Job): Promise<NodeReading | string> {
    const { nodeTimeoutMs, diskIntervalMs } = this.svc.config.metrics;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no reading within ${nodeTimeoutMs} ms`)), nodeTimeoutMs);
      });
      const usageP = this.svc.provisioner.usage(j.node.id, { diskMaxAgeMs: diskIntervalMs });
      const countersP = this.svc.engine.statusCounters(j.target, nodeTimeoutMs);
      usageP.catch(() => {});
      countersP.catch(() => {});
      const [usage, c] = await Promise.race([Promise.all([usageP, countersP]), deadline]);
      return {
        at: this.svc.clock.now(),
        incarnation: usage?.incarnation, cpuSeconds: usage?.cpuSeconds, rssBytes: usage?.rssBytes, diskBytes: usage?.diskBytes,
        uptime: c.uptime, threadsConnected: c.threadsConnected, internalSessions: c.internalSessions, slowQueries: c.slowQueries,
        bytesReceived: c.bytesReceived, bytesSent: c.bytesSent,
      };
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    } finally {
      clearTimeout(timer);
    }
  }

  private decide(jobs: Job[], readings: Array<NodeReading | string>) {
    const maxGap = maxGapFor(this.svc.config.metrics.intervalMs);
    const rows = new Map<string, Map<string, PointRow>>();
    const outcomes: NodeOutcome[] = [];
    const saved: Array<{ node_id: string; at: number; reading: string }> = [];
    jobs.forEach((j, i) => {
      const r = readings[i]!;
      const base = { instance: { uuid: j.instance.uuid, name: j.instance.name }, node: { id: j.node.id, role: j.node.role }, reporting: j.reporting };
      if (typeof r === 'string') {
        outcomes.push({ ...base, error: r });
        if (!this.failing.has(j.node.id)) this.log.warn({ instance: j.instance.uuid, node: j.node.id, err: r }, 'node gave no metrics reading (a gap)');
        this.failing.add(j.node.id);
        return;
      }
      if (this.failing.delete(j.node.id)) this.log.info({ instance: j.instance.uuid, node: j.node.id }, 'node answers the metrics collector again');
      const values = deriveValues(this.prev.get(j.node.id), r, { cpu: j.instance.cpu, ramGb: j.instance.ram_gb, diskGb: j.instance.disk_gb, gbBytes: this.svc.config.storage.gbBytes }, maxGap);
      this.prev.set(j.node.id, r);
      saved.push({ node_id: j.node.id, at: r.at, reading: JSON.stringify(r) });
      outcomes.push({ ...base, values });
      if (j.reporting) {
        const m = rows.get(j.instance.uuid) ?? new Map<string, PointRow>();
        addRows(m, sampleRows(r.at, values));
        rows.set(j.instance.uuid, m);
      }
    });
    const live = new Set(jobs.map((j) => j.node.id));
    // Nodes gone from the round (deleted, or their instance is busy being deleted) are forgotten.
    for (const id of [...this.prev.keys()]) if (!live.has(id)) this.prev.delete(id);
    for (const id of [...this.failing]) if (!live.has(id)) this.failing.delete(id);
    const pointRows = [...rows].flatMap(([uuid, m]) => [...m.values()].map((row) => ({ uuid, row })));
    return { pointRows, outcomes, saved };
  }
}
