/**
 * RepairStandby: makes the standby a healthy, replicating copy of the primary again.
 *  1. start      — start the node (as a standby: read_only) if it is down.
 *  2. rejoin     — if it replicates already, done. Otherwise compare its GTIDs with the position
 *                  the primary had when it was promoted: errant transactions (an old primary's
 *                  writes that never reached the standby) mean it must be rebuilt; else point it
 *                  at the primary with MASTER_USE_GTID=current_pos.
 *  3. rebuild    — when needed: stop it, replace its datadir with a mariadb-backup copy of the
 *                  primary, start it and replicate from the copy's GTID position.
 *  4. wait       — replication threads running; semi-sync turned back on at the primary (a
 *                  heartbeat write makes the standby acknowledge, so it switches ON at once).
 */
import { errantTransactions, parseGtidPos } from '../../engine/gtid.js';
import { parseHaState } from '../../ha/ha-state.js';
import { adminTarget, ensureNodeReady, primaryNode, replTarget } from '../../instances/nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';
import { classifyReplica, isReplicating, readReplicaHealth, ReplicationState } from '../../ha/replication-health.js';

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

async function replicatingFromPrimary(ctx: StepContext<RepairStandbyParams>, waitMs: number): Promise<boolean> {
  const { inst, standby, primary } = await load(ctx);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const h = await readReplicaHealth(ctx.svc.engine, adminTarget(ctx.svc, inst, standby), primary);
    if (isReplicating(h)) return true;
    if (Date.now() > deadline || h.state === ReplicationState.BROKEN) return false;
    await sleep(100);
  }
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
        if (await replicatingFromPrimary(ctx, 1500)) {
          ctx.state.rebuild = false;
          return;
        }
        const { inst, standby, primary } = await load(ctx);
        const t = adminTarget(ctx.svc, inst, standby);
        const mine = parseGtidPos((await ctx.svc.engine.gtidState(t)).binlogPos);
        const promotedAt = parseHaState(inst.ha_state).promotedAt;
        const errant = promotedAt === undefined ? [] : errantTransactions(mine, parseGtidPos(promotedAt));
        const rs = await ctx.svc.engine.replicaStatus(t);
        if (errant.length || classifyReplica(rs, primary).state === ReplicationState.BROKEN) {
          ctx.log.warn({ node: standby.id, errant, ioError: rs?.lastIoError, sqlError: rs?.lastSqlError }, 'standby diverged; rebuilding it from a copy');
          ctx.state.rebuild = true;
          return;
        }
        await ctx.svc.engine.startReplication(t, replTarget(ctx.svc, inst, primary), 'current_pos');
        ctx.state.rebuild = !(await replicatingFromPrimary(ctx, 5000));
        if (ctx.state.rebuild) ctx.log.warn({ node: standby.id }, 'standby could not rejoin; rebuilding it from a copy');
      },
    },
    {
      name: 'rebuild',
      async run(ctx) {
        if (!ctx.state.rebuild) return;
        const { inst, standby, primary } = await load(ctx);
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
