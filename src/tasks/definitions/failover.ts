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
 *                a standby (its crash recovery truncates its unacknowledged tail), not waited for.
 *  7. done     — the old primary is left to the HA monitor, which rejoins or rebuilds it as standby.
 */
import { adminTarget, startNode } from '../../instances/nodes.js';
import { moveEndpoint, persistRoles, promoteNode, repointReadOnly } from '../../ha/promotion.js';
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
        // Writes flow again (the endpoint moved); starting the old primary now, as the standby the
        // store already says it is, lets its crash recovery run while the HA monitor notices it
        // needs repair (docs/ha.md "Rejoin after a failover"). A failure here is not the
        // failover's: the monitor's RepairStandby starts it again and reports.
        if (ctx.params.controlled) return;
        const { inst } = await load(ctx);
        const old = (await ctx.svc.store.listNodes(inst.uuid)).find((n) => n.id === ctx.params.from);
        if (!old || old.role === 'primary') return;
        await startNode(ctx.svc, inst, old).catch((err) => ctx.log.warn({ err, node: old.id }, 'could not start the old primary; the HA monitor repairs it'));
      },
    },
    markRunningStep(),
  ],
  onError: markErrorOnFailure('failover'),
};
