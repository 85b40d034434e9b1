/**
 * RepairStandby: makes the standby a healthy, replicating copy of the primary again.
 *  1. start      — start the node (as a standby: read_only, and with the crash recovery that
 *                  truncates unacknowledged semi-sync transactions, NodeSpec.rejoinAsStandby).
 *  2. rejoin     — if it replicates already, done. Otherwise gather its GTID state and the
 *                  primary's, and decide (rejoinStandby in src/ha/standby-rejoin.ts, the code the
 *                  Failover task rejoins the old primary with; decideRejoin): a subset of the
 *                  primary's history rejoins with MASTER_USE_GTID=current_pos, without a copy;
 *                  anything else (errant commits, broken replication) needs a copy, with the
 *                  reason logged and shown in StatusDetail.
 *  3. rebuild    — when needed: stop it, replace its datadir with a mariadb-backup copy of the
 *                  primary, start it and replicate from the copy's GTID position.
 *  4. wait       — replication threads running; semi-sync turned back on at the primary (a
 *                  heartbeat write makes the standby acknowledge, so it switches ON at once);
 *                  the repair is counted (HaState.rejoins: how many needed a full copy).
 * See docs/ha.md "Rejoin after a failover" and docs/state-machines.md.
 */
import { completeRejoin, rejoinStandby, waitReplicating, type RejoinPair } from '../../ha/standby-rejoin.js';
import { adminTarget, ensureNodeReady, primaryNode, replTarget } from '../../instances/nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';

export interface RepairStandbyParams {
  nodeId: string;
}

async function load(ctx: StepContext<RepairStandbyParams>): Promise<RejoinPair> {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError('instance is gone');
  const nodes = await ctx.svc.store.listNodes(inst.uuid);
  const standby = nodes.find((n) => n.id === ctx.params.nodeId);
  const primary = primaryNode(nodes);
  if (!standby || !primary || standby.id === primary.id) throw new NonRetryableError('standby or primary is gone');
  return { svc: ctx.svc, inst, standby, primary, log: ctx.log };
}

/** The repair needs a full copy: logged, kept for the count, and shown in StatusDetail meanwhile. */
async function needCopy(ctx: StepContext<RepairStandbyParams>, reason: string): Promise<void> {
  ctx.state.rebuild = true;
  ctx.state.copyReason = reason;
  ctx.log.warn({ node: ctx.params.nodeId, reason }, 'standby cannot rejoin without a copy; rebuilding it from a full copy of the primary');
  await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
    status_detail: `rebuilding standby ${ctx.params.nodeId} from a full copy: ${reason}`.slice(0, 1000), updated_at: ctx.svc.clock.now(),
  });
}

export const repairStandbyTask: TaskDefinition<RepairStandbyParams> = {
  type: 'RepairStandby',
  steps: [
    {
      name: 'start',
      async run(ctx) {
        const { inst, standby } = await load(ctx);
        await ensureNodeReady(ctx.svc, inst, standby, undefined, ctx.fence);
      },
    },
    {
      name: 'rejoin',
      async run(ctx) {
        const out = await rejoinStandby(await load(ctx), ctx.fence);
        if (out.kind === 'copy') return needCopy(ctx, out.reason);
        ctx.state.rebuild = false;
      },
    },
    {
      name: 'rebuild',
      async run(ctx) {
        if (!ctx.state.rebuild) return;
        const { inst, standby, primary } = await load(ctx);
        await ctx.fence.assert();
        await ctx.svc.provisioner.fence(standby.id);
        const { gtid } = await ctx.svc.provisioner.cloneFrom(primary.id, adminTarget(ctx.svc, inst, primary), { nodeId: standby.id, diskGb: inst.disk_gb });
        await ensureNodeReady(ctx.svc, inst, standby, undefined, ctx.fence);
        await ctx.fence.assert();
        await ctx.svc.engine.startReplication(adminTarget(ctx.svc, inst, standby), replTarget(ctx.svc, inst, primary), 'slave_pos', gtid);
        ctx.log.info({ node: standby.id, gtid }, 'standby rebuilt from a copy of the primary');
      },
    },
    {
      name: 'wait-replicating',
      async run(ctx) {
        const pair = await load(ctx);
        if (!(await waitReplicating(pair, 30_000)).ok) throw new Error('standby is not replicating from the primary');
        // Counted once per task: how many repairs still needed a full copy (DescribeDBInstances).
        await completeRejoin(pair, ctx.task.id, ctx.state.rebuild ? String(ctx.state.copyReason ?? 'unknown') : undefined, ctx.fence);
      },
    },
    markRunningStep(),
  ],
  async onError(ctx, err) {
    // The primary still serves: the instance stays usable, only without a standby.
    await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
      status: InstanceStatus.RUNNING, status_detail: `standby repair failed: ${err.message}; it is retried`.slice(0, 1000),
      updated_at: ctx.svc.clock.now(),
    });
  },
};
