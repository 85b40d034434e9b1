/**
 * CreateDBInstance: start every node, create the initial Super account when a Password was
 * given, then mark the instance RUNNING. On a final failure the nodes are destroyed and the
 * instance is left in ERROR with the reason, so nothing half-made keeps running.
 */
import { applyAccount } from '../../accounts/accounts.js';
import { ensureNodeReady } from '../../instances/nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';

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
        for (const n of await ctx.svc.store.listNodes(inst.uuid)) await ensureNodeReady(ctx.svc, inst, n);
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
    {
      name: 'mark-running',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        await ctx.svc.store.updateInstance(inst.uuid, {
          status: InstanceStatus.RUNNING, status_detail: '', updated_at: ctx.svc.clock.now(),
        });
      },
    },
  ],
  async onError(ctx, err) {
    const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
    if (!inst) return;
    for (const n of await ctx.svc.store.listNodes(inst.uuid)) {
      await ctx.svc.provisioner.destroy(n.id);
      await ctx.svc.store.updateNode(n.id, { desired: 'stopped', pid: null });
    }
    await ctx.svc.store.updateInstance(inst.uuid, {
      status: InstanceStatus.ERROR, status_detail: `create failed: ${err.message}`.slice(0, 1000), updated_at: ctx.svc.clock.now(),
    });
  },
};
