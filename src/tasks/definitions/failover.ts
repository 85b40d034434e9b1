/**
 * Failover (automatic, started by the HA monitor) and switchover (controlled): the standby
 * becomes the primary. Steps (docs/ha.md):
 *  1. fence    — the old primary is fenced (Provisioner.fence: stopped at once) on a failover, or set read-only (switchover); either way it
 *                can never accept another write, and its config is re-rendered as a standby.
 *  2. catch-up — the standby applies everything it received (MASTER_GTID_WAIT on its IO position).
 *  3. promote  — replication stopped and reset, read_only off, semi-sync master on; roles swap.
 *  4. endpoint — the instance's IP:Port now reaches the new primary.
 *  5. replicas — read-only instances follow the new primary.
 *  6. restart-old-primary — failover only, off the critical path: the old primary starts again as
 *                a standby (its crash recovery truncates its unacknowledged tail).
 *  7. rejoin-old-primary — failover only: wait until it answers, and when its GTID state is a
 *                subset of the new primary's (decideRejoin) it replicates again, semi-sync is
 *                turned back on and the rejoin counted (src/ha/standby-rejoin.ts, the same code as
 *                RepairStandby's). A node that needs a full copy, or that does not come up within
 *                OLD_PRIMARY_READY_MS, is left to the HA monitor's RepairStandby: the failover
 *                never waits for a copy. The instance stays FAILOVER meanwhile (writes already go
 *                to the new primary; StatusDetail says so), and is RUNNING once the pair is whole.
 *  8. done     — RUNNING.
 */
import { FencedError } from '../../cluster/fence.js';
import { adminTarget, ensureNodeReady, primaryNode, startNode } from '../../instances/nodes.js';
import { moveEndpoint, persistRoles, promoteNode, repointReadOnly } from '../../ha/promotion.js';
import { completeRejoin, rejoinStandby, type RejoinPair } from '../../ha/standby-rejoin.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markErrorOnFailure, markRunningStep } from './common-steps.js';

export interface FailoverParams {
  from: string;
  to: string;
  /** switchover: the old primary is healthy and is demoted in place instead of killed. */
  controlled?: boolean;
}

async function load(ctx: StepContext<FailoverParams>) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError('instance is gone');
  const nodes = await ctx.svc.store.listNodes(inst.uuid);
  const from = nodes.find((n) => n.id === ctx.params.from);
  const to = nodes.find((n) => n.id === ctx.params.to);
  if (!from || !to) throw new NonRetryableError('failover nodes are gone');
  return { inst, from, to };
}

/**
 * How long the failover waits for the old primary to answer before it leaves it to RepairStandby.
 * Its crash recovery takes a fraction of a second on a quiet host; a long one must not hold the
 * instance in FAILOVER (the HA monitor skips busy instances).
 */
export const OLD_PRIMARY_READY_MS = 20_000;

/** The old primary as the standby of the new one, once the roles were swapped; undefined on a switchover or before. */
async function oldPrimaryPair(ctx: StepContext<FailoverParams>): Promise<RejoinPair | undefined> {
  if (ctx.params.controlled) return undefined;
  const { inst } = await load(ctx);
  const nodes = await ctx.svc.store.listNodes(inst.uuid);
  const standby = nodes.find((n) => n.id === ctx.params.from);
  const primary = primaryNode(nodes);
  if (!standby || !primary || standby.role === 'primary') return undefined;
  return { svc: ctx.svc, inst, standby, primary, log: ctx.log };
}

export const failoverTask: TaskDefinition<FailoverParams> = {
  type: 'Failover',
  steps: [
    {
      name: 'fence-old-primary',
      async run(ctx) {
        const { inst, from } = await load(ctx);
        if (ctx.state.fenced) return;
        await ctx.fence.assert(); // docs/cluster.md: a node that lost this task must not fence twice
        if (ctx.params.controlled) {
          await ctx.svc.engine.setReadOnly(adminTarget(ctx.svc, inst, from), true);
        } else {
          await ctx.svc.provisioner.fence(from.id); // at once: a hung primary must not wake up and write
        }
        ctx.state.fenced = true;
        ctx.log.warn({ node: from.id, controlled: !!ctx.params.controlled }, 'old primary fenced');
      },
    },
    {
      name: 'catch-up',
      async run(ctx) {
        const { inst, to } = await load(ctx);
        const t = adminTarget(ctx.svc, inst, to);
        const rs = await ctx.svc.engine.replicaStatus(t);
        if (rs?.gtidIoPos && !(await ctx.svc.engine.waitGtid(t, rs.gtidIoPos, 60))) {
          throw new Error(`standby did not apply its relay log up to ${rs.gtidIoPos} within 60 s`);
        }
      },
    },
    {
      name: 'promote',
      async run(ctx) {
        const { inst, from, to } = await load(ctx);
        await ctx.fence.assert();
        await promoteNode(ctx.svc, inst, from, to, ctx.log);
      },
    },
    {
      name: 'move-endpoint',
      async run(ctx) {
        const { inst, from, to } = await load(ctx);
        await ctx.fence.assert();
        await moveEndpoint(ctx.svc, inst, to);
        await persistRoles(ctx.svc, inst, from, to);
      },
    },
    {
      name: 'repoint-read-only-instances',
      async run(ctx) {
        const { inst, to } = await load(ctx);
        await repointReadOnly(ctx.svc, inst, to, ctx.log);
      },
    },
    {
      name: 'restart-old-primary',
      async run(ctx) {
        // Writes flow again (the endpoint moved); the old primary starts as the standby the store
        // already says it is, so its crash recovery runs from now (docs/ha.md "Rejoin after a failover").
        const pair = await oldPrimaryPair(ctx);
        if (!pair) return;
        await ctx.fence.assert();
        await startNode(ctx.svc, pair.inst, pair.standby).catch((err) => ctx.log.warn({ err, node: pair.standby.id }, 'could not start the old primary; the HA monitor repairs it'));
      },
    },
    {
      name: 'rejoin-old-primary',
      async run(ctx) {
        const pair = await oldPrimaryPair(ctx);
        if (!pair) return;
        const { svc, inst, standby, primary } = pair;
        await svc.store.updateInstance(inst.uuid, {
          status_detail: `failed over to ${primary.id}: writes go to it; rejoining ${standby.id} as its standby`, updated_at: svc.clock.now(),
        });
        // Anything short of a rejoin is RepairStandby's (the HA monitor starts it when this task ended);
        // only a lost lease stops the task here.
        try {
          await ensureNodeReady(svc, inst, standby, Math.min(OLD_PRIMARY_READY_MS, svc.config.engine.readyTimeoutMs), ctx.fence);
          const out = await rejoinStandby(pair, ctx.fence);
          if (out.kind === 'copy') {
            ctx.log.warn({ node: standby.id, reason: out.reason }, 'the old primary needs a full copy; left to RepairStandby');
            return;
          }
          await completeRejoin(pair, ctx.task.id, undefined, ctx.fence);
        } catch (err) {
          if (err instanceof FencedError) throw err;
          ctx.log.warn({ err, node: standby.id }, 'could not rejoin the old primary; the HA monitor repairs it');
        }
      },
    },
    markRunningStep(),
  ],
  onError: markErrorOnFailure('failover'),
};
