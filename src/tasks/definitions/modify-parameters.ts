/**
 * ModifyDBParameter (spec §4.24, docs/parameters.md, docs/state-machines.md). The instance is
 * MODIFYING_PARAMETERS from the API call until `mark-running`.
 *
 * Steps (each idempotent, keyed by the task id):
 * 1. record-history: one `pending` history row per parameter with the value running now.
 * 2. persist: the new values go into the store, from which every node's my.cnf is rendered.
 * 3. apply-dynamic: on every node, re-render my.cnf and SET GLOBAL the dynamic parameters.
 * 4. restart-nodes: nodes still running an old value of a restart-only parameter are restarted,
 *    one by one, non-primary first (restartNodesInOrder). It begins with ensureNodesInService():
 *    resumed after a crash, it first brings back the node its earlier attempt stopped (and an
 *    interrupted switchover's pair), then restarts only the nodes that still show an old value.
 * 5. verify: read every changed value back from every node; a row becomes `valid` only then.
 *    A value some node does not run fails the task (NonRetryableError), so the undo below runs:
 *    the task never finishes with a change that is not in effect.
 * 6. mark-running.
 * A crash anywhere leaves rows `pending` until `verify` has read the values back, so a change is
 * never shown as in effect before it is. On a final failure the old values are put back (store,
 * configs, SET GLOBAL, nodes that are down are started, nodes already restarted with a new
 * restart-only value are restarted back), the rows become `invalid` with the reason, and the
 * instance goes back to RUNNING, or ERROR when a node cannot be brought back.
 */
import type { Node } from '../../store/store.js';
import { HistoryState } from '../../store/parameters-repo.js';
import { adminTarget, ensureNodeReady } from '../../instances/nodes.js';
import {
  decideOutcomes, decideRestarts, HISTORY_MESSAGE, previousValues, splitChanges, type NodeValues, type ParameterChange,
} from '../../instances/parameter-plan.js';
import { restartNodesInOrder } from '../../instances/restart.js';
import { ensureNodesInService } from '../../instances/resume-nodes.js';
import { InstanceStatus } from '../../instances/status.js';
import type { Services } from '../../services.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';

export const MODIFY_PARAMETERS_TASK = 'ModifyDBParameter';
/** ModifyRole of the history (spec §4.23): the change was asked for by the user. */
export const USER_ROLE = '用户';

export interface ModifyParametersParams {
  changes: ParameterChange[];
}

type Ctx = StepContext<ModifyParametersParams>;

async function instanceOf(ctx: Ctx) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError(`instance ${ctx.task.instance_uuid} is gone`);
  return inst;
}

async function runningNodes(svc: Services, uuid: string): Promise<Node[]> {
  return (await svc.store.listNodes(uuid)).filter((n) => n.desired === 'running');
}

/** What every node reports for `names` now (gather). */
async function liveValues(svc: Services, inst: Awaited<ReturnType<typeof instanceOf>>, nodes: readonly Node[], names: string[]): Promise<NodeValues[]> {
  const out: NodeValues[] = [];
  for (const n of nodes) {
    out.push({ nodeId: n.id, role: n.role, values: await svc.engine.readVariables(adminTarget(svc, inst, n), names) });
  }
  return out;
}

export const modifyParametersTask: TaskDefinition<ModifyParametersParams> = {
  type: MODIFY_PARAMETERS_TASK,
  steps: [
    {
      name: 'record-history',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        const { svc, task } = ctx;
        // Nothing is persisted yet (step 2 has not run), so this is still the value before the change.
        ctx.state.previous = previousValues(ctx.params.changes, await svc.store.parameters.values(inst.uuid));
        if ((await svc.store.parameters.historyOfTask(task.id)).length === ctx.params.changes.length) return;
        const primary = (await runningNodes(svc, inst.uuid)).find((n) => n.role === 'primary');
        const names = ctx.params.changes.map((c) => c.name);
        const live = primary ? await svc.engine.readVariables(adminTarget(svc, inst, primary), names) : {};
        const spec = { cpu: inst.cpu, ramGb: inst.ram_gb, diskType: inst.disk_type };
        await svc.store.parameters.insertHistory(ctx.params.changes.map((c) => ({
          task_id: task.id, instance_uuid: inst.uuid, name: c.name,
          old_value: live[c.name] ?? svc.engine.parameters.defaultValue(c.name, spec), new_value: c.value,
          modified_at: Number(task.created_at), role: USER_ROLE, state: HistoryState.pending, status_message: HISTORY_MESSAGE.pending,
        })));
      },
    },
    {
      name: 'persist',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        await ctx.svc.store.parameters.setValues(inst.uuid, Object.fromEntries(ctx.params.changes.map((c) => [c.name, c.value])), ctx.svc.clock.now());
      },
    },
    {
      name: 'apply-dynamic',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        const { dynamic } = splitChanges(ctx.params.changes, ctx.svc.engine.parameters);
        for (const n of await runningNodes(ctx.svc, inst.uuid)) {
          await ensureNodeReady(ctx.svc, inst, n); // re-renders my.cnf; a running node is adopted, not restarted
          for (const c of dynamic) await ctx.svc.engine.setGlobal(adminTarget(ctx.svc, inst, n), c.name, c.value);
        }
      },
    },
    {
      name: 'restart-nodes',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        const { svc } = ctx;
        const { restart } = splitChanges(ctx.params.changes, svc.engine.parameters);
        if (restart.length === 0) return;
        await ensureNodesInService(svc, inst, ctx.log, ctx.fence); // a resumed attempt may have left a node stopped or the pair mid-switchover
        const nodes = await runningNodes(svc, inst.uuid);
        const live = await liveValues(svc, inst, nodes, restart.map((c) => c.name));
        const ids = decideRestarts(restart, live, svc.engine.parameters.same);
        ctx.log.info({ nodes: ids }, 'restarting nodes for restart-only parameters');
        await restartNodesInOrder(svc, inst, nodes.filter((n) => ids.includes(n.id)), ctx.fence);
      },
    },
    {
      name: 'verify',
      async run(ctx) {
        const inst = await instanceOf(ctx);
        const { svc } = ctx;
        const nodes = await runningNodes(svc, inst.uuid);
        const live = await liveValues(svc, inst, nodes, ctx.params.changes.map((c) => c.name));
        const outcomes = decideOutcomes(ctx.params.changes, live, svc.engine.parameters.same);
        // A change not in effect everywhere fails the task: onError undoes all of it and records why.
        const off = outcomes.filter((o) => !o.valid);
        if (off.length) throw new NonRetryableError(`not in effect after the change: ${off.map((o) => `${o.name}: ${o.where}`).join('; ')}`);
        for (const o of outcomes) {
          await svc.store.parameters.updateHistory(ctx.task.id, o.name, { state: HistoryState.valid, status_message: o.message.slice(0, 1000) });
        }
      },
    },
    markRunningStep(),
  ],

  async onError(ctx, err) {
    const { svc, task } = ctx;
    const inst = await svc.store.getInstanceAnyTenant(task.instance_uuid);
    if (!inst || inst.deleted_at !== null) return;
    const problems: string[] = [];
    // Put the old values back, in the store first: every config rendered from now on has them.
    const previous = (ctx.state.previous ?? {}) as Record<string, string | null>;
    if (Object.keys(previous).length) await svc.store.parameters.setValues(inst.uuid, previous, svc.clock.now());
    const spec = { cpu: inst.cpu, ramGb: inst.ram_gb, diskType: inst.disk_type };
    const undo = ctx.params.changes.map((c) => ({ name: c.name, value: previous[c.name] ?? svc.engine.parameters.defaultValue(c.name, spec) }));
    const { dynamic, restart } = splitChanges(undo, svc.engine.parameters);
    const nodes = await runningNodes(svc, inst.uuid);
    for (const n of nodes) {
      try {
        await ensureNodeReady(svc, inst, n, 60_000); // old config; a node that died on the new one starts again
        for (const c of dynamic) await svc.engine.setGlobal(adminTarget(svc, inst, n), c.name, c.value);
      } catch (e) {
        problems.push(`node ${n.id}: ${(e as Error).message}`);
      }
    }
    if (restart.length && problems.length === 0) {
      // A node that had already restarted with a new restart-only value goes back to the old one.
      try {
        const ids = decideRestarts(restart, await liveValues(svc, inst, nodes, restart.map((c) => c.name)), svc.engine.parameters.same);
        await restartNodesInOrder(svc, inst, nodes.filter((n) => ids.includes(n.id)), ctx.fence);
      } catch (e) {
        problems.push(`restoring restart-only parameters: ${(e as Error).message}`);
      }
    }
    for (const h of await svc.store.parameters.historyOfTask(task.id)) {
      if (h.state !== HistoryState.pending) continue;
      await svc.store.parameters.updateHistory(task.id, h.name, {
        state: HistoryState.invalid, status_message: `${HISTORY_MESSAGE.invalid}: ${err.message}`.slice(0, 1000),
      });
    }
    await svc.store.updateInstance(inst.uuid, {
      status: problems.length ? InstanceStatus.ERROR : InstanceStatus.RUNNING,
      status_detail: `parameter change failed and was undone: ${err.message}${problems.length ? `; ${problems.join('; ')}` : ''}`.slice(0, 1000),
      updated_at: svc.clock.now(),
    });
  },
};
