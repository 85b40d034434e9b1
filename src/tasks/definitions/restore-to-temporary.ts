/**
 * StartBatchRollbackToTemporaryDBInstance (spec §4.27): a new single-node instance with the source's
 * CPU, RAM and disk, restored to exactly SelectTime (docs/recovery.md "Temporary instances").
 *  1. make-node      — the node exists (volume, config), stopped.
 *  2. restore-base   — the base full backup restored (sha256 and GTID checked), started, history at its GTID.
 *  3. archive-closed — the archiver asked to close its open segment; waits until the stored segments
 *                      hold everything that was durable when the task asked (RightBorderTime ≥ SelectTime).
 *  4. replay         — archived transactions after the base up to SelectTime, by GTID.
 *  5. verify         — the node's gtid_binlog_pos is exactly the position the replay stopped at.
 *  6. accounts       — the store's account rows are those of the restored engine.
 *  7. mark-running.
 */
import { formatGtidPos, gtidCovers, parseGtidPos } from '../../engine/gtid.js';
import { adminTarget, ensureNodeReady, failNewNodes, nodeSpec } from '../../instances/nodes.js';
import { backupReader } from '../../recovery/backup-source.js';
import { replayTo } from '../../recovery/point-in-time.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { markRunningStep } from './common-steps.js';

export const RESTORE_TO_TEMPORARY_TASK = 'StartBatchRollbackToTemporaryDBInstance';

export interface RestoreToTemporaryParams {
  sourceUuid: string;
  backupId: string;
  timeline: number;
  /** Epoch ms, whole seconds. */
  selectTime: number;
}

type Ctx = StepContext<RestoreToTemporaryParams>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function load(ctx: Ctx) {
  const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
  if (!inst || inst.deleted_at !== null) throw new NonRetryableError(`temporary instance ${ctx.task.instance_uuid} is gone`);
  const node = (await ctx.svc.store.listNodes(inst.uuid))[0];
  if (!node) throw new NonRetryableError('the temporary instance has no node');
  return { inst, node, target: adminTarget(ctx.svc, inst, node) };
}

/** The base backup restored over the (stopped) node, started, writable, its history at the backup's GTID. Idempotent. */
async function restoreBase(ctx: Ctx): Promise<void> {
  const { inst, node, target } = await load(ctx);
  const b = await ctx.svc.store.backups.get(ctx.params.backupId);
  if (!b || b.status !== 'finished') throw new NonRetryableError(`backup ${ctx.params.backupId} is no longer available (${b?.status ?? 'deleted'})`);
  await ctx.svc.provisioner.stop(node.id, 30_000);
  const reader = backupReader(ctx.svc, b);
  const { gtid } = await ctx.svc.provisioner.restorePhysical({ nodeId: node.id, diskGb: inst.disk_gb }, () => reader.open());
  reader.check();
  if (gtid !== b.gtid) throw new NonRetryableError(`backup ${b.id} restored at GTID ${gtid || '(none)'}, but it was recorded at ${b.gtid}`);
  await ensureNodeReady(ctx.svc, inst, node);
  await ctx.svc.engine.promote(target);
  await ctx.svc.engine.startHistoryAt(target, b.gtid);
  ctx.state.baseGtid = b.gtid;
}

export const restoreToTemporaryTask: TaskDefinition<RestoreToTemporaryParams> = {
  type: RESTORE_TO_TEMPORARY_TASK,
  steps: [
    {
      name: 'make-node',
      async run(ctx) {
        const { inst, node } = await load(ctx);
        await ensureNodeReady(ctx.svc, inst, node);
        await ctx.svc.provisioner.stop(node.id, 30_000);
      },
    },
    {
      name: 'restore-base',
      async run(ctx) {
        await restoreBase(ctx);
      },
    },
    {
      name: 'archive-closed',
      async run(ctx) {
        const src = ctx.params.sourceUuid;
        const before = await ctx.svc.store.recovery.getStream(src);
        if (!before) throw new NonRetryableError(`instance ${src} has no binlog archive`);
        const want = parseGtidPos(before.archived_gtid);
        await ctx.svc.store.recovery.updateStream(src, before.run, { close_requested_at: ctx.svc.clock.now() });
        const deadline = Date.now() + 60_000 + ctx.svc.config.archive.closeEveryMs;
        for (;;) {
          const segs = await ctx.svc.store.recovery.listSegments(src, ctx.params.timeline);
          const have = parseGtidPos(segs.length ? segs.map((s) => s.end_gtid).reduce((a, b) => (gtidCovers(parseGtidPos(b), parseGtidPos(a)) ? b : a)) : '');
          const cur = await ctx.svc.store.recovery.getStream(src);
          // A new timeline or run meanwhile (a restore in place, a failover): what was durable is in the old run's segments.
          if (gtidCovers(have, want) || (cur && cur.timeline !== ctx.params.timeline)) break;
          if (Date.now() > deadline) throw new Error(`the archive did not store its open segment within ${Math.round((deadline - Date.now()) / 1000) + 60} s (at ${formatGtidPos(have)}, waiting for ${formatGtidPos(want)})`);
          await sleep(200);
        }
      },
    },
    {
      name: 'replay',
      async run(ctx) {
        const { inst, node, target } = await load(ctx);
        const base = String(ctx.state.baseGtid ?? '');
        // Redone after a crash or a failed attempt: the node may hold part of the replay; the base is restored again first.
        if (formatGtidPos(parseGtidPos((await ctx.svc.engine.gtidState(target)).binlogPos)) !== formatGtidPos(parseGtidPos(base))) {
          ctx.log.warn('the node is not at the base any more (an interrupted replay): restoring the base again');
          await restoreBase(ctx);
        }
        // Nobody uses the node yet, and an interrupted replay restores the base again: commits need
        // not wait for the disk meanwhile (measured: bench/RESULTS.md "Point-in-time restore").
        const spec = nodeSpec(inst, node, await ctx.svc.store.parameters.values(inst.uuid));
        await ctx.svc.engine.setBulkApply(target, true, spec);
        const r = await replayTo(ctx.svc, ctx.params.sourceUuid, ctx.params.timeline, base, ctx.params.selectTime, node.id, target);
        await ctx.svc.engine.setBulkApply(target, false, spec);
        ctx.state.stopGtid = r.stopGtid;
        ctx.log.info({ ...r, selectTime: new Date(ctx.params.selectTime).toISOString() }, 'archived binlog replayed');
      },
    },
    {
      name: 'verify',
      async run(ctx) {
        const { target } = await load(ctx);
        const want = String(ctx.state.stopGtid ?? '');
        const have = (await ctx.svc.engine.gtidState(target)).binlogPos;
        if (formatGtidPos(parseGtidPos(have)) !== formatGtidPos(parseGtidPos(want))) {
          throw new NonRetryableError(`the restored instance is at GTID ${have || '(none)'}, but the archive up to SelectTime ends at ${want || '(none)'}`);
        }
      },
    },
    {
      name: 'accounts',
      async run(ctx) {
        const { inst, target } = await load(ctx);
        const accounts = await ctx.svc.engine.listAccounts(target);
        await ctx.svc.store.recovery.replaceAccounts(inst.uuid, accounts, ctx.svc.clock.now());
      },
    },
    markRunningStep(),
  ],
  async onError(ctx, err) {
    await failNewNodes(ctx.svc, ctx.task.instance_uuid, `restore to ${new Date(ctx.params.selectTime).toISOString()} failed: ${err.message}`);
  },
};
