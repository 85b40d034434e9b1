/**
 * RecoverNode: started by the reconciler when a node that should run is not running.
 * Restarts it on its existing datadir (InnoDB crash recovery keeps every committed transaction).
 */
import { ensureNodeReady } from '../../instances/nodes.js';
import { NonRetryableError, type TaskDefinition } from '../task.js';
import { markErrorOnFailure, markRunningStep } from './common-steps.js';

export interface RecoverNodeParams {
  nodeIds: string[];
  /** The node is hung rather than dead: kill it first (once) so it restarts. */
  kill?: boolean;
}

export const recoverNodeTask: TaskDefinition<RecoverNodeParams> = {
  type: 'RecoverNode',
  steps: [
    {
      name: 'restart-nodes',
      async run(ctx) {
        const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
        if (!inst || inst.deleted_at !== null) throw new NonRetryableError('instance is gone');
        for (const n of await ctx.svc.store.listNodes(inst.uuid)) {
          if (!ctx.params.nodeIds.includes(n.id) || n.desired !== 'running') continue;
          if (ctx.params.kill && !ctx.state[`killed:${n.id}`]) {
            await ctx.fence.assert();
            await ctx.svc.provisioner.fence(n.id);
            ctx.state[`killed:${n.id}`] = true;
          }
          await ensureNodeReady(ctx.svc, inst, n);
          await ctx.svc.store.countNodeRestart(n.id);
        }
      },
    },
    markRunningStep(),
  ],
  onError: markErrorOnFailure('recovery'),
};
