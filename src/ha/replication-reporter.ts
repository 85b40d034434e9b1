/**
 * Where the loops that read replica status (the HA monitor for standbys, the node watchdog's
 * follow check for read-only instances) report what they classified:
 * - the latest observation of every node stays in memory, for /metrics (every round, exact);
 * - the instance's store record is rewritten only when shouldWrite() says so (docs/ha.md
 *   "Replication health"), so DescribeDBInstances stays a cheap, cached store read.
 */
import type { Store } from '../store/store.js';
import type { ReplicationHealth } from './replication-health.js';
import { parseReplicationRecord, shouldWrite, toRecord } from './replication-record.js';

/**
 * /metrics shows an observation this long: the loops look every 0.25 s (HA) or 1 s (read-only), so
 * an older one means nobody looks (a task runs on the instance) and its series disappear.
 */
export const METRICS_STALE_MS = 10_000;

export interface NodeReplication {
  instance: { uuid: string; name: string };
  node: { id: string; role: string };
  health: ReplicationHealth;
  /** When it was observed (epoch ms). */
  at: number;
}

export class ReplicationReporter {
  /** By instance uuid: one observed node per instance (the HA standby, the read-only node). */
  private readonly latest = new Map<string, NodeReplication>();
  /** Store writes made, for tests and the measurement in docs/ha.md. */
  writes = 0;

  constructor(private readonly store: Pick<Store, 'updateInstance'>, private readonly now: () => number) {}

  /**
   * Records one observation. `inst.replication` is the stored record as read this round (the row
   * the loop just listed), so the decision also holds after a restart of serve.
   */
  async observe(inst: { uuid: string; name: string; replication?: string | null }, node: { id: string; role: string }, health: ReplicationHealth): Promise<void> {
    const now = this.now();
    this.latest.set(inst.uuid, { instance: { uuid: inst.uuid, name: inst.name }, node: { id: node.id, role: node.role }, health, at: now });
    const prev = parseReplicationRecord(inst.replication);
    if (!shouldWrite(prev, node.id, health, now)) return;
    const json = JSON.stringify(toRecord(node.id, health, now, prev));
    await this.store.updateInstance(inst.uuid, { replication: json });
    inst.replication = json; // the caller's row is current again (a second observe() in one round sees it)
    this.writes++;
  }

  /** The latest observation per instance, seen within METRICS_STALE_MS (older ones are dropped). */
  current(): NodeReplication[] {
    const now = this.now();
    for (const [k, v] of this.latest) if (now - v.at > METRICS_STALE_MS) this.latest.delete(k);
    return [...this.latest.values()];
  }
}
