/**
 * Failover (automatic, started by the HA monitor) and switchover (controlled): the standby
 * becomes the primary. Steps (docs/ha.md):
 *  1. fence    — the old primary is killed (failover) or set read-only (switchover); either way it
 *                can never accept another write, and its config is re-rendered as a standby.
 *  2. catch-up — the standby applies everything it received (MASTER_GTID_WAIT on its IO position).
 *  3. promote  — replication stopped and reset, read_only off, semi-sync master on; roles swap.
 *  4. endpoint — the instance's IP:Port now reaches the new primary.
 *  5. replicas — read-only instances follow the new primary.
 *  6. done     — the old primary is left to the HA monitor, which rejoins or rebuilds it as standby.
 */
import { InstanceStatus } from '../../instances/status.js';
import { adminTarget, refreshNodeConfig, replTarget } from '../../instances/nodes.js';
import { parseHaState } from '../../ha/ha-state.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';

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
        if (ctx.params.controlled) {
          await ctx.svc.engine.setReadOnly(adminTarget(ctx.svc, inst, from), true);
        } else {
          await ctx.svc.provisioner.stop(from.id, 0); // SIGKILL at once: a hung primary must not wake up and write
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
        const t = adminTarget(ctx.svc, inst, to);
        if (to.role !== 'primary') {
          await ctx.svc.engine.promote(t);
          const { binlogPos } = await ctx.svc.engine.gtidState(t);
          const now = ctx.svc.clock.now();
          const ha = parseHaState(inst.ha_state);
          const failovers = [...(ha.failovers ?? []), now].slice(-20);
          await ctx.svc.store.db.transaction().execute(async (trx) => {
            await trx.updateTable('nodes').set({ role: 'standby' }).where('id', '=', from.id).execute();
            await trx.updateTable('nodes').set({ role: 'primary' }).where('id', '=', to.id).execute();
            await trx.updateTable('instances').set({
              // No standby yet: commits are asynchronous until the old primary is rejoined or rebuilt.
              ha_state: JSON.stringify({ ...ha, failovers, promotedAt: binlogPos, withheld: undefined, semiSync: false, semiSyncCheckedAt: now }), updated_at: now,
            }).where('uuid', '=', inst.uuid).execute();
          });
          ctx.log.warn({ newPrimary: to.id, promotedAt: binlogPos }, 'standby promoted');
        }
        // Persist the new role in the new primary's config (no restart: it is already running).
        const fresh = await load(ctx);
        await refreshNodeConfig(ctx.svc, fresh.inst, fresh.to);
      },
    },
    {
      name: 'move-endpoint',
      async run(ctx) {
        const { inst, to } = await load(ctx);
        await ctx.svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: to.ip, port: to.port });
      },
    },
    {
      name: 'repoint-read-only-instances',
      async run(ctx) {
        const { inst, to } = await load(ctx);
        for (const ro of await ctx.svc.store.listReadOnlyChildren(inst.uuid)) {
          for (const n of await ctx.svc.store.listNodes(ro.uuid)) {
            try {
              await ctx.svc.engine.startReplication(adminTarget(ctx.svc, ro, n), replTarget(ctx.svc, inst, to), 'slave_pos');
            } catch (err) {
              ctx.log.warn({ err, readOnly: ro.uuid }, 'could not repoint a read-only instance; the HA monitor will retry');
            }
          }
        }
      },
    },
    {
      name: 'mark-running',
      async run(ctx) {
        await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
          status: InstanceStatus.RUNNING, status_detail: '', updated_at: ctx.svc.clock.now(),
        });
      },
    },
  ],
  async onError(ctx, err) {
    await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
      status: InstanceStatus.ERROR, status_detail: `failover failed: ${err.message}`.slice(0, 1000), updated_at: ctx.svc.clock.now(),
    });
  },
};
