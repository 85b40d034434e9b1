/**
 * ModifyDBInstanceSpec (spec §4.6, docs/state-machines.md, docs/engine-config.md "Spec changes").
 * The instance is MODIFYING from the API call until `mark-running`.
 *
 * Steps (each idempotent, keyed by the task id):
 * 1. persist-spec: the new cpu/ram/paas_goods_id/disk_gb go into the store; every config and
 *    resource limit is rendered from there from now on.
 * 2. apply-limits: every node's my.cnf is re-rendered and its limits rewritten while it runs:
 *    CPU quota and a larger memory limit at once, disk growth online (Provisioner.ensureRunning).
 * 3. restart-nodes: only for a CPU/RAM change. Nodes whose engine still shows another spec's
 *    settings (decideSpecRestarts) restart one by one: basic in place; HA standby first, then a
 *    controlled switchover, then the old primary (restartNodesInOrder). A resumed task first
 *    brings back what its interrupted attempt stopped or half-switched (ensureNodesInService),
 *    then skips the nodes already restarted.
 * 4. verify: every node shows the new settings.
 * 5. mark-running.
 * On a final failure the old CPU/RAM go back into the store and nodes not running them restart
 * with them (the disk stays grown: an image is never shrunk); RUNNING with StatusDetail, or ERROR
 * when a node cannot be brought back.
 */
import { memoryPlan } from '../../engine/mariadb/profile/mycnf.js';
import { adminTarget, ensureNodeReady, refreshNodeConfig } from '../../instances/nodes.js';
import { restartNodesInOrder } from '../../instances/restart.js';
import { ensureNodesInService } from '../../instances/resume-nodes.js';
import { decideSpecRestarts, SPEC_VARIABLES, type SpecPlan, type SpecTarget } from '../../instances/spec-plan.js';
import { InstanceStatus } from '../../instances/status.js';
import type { Services } from '../../services.js';
import type { Instance, Node } from '../../store/store.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';

export const MODIFY_SPEC_TASK = 'ModifyDBInstanceSpec';
export type ModifySpecParams = SpecPlan;
type Ctx = StepContext<ModifySpecParams>;

async function instanceOf(ctx: Ctx): Promise<Instance> {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError(`instance ${ctx.task.instance_uuid} is gone`);
  return inst;
}

async function runningNodes(svc: Services, uuid: string): Promise<Node[]> {
  return (await svc.store.listNodes(uuid)).filter((n) => n.desired === 'running');
}

/** What the engine must show for `t`: the user's parameter when set, else the memory plan. */
async function expectedVariables(svc: Services, inst: Instance, t: Pick<SpecTarget, 'cpu' | 'ramGb'>): Promise<Record<string, string>> {
  const m = memoryPlan({ cpu: t.cpu, ramGb: t.ramGb, diskType: inst.disk_type });
  const plan: Record<string, string> = {
    innodb_buffer_pool_size: String(m.bufferPoolMb * 1024 * 1024), max_connections: String(m.maxConnections), thread_cache_size: String(m.threadCacheSize),
  };
  const overrides = await svc.store.parameters.values(inst.uuid);
  for (const k of SPEC_VARIABLES) if (overrides[k] !== undefined) delete plan[k];
  return plan;
}

async function nodesToRestart(svc: Services, inst: Instance, nodes: readonly Node[], t: Pick<SpecTarget, 'cpu' | 'ramGb'>): Promise<Node[]> {
  const expected = await expectedVariables(svc, inst, t);
  const live = [];
  for (const n of nodes) {
    live.push({ nodeId: n.id, values: await svc.engine.readVariables(adminTarget(svc, inst, n), Object.keys(expected)).catch(() => undefined) });
  }
  const ids = decideSpecRestarts(expected, live, (name, a, b) => svc.engine.parameters.same(name, a, b));
  return nodes.filter((n) => ids.includes(n.id));
}

export const modifySpecTask: TaskDefinition<ModifySpecParams> = {
  type: MODIFY_SPEC_TASK,
  steps: [
    {
      name: 'persist-spec',
      async run(ctx) {
        await instanceOf(ctx);
        const a = ctx.params.after;
        ctx.state.diskTouched = ctx.params.diskGrown;
        await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
          paas_goods_id: a.paasGoodsId, cpu: a.cpu, ram_gb: a.ramGb, disk_gb: a.diskGb, updated_at: ctx.svc.clock.now(),
        });
      },
    },
    {
      name: 'apply-limits',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        for (const n of await runningNodes(ctx.svc, inst.uuid)) await refreshNodeConfig(ctx.svc, inst, n);
      },
    },
    {
      name: 'restart-nodes',
      async run(ctx) {
        if (!ctx.params.specChanged) return;
        const inst = await instanceOf(ctx);
        await ensureNodesInService(ctx.svc, inst, ctx.log, ctx.fence); // a resumed attempt may have left a node stopped or the pair mid-switchover
        const nodes = await nodesToRestart(ctx.svc, inst, await runningNodes(ctx.svc, inst.uuid), ctx.params.after);
        ctx.log.info({ nodes: nodes.map((n) => n.id) }, 'restarting nodes with the new spec');
        await restartNodesInOrder(ctx.svc, inst, nodes, ctx.fence);
      },
    },
    {
      name: 'verify',
      async run(ctx) {
        if (!ctx.params.specChanged) return;
        const inst = await instanceOf(ctx);
        const left = await nodesToRestart(ctx.svc, inst, await runningNodes(ctx.svc, inst.uuid), ctx.params.after);
        if (left.length) throw new Error(`node(s) ${left.map((n) => n.id).join(', ')} do not show the new spec's settings`);
      },
    },
    markRunningStep(),
  ],

  async onError(ctx, err) {
    const { svc, task } = ctx;
    let inst = await svc.store.getInstanceAnyTenant(task.instance_uuid);
    if (!inst || inst.deleted_at !== null) return;
    const b = ctx.params.before;
    // The disk may already be grown (images never shrink): keep the larger size then.
    const diskGb = ctx.state.diskTouched ? ctx.params.after.diskGb : b.diskGb;
    await svc.store.updateInstance(inst.uuid, { paas_goods_id: b.paasGoodsId, cpu: b.cpu, ram_gb: b.ramGb, disk_gb: diskGb, updated_at: svc.clock.now() });
    inst = (await svc.store.getInstanceAnyTenant(inst.uuid))!;
    const problems: string[] = [];
    const nodes = await runningNodes(svc, inst.uuid);
    for (const n of nodes) {
      try {
        await ensureNodeReady(svc, inst, n, 60_000);
      } catch (e) {
        problems.push(`node ${n.id}: ${(e as Error).message}`);
      }
    }
    if (problems.length === 0) {
      try {
        await restartNodesInOrder(svc, inst, await nodesToRestart(svc, inst, nodes, b), ctx.fence);
      } catch (e) {
        problems.push(`restoring the old spec: ${(e as Error).message}`);
      }
    }
    await svc.store.updateInstance(inst.uuid, {
      status: problems.length ? InstanceStatus.ERROR : InstanceStatus.RUNNING,
      status_detail: `spec change failed and was undone: ${err.message}${problems.length ? `; ${problems.join('; ')}` : ''}`.slice(0, 1000),
      updated_at: svc.clock.now(),
    });
  },
};
