/**
 * Archive retention for one instance (docs/recovery.md "Retention"): gather the window's input and
 * the segments, decide (src/recovery/retention.ts), act. A segment's row goes before its file: a
 * crash in between leaves an unused file, never a row pointing at nothing. Nothing is pruned while
 * a temporary instance of the instance is being restored (it may read segments of an older base).
 */
import type { Logger } from 'pino';
import { decideArchiveRetention, type RetentionPlan } from '../recovery/retention.js';
import { windowInputOf } from '../recovery/point-in-time.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import type { Instance } from '../store/store.js';
import type { SegmentStore } from './segment-store.js';

/** The retention plan of an archived instance (also what backup retention must keep). */
export async function archiveRetentionPlan(svc: Services, inst: Pick<Instance, 'uuid' | 'tenant_id'>): Promise<RetentionPlan> {
  const [input, segments] = await Promise.all([windowInputOf(svc, inst.uuid, inst.tenant_id), svc.store.recovery.listSegments(inst.uuid)]);
  return decideArchiveRetention({
    ...input,
    segments: segments.map((s) => ({ id: s.id, key: s.key, timeline: Number(s.timeline), last_event_at: s.last_event_at === null ? null : Number(s.last_event_at), created_at: Number(s.created_at) })),
  });
}

/** Prunes what the plan says; returns how many segments went. */
export async function pruneArchive(svc: Services, segments: SegmentStore, inst: Instance, log: Logger): Promise<number> {
  const restoring = (await svc.store.recovery.listTemporaries(inst.uuid)).some((t) => t.status === InstanceStatus.CREATING);
  if (restoring) return 0;
  const plan = await archiveRetentionPlan(svc, inst);
  for (const p of plan.prune) {
    await svc.store.recovery.deleteSegment(p.id);
    await segments.remove(p.key);
  }
  if (plan.prune.length) log.info({ instance: inst.uuid, segments: plan.prune.length, reason: plan.prune[0]!.reason }, 'archive retention: pruned segments');
  return plan.prune.length;
}
