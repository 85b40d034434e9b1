/**
 * Gathering for point-in-time restores (docs/recovery.md): the window of an instance (read from
 * the store, decided by window.ts), and the replay of archived segments into a restored node
 * (segments walked to find where to stop, then applied run by run through Provisioner.replayBinlog).
 */
import { newWalk, walk } from '../archive/binlog-events.js';
import { SegmentStore } from '../archive/segment-store.js';
import type { Target } from '../engine/engine.js';
import type { Services } from '../services.js';
import type { ArchiveSegment } from '../store/recovery-repo.js';
import { formatGtidPos, judge, parseGtidPos, planRuns } from './replay-plan.js';
import { restoreWindow, type RestoreWindow, type WindowInput } from './window.js';

/** Everything the window of an instance is decided from (window.ts), read from the store. */
export async function windowInputOf(svc: Services, instanceUuid: string, tenantId: string): Promise<WindowInput> {
  const [stream, timelines, gaps, backups] = await Promise.all([
    svc.store.recovery.getStream(instanceUuid), svc.store.recovery.listTimelines(instanceUuid),
    svc.store.recovery.listGaps(instanceUuid), svc.store.backups.list(tenantId, instanceUuid),
  ]);
  return {
    now: svc.clock.now(), retentionMs: svc.config.archive.retentionDays * 86_400_000,
    stream: stream && { timeline: stream.timeline, caught_up_at: stream.caught_up_at }, timelines, gaps,
    backups: backups.map((b) => ({ id: b.id, type: b.type, mode: b.mode, status: b.status, gtid: b.gtid, created_at: b.created_at, finished_at: b.finished_at })),
  };
}

export async function windowOf(svc: Services, instanceUuid: string, tenantId: string): Promise<RestoreWindow> {
  if (!svc.config.archive.enabled) return { ok: false, why: 'the binlog archive is off (archive.enabled in config.json)' };
  return restoreWindow(await windowInputOf(svc, instanceUuid, tenantId));
}

export interface ReplayResult { stopGtid: string; transactions: number; bytes: number; ms: number }

/**
 * Applies to `target` (restored from a base at `baseGtid`) the archived transactions of `timeline`
 * up to `selectTime`. Returns the position the node must be at afterwards.
 */
export async function replayTo(svc: Services, instanceUuid: string, timeline: number, baseGtid: string, selectTime: number, nodeId: string, target: Target): Promise<ReplayResult> {
  const t0 = Date.now();
  const segs = new SegmentStore(svc.backups.storage);
  const [segments, gaps] = await Promise.all([svc.store.recovery.listSegments(instanceUuid, timeline), svc.store.recovery.listGaps(instanceUuid)]);
  const runs = planRuns(segments, gaps.filter((g) => g.timeline === timeline), baseGtid);
  const pos = parseGtidPos(baseGtid);
  let transactions = 0;
  let bytes = 0;
  let stopped = false;
  for (const r of runs) {
    if (stopped) break;
    const cut = r.cut !== undefined ? parseGtidPos(r.cut) : undefined;
    // One replay per source binlog file: a continuation segment carries its file's header but not
    // its Gtid_list, and mariadb-binlog takes the first Gtid_list it meets (the next file's) as the
    // logs' initial state, refusing a start position before it.
    const batches: Array<{ file: string; start: string; segments: ArchiveSegment[]; transactions: number }> = [];
    outer: for (const s of r.segments as ArchiveSegment[]) {
      const buf = await readAll(segs.open(s.key, { sizeBytes: Number(s.size_bytes), sha256: s.sha256 }));
      const txs = walk(newWalk(), buf).transactions;
      const before = formatGtidPos(pos);
      let took = 0;
      const take = () => {
        if (!took) return;
        let b = batches[batches.length - 1];
        if (!b || b.file !== s.binlog_file) batches.push(b = { file: s.binlog_file, start: before, segments: [], transactions: 0 });
        b.segments.push(s);
        b.transactions += took;
      };
      for (const tx of txs) {
        const v = judge(pos, cut, selectTime, tx);
        if (v === 'skip') continue;
        if (v === 'end-run') { take(); break outer; }
        if (v === 'stop') {
          stopped = true;
          take();
          break outer;
        }
        const cur = pos.get(tx.gtid.domain);
        if (!cur || tx.gtid.seq > cur.seq) pos.set(tx.gtid.domain, { server: tx.gtid.server, seq: tx.gtid.seq });
        took++;
      }
      take();
    }
    for (const [i, b] of batches.entries()) {
      const res = await svc.provisioner.replayBinlog({
        nodeId, target, startGtid: b.start, stopGtid: batches[i + 1]?.start ?? formatGtidPos(pos),
        binlogs: b.segments.map((s) => () => segs.open(s.key, { sizeBytes: Number(s.size_bytes), sha256: s.sha256 })),
      });
      transactions += b.transactions;
      bytes += res.bytes;
    }
  }
  return { stopGtid: formatGtidPos(pos), transactions, bytes, ms: Date.now() - t0 };
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
