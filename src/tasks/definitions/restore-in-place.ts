/**
 * StartBatchRollback (spec §4.26): a full physical backup of the instance restored over it in place
 * (docs/recovery.md "In place"). The instance (and each read-only instance) is RESTORING meanwhile;
 * the endpoint stays the same.
 *  1. stop-nodes        — read-only nodes, standby, primary: nothing writes while the data is replaced.
 *  2. restore-primary   — the backup (read whole and checked against its sha256) unpacked and prepared
 *                         as the primary's datadir; the GTID it recorded must be the backup's; the node
 *                         starts, writable, with its binlog history starting at that GTID.
 *  3. new-timeline      — the binlog archive continues on a new timeline from the backup's GTID.
 *  3. reseed-standby    — HA: the standby replaced by a copy of the restored primary, replicating.
 *  4. reseed-read-only  — each read-only instance likewise, from the restored primary.
 *  5. endpoint          — HA: the endpoint points at the primary; semi-sync back on.
 *  6. accounts          — the store's account rows made those of the restored grants.
 *  7. verify            — primary at the backup's GTID (or past it only by openrds' own heartbeats),
 *                         every copy replicating and caught up with the primary.
 *  8. mark-running      — read-only instances and the instance RUNNING.
 * Each step is idempotent; a control plane killed in any of them redoes it from its start.
 */
import { formatGtidPos, gtidCovers, parseGtidPos } from '../../engine/gtid.js';
import { parseHaState } from '../../ha/ha-state.js';
import { isReplicating, readReplicaHealth } from '../../ha/replication-health.js';
import { adminTarget, ensureNodeReady, primaryNode, replTarget, topologyOf } from '../../instances/nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import { backupReader } from '../../recovery/backup-source.js';
import type { Services } from '../../services.js';
import type { Instance, Node } from '../../store/store.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';

export const RESTORE_IN_PLACE_TASK = 'StartBatchRollback';

export interface RestoreInPlaceParams {
  backupId: string;
  /** The read-only instances taken over by the restore (RESTORING since the call). */
  readOnly: string[];
}

type Ctx = StepContext<RestoreInPlaceParams>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function load(ctx: Ctx) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError(`instance ${ctx.task.instance_uuid} is gone`);
  const nodes = await ctx.svc.store.listNodes(inst.uuid);
  const primary = primaryNode(nodes);
  if (!primary) throw new NonRetryableError(`instance ${inst.uuid} has no primary node`);
  const standbys = nodes.filter((n) => n.id !== primary.id);
  const readOnly: Array<{ inst: Instance; node: Node }> = [];
  for (const uuid of ctx.params.readOnly) {
    const ro = await ctx.svc.store.getInstanceAnyTenant(uuid);
    if (!ro || ro.deleted_at !== null) continue; // deleted meanwhile: nothing to re-seed
    for (const node of await ctx.svc.store.listNodes(uuid)) readOnly.push({ inst: ro, node });
  }
  return { inst, primary, standbys, readOnly };
}

/** The node becomes a copy of the restored primary and replicates from it. Idempotent. */
async function reseed(svc: Services, owner: Instance, node: Node, parent: Instance, primary: Node, diskGb: number): Promise<string> {
  await svc.provisioner.stop(node.id, 30_000);
  const { gtid } = await svc.provisioner.cloneFrom(primary.id, adminTarget(svc, parent, primary), { nodeId: node.id, diskGb });
  await ensureNodeReady(svc, owner, node);
  await svc.engine.startReplication(adminTarget(svc, owner, node), replTarget(svc, parent, primary), 'slave_pos', gtid);
  return gtid;
}

/** Waits until the copy replicates from the primary and has applied everything the primary had when asked. */
async function caughtUp(svc: Services, owner: Instance, node: Node, parent: Instance, primary: Node, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const target = adminTarget(svc, owner, node);
  for (;;) {
    const h = await readReplicaHealth(svc.engine, target, primary);
    if (isReplicating(h)) break;
    if (Date.now() > deadline) throw new Error(`node ${node.id} does not replicate from the restored primary: ${h.state} ${h.reason}`);
    await sleep(200);
  }
  const want = (await svc.engine.gtidState(adminTarget(svc, parent, primary))).binlogPos;
  if (!(await svc.engine.waitGtid(target, want, Math.max(1, Math.round((deadline - Date.now()) / 1000))))) {
    throw new Error(`node ${node.id} did not catch up with the restored primary (${want})`);
  }
}

export const restoreInPlaceTask: TaskDefinition<RestoreInPlaceParams> = {
  type: RESTORE_IN_PLACE_TASK,
  steps: [
    {
      name: 'stop-nodes',
      async run(ctx) {
        const { primary, standbys, readOnly } = await load(ctx);
        for (const { node } of readOnly) await ctx.svc.provisioner.stop(node.id, 30_000);
        for (const n of standbys) await ctx.svc.provisioner.stop(n.id, 30_000);
        await ctx.svc.provisioner.stop(primary.id, 30_000);
      },
    },
    {
      name: 'restore-primary',
      async run(ctx) {
        const { inst, primary } = await load(ctx);
        const b = await ctx.svc.store.backups.get(ctx.params.backupId);
        if (!b || b.status !== 'finished') throw new NonRetryableError(`backup ${ctx.params.backupId} is no longer available (${b?.status ?? 'deleted'})`);
        await ctx.svc.provisioner.stop(primary.id, 30_000); // running again when this step is redone
        const reader = backupReader(ctx.svc, b);
        const { gtid } = await ctx.svc.provisioner.restorePhysical({ nodeId: primary.id, diskGb: inst.disk_gb }, () => reader.open());
        reader.check();
        if (b.gtid && gtid !== b.gtid) throw new NonRetryableError(`backup ${b.id} restored at GTID ${gtid || '(none)'}, but it was recorded at ${b.gtid}`);
        await ensureNodeReady(ctx.svc, inst, primary);
        const t = adminTarget(ctx.svc, inst, primary);
        await ctx.svc.engine.promote(t); // a backup taken on a standby carries no replication to keep
        await ctx.svc.engine.startHistoryAt(t, b.gtid || gtid);
        ctx.state.gtid = b.gtid || gtid;
        // Promotion bookkeeping of the old history means nothing for the new one.
        const ha = parseHaState(inst.ha_state);
        delete ha.promotedAt;
        await ctx.svc.store.updateInstance(inst.uuid, { ha_state: JSON.stringify(ha), updated_at: ctx.svc.clock.now() });
        ctx.log.info({ backup: b.id, gtid: ctx.state.gtid, node: primary.id }, 'backup restored on the primary');
      },
    },
    {
      name: 'new-timeline',
      async run(ctx) {
        // The restored history is not the one archived so far: a new timeline, never spliced with the old.
        if (ctx.state.timeline !== undefined) return;
        const { inst, primary } = await load(ctx);
        const files = await ctx.svc.engine.listBinlogs(adminTarget(ctx.svc, inst, primary));
        ctx.state.timeline = await ctx.svc.store.recovery.startTimeline(inst.uuid, {
          source_node: primary.id, start_file: files[0]?.file ?? '', gtid: String(ctx.state.gtid ?? ''), now: ctx.svc.clock.now(),
        });
      },
    },
    {
      name: 'reseed-standby',
      async run(ctx) {
        const { inst, primary, standbys } = await load(ctx);
        for (const n of standbys) {
          const gtid = await reseed(ctx.svc, inst, n, inst, primary, inst.disk_gb);
          ctx.log.info({ node: n.id, gtid }, 'standby re-seeded from the restored primary');
        }
      },
    },
    {
      name: 'reseed-read-only',
      async run(ctx) {
        const { inst, primary, readOnly } = await load(ctx);
        for (const { inst: ro, node } of readOnly) {
          const gtid = await reseed(ctx.svc, ro, node, inst, primary, ro.disk_gb);
          ctx.log.info({ instance: ro.uuid, node: node.id, gtid }, 'read-only instance re-seeded from the restored primary');
        }
      },
    },
    {
      name: 'endpoint',
      async run(ctx) {
        const { inst, primary, standbys } = await load(ctx);
        if (topologyOf(inst) !== 'ha') return;
        await ctx.svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: primary.ip, port: primary.port });
        for (const n of standbys) await caughtUp(ctx.svc, inst, n, inst, primary, 60_000);
        const deadline = Date.now() + 30_000;
        while (!(await ctx.svc.engine.enableSemiSync(adminTarget(ctx.svc, inst, primary)))) {
          if (Date.now() > deadline) {
            ctx.log.warn('semi-sync did not come back ON within 30 s after the restore; the HA monitor reports it');
            break;
          }
          await sleep(200);
        }
      },
    },
    {
      name: 'accounts',
      async run(ctx) {
        const { inst, primary } = await load(ctx);
        const accounts = await ctx.svc.engine.listAccounts(adminTarget(ctx.svc, inst, primary));
        const r = await ctx.svc.store.recovery.replaceAccounts(inst.uuid, accounts, ctx.svc.clock.now());
        ctx.log.info(r, 'account rows reconciled with the restored grants');
      },
    },
    {
      name: 'verify',
      async run(ctx) {
        const { inst, primary, standbys, readOnly } = await load(ctx);
        const want = parseGtidPos(String(ctx.state.gtid ?? ''));
        const have = parseGtidPos((await ctx.svc.engine.gtidState(adminTarget(ctx.svc, inst, primary))).binlogPos);
        // The history starts at the backup's GTID; only openrds' heartbeat writes (semi-sync) may follow it.
        if (!gtidCovers(have, want)) throw new Error(`the restored primary is at ${formatGtidPos(have) || '(nothing)'}, not at the backup's ${formatGtidPos(want)}`);
        for (const n of standbys) await caughtUp(ctx.svc, inst, n, inst, primary, 60_000);
        for (const { inst: ro, node } of readOnly) await caughtUp(ctx.svc, ro, node, inst, primary, 60_000);
      },
    },
    {
      name: 'mark-running',
      async run(ctx) {
        const now = ctx.svc.clock.now();
        for (const uuid of ctx.params.readOnly) {
          await ctx.svc.store.updateInstance(uuid, { status: InstanceStatus.RUNNING, status_detail: '', updated_at: now });
        }
        await ctx.svc.store.updateInstance(ctx.task.instance_uuid, { status: InstanceStatus.RUNNING, status_detail: '', updated_at: now });
      },
    },
  ],
  async onError(ctx, err) {
    const now = ctx.svc.clock.now();
    const detail = `restore of backup ${ctx.params.backupId} failed: ${err.message}`.slice(0, 1000);
    for (const uuid of ctx.params.readOnly) {
      await ctx.svc.store.updateInstance(uuid, { status: InstanceStatus.ERROR, status_detail: detail, updated_at: now });
    }
    await ctx.svc.store.updateInstance(ctx.task.instance_uuid, { status: InstanceStatus.ERROR, status_detail: detail, updated_at: now });
  },
};
