/** DeleteDBInstance: destroy every node (process and data), then hide the instance for good. */
import { InstanceStatus } from '../../instances/status.js';
import { topologyOf } from '../../instances/nodes.js';
import type { TaskDefinition } from '../task.js';

export const deleteInstanceTask: TaskDefinition = {
  type: 'DeleteDBInstance',
  steps: [
    {
      name: 'destroy-nodes',
      async run(ctx) {
        const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
        if (inst && topologyOf(inst) === 'ha') await ctx.svc.endpoints.remove({ ip: inst.ip, port: inst.port });
        for (const n of await ctx.svc.store.listNodes(ctx.task.instance_uuid)) {
          await ctx.svc.store.updateNode(n.id, { desired: 'stopped' });
          await ctx.svc.provisioner.destroy(n.id);
        }
      },
    },
    {
      name: 'forget',
      async run(ctx) {
        await ctx.svc.store.forgetInstance(ctx.task.instance_uuid, ctx.svc.clock.now());
      },
    },
  ],
  async onError(ctx, err) {
    await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
      status: InstanceStatus.ERROR, status_detail: `delete failed: ${err.message}; call DeleteDBInstance again`.slice(0, 1000),
      updated_at: ctx.svc.clock.now(),
    });
  },
};
