/**
 * The disk guard (docs/storage.md): every storage.guardIntervalMs it measures every node's disk
 * (statfs of its volume), decides per instance with decideDiskGuard(), and acts: at
 * readOnlyAtPercent the node that takes writes gets read_only ON, before MariaDB would hang
 * commits on a full binlog; below writableBelowPercent (after ModifyDBInstanceSpec added disk)
 * it gets read_only OFF again. The state is stored per instance and shown by DescribeDBInstances
 * (DiskReadOnly, DiskUsedPercent). Setting read-only is safe at any time; lifting it waits until
 * no task runs on the instance (a switchover may be moving the writable node).
 * For archived instances it also counts, per node, the binlogs held back for the archive (not yet
 * archived, so not purged): named in its log lines and in /metrics.
 * A disk is measured again only when it could have reached the threshold since (diskProbeGapMs:
 * the room left at the fastest fill rate assumed, at most 30 s), so idle nodes cost almost nothing.
 */
import type { Logger } from 'pino';
import { PeriodicLoop } from '../common/periodic-loop.js';
import { adminTarget, primaryNode } from '../instances/nodes.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import type { InstanceSummary, Node } from '../store/store.js';
import { UnchangedCache } from '../common/unchanged-cache.js';
import { decideDiskGuard, diskProbeGapMs, usedPercent, type DiskGuardDecision } from './disk-decide.js';

/** Held-back binlogs of an archive that did not move are counted again after this long. */
const HELD_BACK_RECOUNT_MS = 60_000;
import { heldBackBytes } from '../archive/decide-archive.js';

/** Instances whose nodes the guard leaves alone: being made or being removed. */
const SKIP = new Set<string>([InstanceStatus.CREATING, InstanceStatus.DELETING, InstanceStatus.DELETED]);

/** The node that takes writes: a basic instance's node, an HA instance's primary; none for read-only instances. */
export function writableNode(inst: Pick<InstanceSummary, 'parent_uuid' | 'architecture'>, nodes: Node[]): Node | undefined {
  if (inst.parent_uuid) return undefined;
  return Number(inst.architecture) === 1 ? primaryNode(nodes) : nodes[0];
}

export class DiskGuard extends PeriodicLoop {
  constructor(private readonly svc: Services, log: Logger) {
    super('disk guard', log);
  }

  protected intervalMs(): number {
    return this.svc.config.storage.guardIntervalMs;
  }

  /** Per node: when its disk must be measured again (diskProbeGapMs); absent = at the next round. */
  private readonly probeAt = new Map<string, number>();
  /** The instance and node lists, kept while the store's change token says nothing was written. */
  private readonly lists = new UnchangedCache<{ insts: InstanceSummary[]; byInstance: Map<string, Node[]> }>(['instances', 'nodes']);

  async runOnce(): Promise<void> {
    const { store, provisioner, config } = this.svc;
    const { insts: all, byInstance } = await this.lists.get(store.backend, async () => {
      const insts = (await store.listInstanceSummaries()).filter((i) => !SKIP.has(i.status));
      const byInstance = new Map<string, Node[]>();
      for (const n of insts.length ? await store.listAllNodes() : []) {
        if (n.desired !== 'running') continue;
        byInstance.set(n.instance_uuid, [...(byInstance.get(n.instance_uuid) ?? []), n]);
      }
      return { insts, byInstance };
    });
    // Only instances whose disk can have crossed a threshold since it was measured, and every held
    // one (its writable node may have restarted with read_only OFF: reassert).
    const now = Date.now();
    const insts = all.filter((i) => Number(i.disk_read_only) === 1 || (byInstance.get(i.uuid) ?? []).some((n) => !((this.probeAt.get(n.id) ?? 0) > now)));
    this.forgetGone(byInstance);
    if (insts.length === 0) return;
    const limitOf = new Map(insts.map((i) => [i.uuid, i.disk_gb * config.storage.gbBytes]));
    const disks = await provisioner.diskStatus(
      insts.flatMap((i) => (byInstance.get(i.uuid) ?? []).map((n) => ({ nodeId: n.id, limitBytes: limitOf.get(i.uuid)! }))),
    );
    for (const [id, d] of disks) this.probeAt.set(id, now + diskProbeGapMs(d.usedBytes, d.totalBytes, config.storage.readOnlyAtPercent, config.storage.guardIntervalMs));
    const busy = await store.busyInstances();
    await this.countHeldBack(insts, byInstance);
    for (const inst of insts) {
      const nodes = byInstance.get(inst.uuid) ?? [];
      const measured = nodes.flatMap((n) => {
        const d = disks.get(n.id);
        return d ? [{ node: n.id, percent: usedPercent(d.usedBytes, d.totalBytes) }] : [];
      });
      const fullest = measured.sort((a, b) => b.percent - a.percent)[0];
      const held = Number(inst.disk_read_only) === 1;
      const writer = writableNode(inst, nodes);
      let writableNodeReadOnly: boolean | undefined;
      if (held && writer && !busy.has(inst.uuid)) {
        const v = await this.svc.engine.readVariables(adminTarget(this.svc, inst, writer), ['read_only']).catch(() => undefined);
        if (v?.read_only !== undefined) writableNodeReadOnly = v.read_only === 'ON' || v.read_only === '1';
      }
      const decision = decideDiskGuard(
        { percent: fullest?.percent, held, busy: busy.has(inst.uuid), writableNodeReadOnly, lastPercent: inst.disk_used_pct },
        config.storage,
      );
      try {
        await this.act(inst, writer, fullest, decision);
      } catch (err) {
        this.log.warn({ err, instance: inst.uuid }, 'disk guard could not act; retrying next round');
      }
    }
  }

  /**
   * Per node, the bytes of binlog files kept only because the binlog archive does not hold them
   * yet (decide-archive.ts heldBackBytes): on the disk like any file, counted in its usage; named
   * here so that a disk filled by a lagging archive says so (log, `openrds_archive_held_binlog_bytes`).
   */
  readonly heldBack = new Map<string, { instanceUuid: string; instanceName: string; bytes: number; forGtid: string; at: number }>();

  private async countHeldBack(insts: InstanceSummary[], byInstance: Map<string, Node[]>): Promise<void> {
    if (!this.svc.config.archive.enabled) return;
    const streams = new Map((await this.svc.store.recovery.listStreams()).map((r) => [r.instance_uuid, r]));
    for (const inst of insts) {
      const row = streams.get(inst.uuid);
      if (!row || row.status === 'off') continue;
      for (const n of byInstance.get(inst.uuid) ?? []) {
        // Listing costs a connection and a query per file: again only when the archive moved (what
        // it holds back changed) or a minute passed (the server rotated or wrote meanwhile).
        const last = this.heldBack.get(n.id);
        const now = Date.now();
        if (last && last.forGtid === row.archived_gtid && now - last.at < HELD_BACK_RECOUNT_MS) continue;
        const files = await this.svc.engine.listBinlogs(adminTarget(this.svc, inst, n)).catch(() => undefined);
        if (files) this.heldBack.set(n.id, { instanceUuid: inst.uuid, instanceName: inst.name, bytes: heldBackBytes(files, row.archived_gtid), forGtid: row.archived_gtid, at: now });
      }
    }
  }

  private forgetGone(byInstance: Map<string, Node[]>): void {
    const nodes = new Set([...byInstance.values()].flat().map((n) => n.id));
    for (const id of this.heldBack.keys()) if (!nodes.has(id)) this.heldBack.delete(id);
    if (this.probeAt.size <= 2 * byInstance.size + 16) return;
    const live = new Set([...byInstance.values()].flat().map((n) => n.id));
    for (const id of this.probeAt.keys()) if (!live.has(id)) this.probeAt.delete(id);
  }

  private async act(inst: InstanceSummary, writer: Node | undefined, fullest: { node: string; percent: number } | undefined, d: DiskGuardDecision): Promise<void> {
    const { store, engine, config } = this.svc;
    const pct = fullest ? Math.round(fullest.percent * 10) / 10 : undefined;
    const held = fullest ? this.heldBack.get(fullest.node)?.bytes : undefined;
    const ctx = { instance: inst.uuid, name: inst.name, node: fullest?.node, usedPercent: pct, disks: inst.disk_gb, ...(held ? { binlogHeldForArchiveBytes: held } : {}) };
    if (d.action === 'hold' || d.action === 'reassert') {
      // read_only first, then the record: a crash in between makes the next round do it again.
      if (writer) await engine.setReadOnly(adminTarget(this.svc, inst, writer), true);
      if (d.action === 'hold') {
        await store.updateInstance(inst.uuid, { disk_read_only: 1 });
        this.log.warn({ ...ctx, threshold: config.storage.readOnlyAtPercent },
          'disk nearly full: the instance is read-only until disk is added (ModifyDBInstanceSpec with DiskType and DiskValue)');
      } else this.log.warn(ctx, 'disk still nearly full: read-only set again (the server had restarted or failed over)');
    } else if (d.action === 'release') {
      if (writer) await engine.setReadOnly(adminTarget(this.svc, inst, writer), false);
      await store.updateInstance(inst.uuid, { disk_read_only: 0 });
      this.log.info({ ...ctx, threshold: config.storage.writableBelowPercent }, 'disk has room again: the instance accepts writes');
    }
    if (d.record !== undefined) await store.updateInstance(inst.uuid, { disk_used_pct: d.record });
  }
}
