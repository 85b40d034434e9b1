/**
 * RepairStandby: makes the standby a healthy, replicating copy of the primary again.
 *  1. start      — start the node (as a standby: read_only, and with the crash recovery that
 *                  truncates unacknowledged semi-sync transactions, NodeSpec.rejoinAsStandby).
 *  2. rejoin     — if it replicates already, done. Otherwise gather its GTID state and the
 *                  primary's, and decide (decideRejoin, src/ha/rejoin.ts): a subset of the
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
import { parseHaState } from '../../ha/ha-state.js';
import { countRejoin, decideRejoin } from '../../ha/rejoin.js';
import { adminTarget, ensureNodeReady, primaryNode, replTarget } from '../../instances/nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';
import { isReplicating, readReplicaHealth, ReplicationState, type ReplicationHealth } from '../../ha/replication-health.js';

export interface RepairStandbyParams {
  nodeId: string;
}

async function load(ctx: StepContext<RepairStandbyParams>) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError('instance is gone');
  const nodes = await ctx.svc.store.listNodes(inst.uuid);
  const standby = nodes.find((n) => n.id === ctx.params.nodeId);
  const primary = primaryNode(nodes);
  if (!standby || !primary || standby.id === primary.id) throw new NonRetryableError('standby or primary is gone');
  return { inst, standby, primary };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the standby's replication until it replicates from the primary (true) or `waitMs` ran out
 * (false). Gives up at once on BROKEN, and with `onlyIfMoving` on any state that does not change by
 * itself (not set up, stopped, another source): only CONNECTING (or not answering yet) is waited for.
 */
async function waitReplicating(ctx: StepContext<RepairStandbyParams>, waitMs: number, onlyIfMoving = false): Promise<{ ok: boolean; health: ReplicationHealth }> {
  const { inst, standby, primary } = await load(ctx);
  const deadline = Date.now() + waitMs;
  const moving: ReadonlySet<string> = new Set([ReplicationState.CONNECTING, ReplicationState.UNKNOWN]);
  for (;;) {
    const h = await readReplicaHealth(ctx.svc.engine, adminTarget(ctx.svc, inst, standby), primary);
    if (isReplicating(h)) return { ok: true, health: h };
    if (Date.now() > deadline || h.state === ReplicationState.BROKEN || (onlyIfMoving && !moving.has(h.state))) return { ok: false, health: h };
    await sleep(25);
  }
}

async function replicatingFromPrimary(ctx: StepContext<RepairStandbyParams>, waitMs: number): Promise<boolean> {
  return (await waitReplicating(ctx, waitMs)).ok;
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
        await ensureNodeReady(ctx.svc, inst, standby);
      },
    },
    {
      name: 'rejoin',
      async run(ctx) {
        const first = await waitReplicating(ctx, 1500, true);
        if (first.ok) {
          ctx.state.rebuild = false;
          return;
        }
        const { inst, standby, primary } = await load(ctx);
        const t = adminTarget(ctx.svc, inst, standby);
        const [mine, theirs] = await Promise.all([ctx.svc.engine.gtidState(t), ctx.svc.engine.gtidState(adminTarget(ctx.svc, inst, primary))]);
        const plan = decideRejoin({
          health: first.health,
          node: { binlogPos: mine.binlogPos, currentPos: mine.currentPos },
          primary: { binlogPos: theirs.binlogPos, serverId: primary.server_id },
          promotedAt: parseHaState(inst.ha_state).promotedAt,
        });
        if (plan.kind === 'replicating') {
          ctx.state.rebuild = false;
          return;
        }
        if (plan.kind === 'copy') return needCopy(ctx, plan.reason);
        await ctx.svc.engine.startReplication(t, replTarget(ctx.svc, inst, primary), 'current_pos');
        const after = await waitReplicating(ctx, 5000);
        if (!after.ok) return needCopy(ctx, `it did not replicate after rejoining at ${mine.currentPos || 'an empty position'}: ${after.health.state} ${after.health.reason}`);
        ctx.state.rebuild = false;
        ctx.log.info({ node: standby.id, binlogPos: mine.binlogPos, currentPos: mine.currentPos, primaryPos: theirs.binlogPos }, 'standby rejoined without a copy');
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
        await ensureNodeReady(ctx.svc, inst, standby);
        await ctx.svc.engine.startReplication(adminTarget(ctx.svc, inst, standby), replTarget(ctx.svc, inst, primary), 'slave_pos', gtid);
        ctx.log.info({ node: standby.id, gtid }, 'standby rebuilt from a copy of the primary');
      },
    },
    {
      name: 'wait-replicating',
      async run(ctx) {
        if (!(await replicatingFromPrimary(ctx, 30_000))) throw new Error('standby is not replicating from the primary');
        const { inst, primary } = await load(ctx);
        const deadline = Date.now() + 15_000;
        while (!(await ctx.svc.engine.enableSemiSync(adminTarget(ctx.svc, inst, primary)))) {
          if (Date.now() > deadline) {
            ctx.log.warn('semi-sync did not come back ON within 15 s; the HA monitor reports it');
            break;
          }
          await sleep(200);
        }
        // Counted once per task: how many repairs still needed a full copy (DescribeDBInstances).
        const fresh = await ctx.svc.store.getInstanceAnyTenant(inst.uuid);
        const ha = parseHaState(fresh?.ha_state);
        const counted = countRejoin(ha, ctx.task.id, ctx.state.rebuild ? String(ctx.state.copyReason ?? 'unknown') : undefined);
        if (counted !== ha) await ctx.svc.store.updateInstance(inst.uuid, { ha_state: JSON.stringify(counted) });
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
