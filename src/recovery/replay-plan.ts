/**
 * Pure: which archived segments a point-in-time restore replays, and where it stops
 * (docs/recovery.md "Time"). The restore applies, in stream order, every transaction after the
 * base backup's GTID up to the last one before the first transaction whose commit time is after
 * SelectTime; never an errant transaction (cut off after a failover), never across runs twice (a
 * resumed run starts at the beginning of a file: what it repeats is skipped by GTID).
 */
import { formatGtidPos, gtidCovers, parseGtidPos, type GtidPos } from '../engine/gtid.js';
import type { Gtid } from '../archive/binlog-events.js';

export interface PlanSegment { id: string; run: number; binlog_file: string; start_offset: number; end_gtid: string; first_event_at: number | null }
export interface PlanCut { kind: string; run: number; from_gtid: string }

export interface RunPlan<S extends PlanSegment = PlanSegment> {
  run: number;
  segments: S[];
  /** Errant cut: transactions of this run beyond this position are never applied. */
  cut?: string;
}

/** Segments of one timeline (any order) that may hold transactions after `baseGtid`, grouped by run in stream order. */
export function planRuns<S extends PlanSegment>(segments: readonly S[], cuts: readonly PlanCut[], baseGtid: string): RunPlan<S>[] {
  const base = parseGtidPos(baseGtid);
  const sorted = [...segments].sort((a, b) => a.run - b.run || (a.binlog_file < b.binlog_file ? -1 : a.binlog_file > b.binlog_file ? 1 : 0) || a.start_offset - b.start_offset);
  const out: RunPlan<S>[] = [];
  for (const s of sorted) {
    if (s.end_gtid && gtidCovers(base, parseGtidPos(s.end_gtid))) continue; // nothing after the base in it
    let r = out[out.length - 1];
    if (!r || r.run !== s.run) {
      const cut = cuts.find((c) => c.kind === 'errant' && c.run === s.run);
      r = { run: s.run, segments: [], cut: cut?.from_gtid };
      out.push(r);
    }
    r.segments.push(s);
  }
  return out;
}

export type TxVerdict = 'apply' | 'skip' | 'end-run' | 'stop';

/**
 * One transaction met in stream order: `skip` when the position already has it (the base, or a
 * run that repeats it), `end-run` when it is beyond this run's errant cut, `stop` when it committed
 * after `selectTime` (nothing after it is applied), else `apply` (advance the position with it).
 */
export function judge(pos: GtidPos, cut: GtidPos | undefined, selectTime: number, tx: { gtid: Gtid; commitAt: number }): TxVerdict {
  const have = pos.get(tx.gtid.domain);
  if (have && have.seq >= tx.gtid.seq) return 'skip';
  if (cut) {
    const c = cut.get(tx.gtid.domain);
    if (!c || tx.gtid.seq > c.seq) return 'end-run';
  }
  if (tx.commitAt > selectTime) return 'stop';
  return 'apply';
}

export { formatGtidPos, parseGtidPos };
