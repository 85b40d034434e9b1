/**
 * Pure: what archive retention keeps and prunes (docs/recovery.md "Retention"). The window's
 * anchor (window.ts windowBases: the newest automatic base at or before now − retention) and every
 * later base are kept, whatever backup retention says; archive segments are pruned when nothing a
 * window can need is in them:
 *
 * - current timeline, with an anchor: every transaction of the segment committed before the
 *   anchor backup was asked for (its last commit second + 1 s ≤ the backup's creation), so the
 *   anchor holds them all;
 * - current timeline without any base, and every older timeline (a restore in place left it; no
 *   restore reads it again): the segment's last commit is older than the window (now − retention).
 *
 * A segment's time is its last transaction's commit second, or when it was stored if it holds none.
 */
import { windowBases, ceilSecond, floorSecond, type WindowInput } from './window.js';

export interface RetentionSegment {
  id: string;
  key: string;
  timeline: number;
  last_event_at: number | null;
  created_at: number;
}

export interface RetentionPlan {
  /** Backups the window needs: backup retention must not delete them. */
  keepBackups: string[];
  prune: Array<{ id: string; key: string; reason: string }>;
}

export function decideArchiveRetention(i: WindowInput & { segments: readonly RetentionSegment[] }): RetentionPlan {
  const wb = windowBases(i);
  const edge = ceilSecond(i.now - i.retentionMs);
  const anchor = wb.ok ? wb.bases[0] : undefined;
  const current = i.stream?.timeline;
  const prune: RetentionPlan['prune'] = [];
  for (const s of i.segments) {
    const lastCommitEnd = Number(s.last_event_at ?? floorSecond(Number(s.created_at))) + 1000;
    if (s.timeline === current && anchor) {
      if (lastCommitEnd <= Number(anchor.created_at)) prune.push({ id: s.id, key: s.key, reason: `every transaction in it is in backup ${anchor.id}, the restore window's oldest base` });
    } else if (lastCommitEnd <= edge) {
      prune.push({ id: s.id, key: s.key, reason: s.timeline === current ? 'older than the restore window, and no full backup to restore it from' : `of timeline ${s.timeline}, which no restore uses any more, and older than the restore window` });
    }
  }
  return { keepBackups: wb.ok ? wb.bases.map((b) => b.id) : [], prune };
}
