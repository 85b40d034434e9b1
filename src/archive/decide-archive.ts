/**
 * Pure decisions of the binlog archiver (docs/recovery.md "Archive"). The loop gathers, these
 * decide, the loop acts.
 */
import { errantTransactions, formatGtidPos, gtidCovers, parseGtidPos, type GtidPos } from '../engine/gtid.js';
import type { BinlogFileInfo } from '../engine/engine.js';

export type StreamPlan =
  /** The instance has no stream yet: start one at the primary's oldest binlog. */
  | { kind: 'init' }
  /** Streaming from the right source: keep going. */
  | { kind: 'keep' }
  /** The client ended (connection lost, source restarted): a new run from where the archive is. */
  | { kind: 'resume' }
  /** The primary changed (failover, switchover): a new run on it, after cutting errant events. */
  | { kind: 'follow'; errant: string[]; resumeAt: string };

export interface StreamObservation {
  hasStream: boolean;
  /** The node the stream reads from, and the instance's primary now. */
  sourceNode?: string;
  primaryNode: string;
  running: boolean;
  /** Durable archive position. */
  archivedGtid: string;
  /** The new primary's gtid_binlog_pos at its promotion (HA state), when it was promoted. */
  promotedAt?: string;
}

export function decideStream(o: StreamObservation): StreamPlan {
  if (!o.hasStream) return { kind: 'init' };
  if (o.sourceNode !== o.primaryNode) {
    // Events the old primary wrote after the point the new one was promoted at never reached it:
    // they are errant, never replayed; the archive continues from the promotion point.
    const archived = parseGtidPos(o.archivedGtid);
    const promoted = o.promotedAt !== undefined ? parseGtidPos(o.promotedAt) : undefined;
    const errant = promoted ? errantTransactions(archived, promoted) : [];
    return { kind: 'follow', errant, resumeAt: errant.length && promoted ? formatGtidPos(minPos(archived, promoted)) : o.archivedGtid };
  }
  return o.running ? { kind: 'keep' } : { kind: 'resume' };
}

/** Per domain, the lower of two positions (a domain missing from either is left out). */
export function minPos(a: GtidPos, b: GtidPos): GtidPos {
  const out: GtidPos = new Map();
  for (const [d, x] of a) {
    const y = b.get(d);
    if (y) out.set(d, x.seq <= y.seq ? x : y);
  }
  return out;
}

/**
 * Where a run that must continue after `resumeAt` starts on a source with these binlog files: the
 * newest file that begins at or before it (it holds the next transaction; events up to `resumeAt`
 * in it are duplicates the replay skips by GTID). When even the oldest file begins after
 * `resumeAt`, the events in between are gone: a gap from `resumeAt` to the oldest file's start.
 */
export function resumeFile(files: readonly BinlogFileInfo[], resumeAt: string): { file: string; gap?: { from: string; to: string } } | undefined {
  if (!files.length) return undefined;
  const at = parseGtidPos(resumeAt);
  for (let i = files.length - 1; i >= 0; i--) {
    if (gtidCovers(at, parseGtidPos(files[i]!.startGtid))) return { file: files[i]!.file };
  }
  return { file: files[0]!.file, gap: { from: resumeAt, to: files[0]!.startGtid } };
}

/**
 * The file to purge to (PURGE BINARY LOGS TO): every file before it holds only archived
 * transactions, i.e. the next file begins at a position the archive covers. Never the last (active)
 * file; undefined when nothing can go.
 */
export function purgeTarget(files: readonly BinlogFileInfo[], archivedGtid: string): string | undefined {
  const archived = parseGtidPos(archivedGtid);
  let to: string | undefined;
  for (let i = 1; i < files.length; i++) {
    if (!gtidCovers(archived, parseGtidPos(files[i]!.startGtid))) break;
    to = files[i]!.file;
  }
  return to === files[0]?.file ? undefined : to;
}

/**
 * Bytes of the server's binlog files kept only because the archive does not hold them yet: every
 * closed file from the first one with unarchived transactions on (purgeTarget's rule), the active
 * (last) file left out (the server keeps that one anyway). What the disk guard reports as held back.
 */
export function heldBackBytes(files: readonly BinlogFileInfo[], archivedGtid: string): number {
  const archived = parseGtidPos(archivedGtid);
  let held = 0;
  for (let i = 0; i + 1 < files.length; i++) {
    if (!gtidCovers(archived, parseGtidPos(files[i + 1]!.startGtid))) held += files[i]!.sizeBytes;
  }
  return held;
}

/** Advances a position by one transaction's GTID (per domain, the newest). */
export function advance(pos: GtidPos, g: { domain: number; server: number; seq: number }): void {
  const cur = pos.get(g.domain);
  if (!cur || g.seq >= cur.seq) pos.set(g.domain, { server: g.server, seq: g.seq });
}

/** Whether a durable archive at `archived` holds everything the source had written (`sourcePos`). */
export function caughtUp(archived: string, sourcePos: string): boolean {
  return gtidCovers(parseGtidPos(archived), parseGtidPos(sourcePos));
}

/**
 * The stream's new caught_up_at (RightBorderTime) when the archive was known complete at `coveredAt`
 * (epoch ms): that time in whole seconds, if later than `current`; undefined when it does not move
 * it. Stored in seconds: the window is shown in seconds, and an idle stream writes once a second at most. Pure.
 */
export function nextCaughtUpAt(coveredAt: number, current: number | null): number | undefined {
  const secs = Math.floor(coveredAt / 1000) * 1000;
  return secs > (current ?? 0) ? secs : undefined;
}

/**
 * Why a stream's client ended, and when the next run may start: a client that keeps ending (its
 * storage full, the source refusing it) is restarted with a growing delay, not every round.
 */
export interface Trouble { fails: number; retryAt: number; why: string; loggedAt: number }
export const RETRY_MAX_MS = 5000;
export const TROUBLE_LOG_EVERY_MS = 30_000;

/**
 * A resume after the client ended with `clientLog`: whether to start a new run now (the delay since
 * the last failure is over: 200 ms, doubling, at most RETRY_MAX_MS), the record to keep, and whether
 * to log (a new reason, or the same one again after TROUBLE_LOG_EVERY_MS).
 */
export function decideRetry(prev: Trouble | undefined, now: number, clientLog: string): { retry: boolean; next: Trouble; log: boolean } {
  if (prev && now < prev.retryAt) return { retry: false, next: prev, log: false };
  const why = `the archive stream ended: ${clientLog || '(no message)'}`.slice(0, 500);
  const fails = (prev?.fails ?? 0) + 1;
  const log = why !== prev?.why || now - prev.loggedAt >= TROUBLE_LOG_EVERY_MS;
  return { retry: true, log, next: { fails, why, retryAt: now + Math.min(RETRY_MAX_MS, 100 * 2 ** fails), loggedAt: log ? now : prev!.loggedAt } };
}

/**
 * Whether this round asks the source its binlog position (for RightBorderTime): while `askSource`
 * holds (askSourceNext; a new run starts with it on), and otherwise once `idleMs` passed since the
 * last question. Pure.
 */
export function shouldAskSource(m: { askSource: boolean; sourceAskedAt: number }, now: number, idleMs: number): boolean {
  return m.askSource || now - m.sourceAskedAt >= idleMs;
}

/**
 * Whether the next round asks again: the archive grew this round (it may have caught up), or the
 * answer (`covered`: whether the archive covered it; undefined when the source was not asked or did
 * not answer) was ahead of it. An idle, covered source is then left alone until `idleMs`. Pure.
 */
export function askSourceNext(prev: boolean, grew: boolean, covered: boolean | undefined): boolean {
  return grew || (covered === undefined ? prev : !covered);
}

/** An archive that did not move is checked for server binlogs to purge this many times less often. */
export const IDLE_PURGE_FACTOR = 6;

/**
 * Whether a housekeeping round (every purgeEveryMs) also lists the nodes' server binlogs to purge
 * them: when the archive moved since the last listing (what it covers grew, so a file may now be
 * purgeable), else only every IDLE_PURGE_FACTOR × purgeEveryMs (a file rotated without events).
 * Listing costs a connection and a query per file on every node; an idle instance needs none. Pure.
 */
export function nodesPurgeDue(m: { nodesPurgedAt: number; nodesPurgedFor: string }, now: number, archivedGtid: string, purgeEveryMs: number): boolean {
  return archivedGtid !== m.nodesPurgedFor || now - m.nodesPurgedAt >= IDLE_PURGE_FACTOR * purgeEveryMs;
}

/**
 * How long retention and the first-backup check, once they found nothing to do, are left alone
 * while the tables they read stay unchanged: the window's left edge moves a thousandth of it
 * meanwhile (and at least one housekeeping interval).
 */
export function retentionRecheckMs(cfg: { purgeEveryMs: number; retentionDays: number }): number {
  return Math.max(cfg.purgeEveryMs, (cfg.retentionDays * 86_400_000) / 1000);
}

/**
 * When an instance's next housekeeping (server binlog purge, retention, first-backup check) is due,
 * epoch ms. Every `purgeEveryMs` while it has work: the archive moved since the nodes were last
 * listed for purging, or retention has not settled (`settled`: when it last found nothing to do,
 * and whether the tables it reads are unchanged since). An idle instance waits instead for the
 * first of its two idle timers: the nodes' next listing (IDLE_PURGE_FACTOR × purgeEveryMs after the
 * last) or retention's recheck; never sooner than purgeEveryMs after the last housekeeping. Pure.
 */
export function housekeepingDueAt(
  m: { lastPurgeAt: number; nodesPurgedAt: number; nodesPurgedFor: string }, archivedGtid: string,
  settled: { at: number; current: boolean } | undefined, cfg: { purgeEveryMs: number; retentionDays: number },
): number {
  const soon = m.lastPurgeAt + cfg.purgeEveryMs;
  if (archivedGtid !== m.nodesPurgedFor || !settled?.current) return soon;
  return Math.max(soon, Math.min(m.nodesPurgedAt + IDLE_PURGE_FACTOR * cfg.purgeEveryMs, settled.at + retentionRecheckMs(cfg)));
}

/**
 * What a full visit of an instance's stream depends on besides its own timers (nextVisitAt): the
 * instance's status and HA state, its primary, the stream row's structural fields (its writes of
 * caught_up_at and updated_at alone change nothing), and the adapter's version. Pure.
 */
export function visitKey(inst: { status: string; ha_state: string | null; primary: string }, row: { run: number; status: string; source_node: string; archived_gtid: string; close_requested_at: number | null; status_detail: string }, version: number): string {
  return [inst.status, inst.ha_state ?? '', inst.primary, row.run, row.status, row.source_node, row.archived_gtid, row.close_requested_at ?? '', row.status_detail, version].join('\u0000');
}

export interface VisitTimers {
  now: number;
  /** The instance is RUNNING and its stream runs (otherwise: every round, it is in transition). */
  settled: boolean;
  /** A stream-row write held back until then (at most one a second). */
  unwrittenUntil?: number;
  /** The next housekeeping round. */
  purgeAt: number;
  /** When the source's position is next asked (an adapter without coveredAt). */
  askSourceAt?: number;
  /** The spool files held in memory: a file that ended is archived and removed in the next rounds. */
  files: ReadonlyArray<{ ended: boolean; closeAt?: number }>;
}

/**
 * When an unchanged stream must be visited again (epoch ms; `now`: next round): its next timer,
 * or at once while anything is in transition (a stream not running, a rotated or ended file). Pure.
 */
export function nextVisitAt(t: VisitTimers): number {
  if (!t.settled || t.files.length > 1 || t.files.some((f) => f.ended)) return t.now;
  let at = t.purgeAt;
  for (const x of [t.unwrittenUntil, t.askSourceAt, ...t.files.map((f) => f.closeAt)]) if (x !== undefined && x < at) at = x;
  return at;
}
