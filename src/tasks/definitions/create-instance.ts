/**
 * CreateDBInstance: start every node, create the initial Super account when a Password was
 * given, then mark the instance RUNNING. On a final failure the nodes are destroyed and the
 * instance is left in ERROR with the reason, so nothing half-made keeps running.
 */
import { applyAccount } from '../../accounts/accounts.js';
import { adminTarget, ensureNodeReady, primaryNode, replTarget, topologyOf } from '../../instances/nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';
import { classifyReplica, isFollowing } from '../../ha/replication-health.js';

async function instanceOf(ctx: StepContext<any>) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError(`instance ${ctx.task.instance_uuid} is gone`);
  return inst;
}

export const createInstanceTask: TaskDefinition = {
  type: 'CreateDBInstance',
  steps: [
    {
      name: 'start-nodes',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        // Nodes are independent until replication is set up: start them side by side.
        await Promise.all((await ctx.svc.store.listNodes(inst.uuid)).map((n) => ensureNodeReady(ctx.svc, inst, n, undefined, ctx.fence)));
      },
    },
    {
      name: 'replication',
      async run(ctx) {
        // HA: the standby replicates from the primary from the very first transaction.
        const inst = await instanceOf(ctx);
        if (topologyOf(inst) !== 'ha') return;
        const nodes = await ctx.svc.store.listNodes(inst.uuid);
        const primary = primaryNode(nodes)!;
        for (const sb of nodes.filter((n) => n.role === 'standby')) {
          const t = adminTarget(ctx.svc, inst, sb);
          const rs = await ctx.svc.engine.replicaStatus(t);
          if (isFollowing(classifyReplica(rs, primary))) continue;
          await ctx.svc.engine.startReplication(t, replTarget(ctx.svc, inst, primary), 'slave_pos');
        }
      },
    },
    {
      name: 'endpoint',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        if (topologyOf(inst) !== 'ha') return;
        const primary = primaryNode(await ctx.svc.store.listNodes(inst.uuid))!;
        await ctx.fence.assert();
        await ctx.svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: primary.ip, port: primary.port });
      },
    },
    {
      name: 'wait-semi-sync',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        if (topologyOf(inst) !== 'ha') return;
        const primary = primaryNode(await ctx.svc.store.listNodes(inst.uuid))!;
        const deadline = Date.now() + 60_000;
        while (!(await ctx.svc.engine.enableSemiSync(adminTarget(ctx.svc, inst, primary)))) {
          if (Date.now() > deadline) throw new Error('semi-sync replication did not start within 60 s');
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    },
    {
      name: 'initial-account',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        // CreateDBInstance's Password was stored (as a hash) as the `root` Super account.
        const account = await ctx.svc.store.getAccount(inst.uuid, 'root');
        if (account) await applyAccount(ctx.svc, inst, account);
      },
    },
    markRunningStep(),
  ],
  async onError(ctx, err) {
    const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
    if (!inst) return;
    if (topologyOf(inst) === 'ha') await ctx.svc.endpoints.remove({ ip: inst.ip, port: inst.port });
    for (const n of await ctx.svc.store.listNodes(inst.uuid)) {
      await ctx.svc.provisioner.destroy(n.id);
      await ctx.svc.store.updateNode(n.id, { desired: 'stopped', incarnation: null });
    }
    await ctx.svc.store.updateInstance(inst.uuid, {
      status: InstanceStatus.ERROR, status_detail: `create failed: ${err.message}`.slice(0, 1000), updated_at: ctx.svc.clock.now(),
    });
  },
};
