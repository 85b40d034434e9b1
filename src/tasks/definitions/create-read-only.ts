/**
 * CreateReadOnlyDBInstance: the new replica is seeded from a physical copy (mariadb-backup) of
 * the primary's standby — not by replaying binlogs from empty — and then replicates from the
 * current primary, asynchronously and without acknowledging semi-sync commits.
 *  1. clone      — copy the standby (or the primary when there is no healthy standby).
 *  2. start      — start the copy as this instance's node (read_only; own admin password).
 *  3. replicate  — CHANGE MASTER to the primary, from the copy's GTID position.
 *  4. wait       — replication threads running; then at least `ha.readOnlyMinCreatingMs` in CREATING.
 */
import { adminTarget, ensureNodeReady, failNewNodes, primaryNode, replTarget } from '../../instances/nodes.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';
import { classifyReplica, isFollowing, isReplicating, readReplicaHealth, ReplicationState } from '../../ha/replication-health.js';

async function load(ctx: StepContext) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null || !inst.parent_uuid) throw new NonRetryableError('read-only instance is gone');
  const parent = await ctx.svc.store.getInstanceAnyTenant(inst.parent_uuid);
  if (!parent || parent.deleted_at !== null) throw new NonRetryableError('the primary instance is gone');
  const parentNodes = await ctx.svc.store.listNodes(parent.uuid);
  const node = (await ctx.svc.store.listNodes(inst.uuid))[0];
  const primary = primaryNode(parentNodes);
  if (!node || !primary) throw new NonRetryableError('nodes are missing');
  return { inst, parent, parentNodes, node, primary };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const createReadOnlyTask: TaskDefinition = {
  type: 'CreateReadOnlyDBInstance',
  steps: [
    {
      name: 'clone',
      async run(ctx) {
        const { inst, parent, parentNodes, node, primary } = await load(ctx);
        await ctx.fence.assert();
        await ctx.svc.provisioner.fence(node.id); // a copy from an interrupted earlier attempt may be running
        const standby = parentNodes.find((n) => n.role === 'standby');
        let source = primary;
        if (standby) {
          if (isFollowing(await readReplicaHealth(ctx.svc.engine, adminTarget(ctx.svc, parent, standby), primary))) source = standby;
        }
        const { gtid } = await ctx.svc.provisioner.cloneFrom(source.id, adminTarget(ctx.svc, parent, source), { nodeId: node.id, diskGb: inst.disk_gb });
        ctx.state.gtid = gtid;
        ctx.state.source = source.id;
        ctx.log.info({ source: source.id, role: source.role, gtid }, 'copied the data for the read-only instance');
      },
    },
    {
      name: 'start',
      async run(ctx) {
        const { inst, node } = await load(ctx);
        await ensureNodeReady(ctx.svc, inst, node);
      },
    },
    {
      name: 'replicate',
      async run(ctx) {
        const { inst, parent, node, primary } = await load(ctx);
        const t = adminTarget(ctx.svc, inst, node);
        const rs = await ctx.svc.engine.replicaStatus(t);
        if (isFollowing(classifyReplica(rs, primary))) return;
        // First time: seed the position from the copy; after a crash it is already in gtid_slave_pos.
        await ctx.svc.engine.startReplication(t, replTarget(ctx.svc, parent, primary), 'slave_pos', rs ? undefined : String(ctx.state.gtid ?? ''));
      },
    },
    {
      name: 'wait-replicating',
      async run(ctx) {
        const { inst, node, primary } = await load(ctx);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const rs = await ctx.svc.engine.replicaStatus(adminTarget(ctx.svc, inst, node));
          const h = classifyReplica(rs, primary);
          if (isReplicating(h)) break;
          if (h.state === ReplicationState.BROKEN) throw new Error(`replication failed: ${h.reason}`);
          if (Date.now() > deadline) throw new Error('replication did not start within 60 s');
          await sleep(100);
        }
        // Terraform finds a new read-only instance by its CREATING status (spec §4.20).
        const wait = Number(inst.created_at) + ctx.svc.config.ha.readOnlyMinCreatingMs - ctx.svc.clock.now();
        if (wait > 0) await sleep(wait);
      },
    },
    markRunningStep(),
  ],
  async onError(ctx, err) {
    await failNewNodes(ctx.svc, ctx.task.instance_uuid, `create failed: ${err.message}`);
  },
};
