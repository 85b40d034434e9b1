/**
 * Pure: the restore window of an instance and the full backup a point-in-time restore starts from
 * (docs/recovery.md "Window"). Times are epoch ms; every border is a whole second (UTC).
 *
 * - A backup is a base when it is a finished physical backup of the current timeline, taken after
 *   the timeline's last gap (a restore never crosses a gap), whose GTID the archive continues from.
 *   Its point is its finish time rounded up to the second: every transaction it holds committed
 *   before that, and everything after its GTID is in the archive.
 * - LeftBorderTime: the point of the window's anchor (windowBases), but not before now − retention.
 * - RightBorderTime: the last time the durable archive held everything the source had written.
 */
import { gtidCovers, parseGtidPos } from '../engine/gtid.js';

export interface WindowBackup { id: string; type: string; mode: string; status: string; gtid: string; created_at: number; finished_at: number | null }
export interface WindowTimeline { timeline: number; started_at: number; start_gtid: string }
export interface WindowGap { kind: string; timeline: number; at: number; to_gtid: string }

export interface WindowInput {
  now: number;
  retentionMs: number;
  stream?: { timeline: number; caught_up_at: number | null };
  timelines: readonly WindowTimeline[];
  gaps: readonly WindowGap[];
  backups: readonly WindowBackup[];
}

export type RestoreWindow =
  | { ok: true; left: number; right: number; timeline: number; bases: WindowBase[] }
  | { ok: false; why: string };

export const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;
export const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

export type WindowBase = WindowBackup & { point: number };

/**
 * The bases of the current timeline (see the top of this file), oldest first, from the window's
 * **anchor** on: the newest automatic base whose point is at or before now − retention (else the
 * oldest automatic base; with no automatic base at all, the same rule over the manual ones). The
 * anchor is the base a restore to the left border starts from: archive retention keeps it and
 * everything the archive holds after it (src/recovery/retention.ts), and older bases are left out,
 * so a manual backup never stretches the window back.
 */
export function windowBases(i: WindowInput): { ok: true; timeline: number; bases: WindowBase[] } | { ok: false; why: string } {
  if (!i.stream) return { ok: false, why: 'the instance has no binlog archive yet (it starts within seconds of the instance; archive.enabled may be off)' };
  const tl = i.timelines.find((t) => t.timeline === i.stream!.timeline);
  if (!tl) return { ok: false, why: 'the archive has no current timeline' };
  const gaps = i.gaps.filter((g) => g.kind === 'gap' && g.timeline === tl.timeline);
  const after = Math.max(Number(tl.started_at), ...gaps.map((g) => Number(g.at)));
  const from = [tl.start_gtid, ...gaps.map((g) => g.to_gtid)];
  const all = i.backups
    .filter((b) => b.type === 'physical-backup' && b.status === 'finished' && b.gtid && b.finished_at !== null && Number(b.created_at) >= after)
    .filter((b) => from.every((g) => gtidCovers(parseGtidPos(b.gtid), parseGtidPos(g))))
    .map((b) => ({ ...b, point: ceilSecond(Number(b.finished_at)) }))
    .sort((a, b) => a.point - b.point);
  if (!all.length) {
    return { ok: false, why: gaps.length ? 'no full backup was finished since the last gap in the binlog archive (one is taken automatically)' : 'the instance has no full physical backup to restore from yet (the first one is taken automatically)' };
  }
  const edge = ceilSecond(i.now - i.retentionMs);
  const auto = all.filter((b) => b.mode === 'auto');
  const candidates = auto.length ? auto : all;
  let anchor = candidates[0]!;
  for (const b of candidates) if (b.point <= edge) anchor = b;
  return { ok: true, timeline: tl.timeline, bases: all.filter((b) => b.point >= anchor.point) };
}

export function restoreWindow(i: WindowInput): RestoreWindow {
  const wb = windowBases(i);
  if (!wb.ok) return wb;
  const { bases } = wb;
  if (i.stream!.caught_up_at === null) return { ok: false, why: 'the binlog archive has not caught up with the instance yet' };
  const left = Math.max(bases[0]!.point, ceilSecond(i.now - i.retentionMs));
  const right = floorSecond(Number(i.stream!.caught_up_at));
  if (right < left) return { ok: false, why: 'the binlog archive has not caught up since the newest usable full backup' };
  return { ok: true, left, right, timeline: wb.timeline, bases };
}

/** The base a restore to `t` starts from: the newest base whose point is at or before it. */
export function baseFor(w: Extract<RestoreWindow, { ok: true }>, t: number): (WindowBackup & { point: number }) | undefined {
  let best: (WindowBackup & { point: number }) | undefined;
  for (const b of w.bases) if (b.point <= t) best = b;
  return best;
}
