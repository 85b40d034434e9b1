/**
 * The binlog archiver (docs/recovery.md "Archive"): one loop that owns every instance's binlog
 * stream. Each round, per instance: gather (the stream row, the primary, the client's state, the
 * source's position), decide (decide-archive.ts), act:
 *  - start, resume or follow the stream (BinlogStreams port; a new run for every start);
 *  - make the spool durable (sync), walk the new bytes (binlog-events.ts) and record the durable
 *    position; when it covers what the source had at the start of the round, the archive was
 *    caught up then (RightBorderTime);
 *  - close segments (at rotation, every `closeEveryMs`, or when a restore asks) into the segment
 *    store, then drop them from the spool;
 *  - every `purgeEveryMs` while there is work (housekeepingDueAt; an idle instance far less often):
 *    purge server binlogs the archive holds, on every node; prune segments older than the window
 *    (prune-archive.ts); take a full backup when the timeline has none (the first one, or after a gap).
 * A start()/stop() object, like the other loops, so that one node can own it under a lease.
 */
import type { Logger } from 'pino';
import { randomBytes, randomInt } from 'node:crypto';
import { PeriodicLoop } from '../common/periodic-loop.js';
import { formatGtidPos, parseGtidPos, type GtidPos } from '../engine/gtid.js';
import { parseHaState } from '../ha/ha-state.js';
import { adminTarget, primaryNode, replTarget } from '../instances/nodes.js';
import { InstanceStatus } from '../instances/status.js';
import type { BinlogStreams, SpoolFile } from '../provisioner/binlog-stream.js';
import type { Services } from '../services.js';
import type { ArchiveStream } from '../store/recovery-repo.js';
import type { Instance, Node } from '../store/store.js';
import { BackupMode, BackupStatus, BackupStrategy, BackupType, newBackup } from '../backups/index.js';
import { formatGtid, newWalk, walk, type Gtid, type WalkState } from './binlog-events.js';
import { advance, askSourceNext, caughtUp, decideRetry, housekeepingDueAt, nextCaughtUpAt, decideStream, nextVisitAt, nodesPurgeDue, purgeTarget, resumeFile, retentionRecheckMs, shouldAskSource, visitKey, type Trouble } from './decide-archive.js';
import { SegmentStore, segmentKey } from './segment-store.js';
import { UnchangedCache } from '../common/unchanged-cache.js';
import { pruneArchive } from './prune-archive.js';

/** What the loop keeps in memory per spool file (rebuilt by walking the file again after a restart). */
/** What retention and the first-backup check read (archive_streams aside: the archiver writes it every few seconds). */
const HOUSEKEEPING_TABLES = ['backups', 'instances', 'archive_segments', 'archive_timelines', 'archive_gaps'] as const;

interface FileState {
  walk: WalkState;
  /** Bytes already stored as segments. */
  closedOffset: number;
  lastCloseAt: number;
  pending: { first?: Gtid; firstAt?: number; last?: Gtid; lastAt?: number; count: number };
  /** Archive position after this file's last walked transaction. */
  endPos: string;
  /** The node the run that wrote the file read from ('' when not known any more). */
  source: string;
  /** Its durable size at the previous round (-1 before). */
  seenBytes: number;
}

interface InstanceMemory {
  run: number;
  timeline: number;
  pos: GtidPos;
  files: Map<string, FileState>;
  lastWriteAt: number;
  lastPurgeAt: number;
  /** When the nodes' server binlogs were last listed for purging, and the archived position then. */
  nodesPurgedAt: number;
  nodesPurgedFor: string;
  /** When the source's position was last asked (epoch ms; 0: never in this run). */
  sourceAskedAt: number;
  /**
   * Ask the source again next round: the archive grew (it may have caught up), or the last answer
   * was ahead of it. False once an answer was covered and nothing came since: an idle source is
   * then asked every `sourceCheckIdleMs` only (RightBorderTime of an idle instance moves that often).
   */
  askSource: boolean;
  /** Timeline of each run: the timeline with the highest first run at or below it. */
  timelines: Array<{ timeline: number; firstRun: number }>;
  /** The last drain held a stream-row write back (at most one a second). */
  unwritten: boolean;
  /** What the last full visit saw (visitKey), and when a timer of this instance is next due. */
  visitKey?: string;
  wakeAt: number;
}

export function timelineOfRun(timelines: ReadonlyArray<{ timeline: number; firstRun: number }>, run: number): number {
  let t = timelines[0]?.timeline ?? 1;
  for (const x of timelines) if (x.firstRun <= run && x.timeline > t) t = x.timeline;
  return t;
}

const LOG_EVERY_MS = 30_000;

/** Statuses in which the archiver leaves an instance alone (its nodes are being made, replaced or removed). */
const SKIP = new Set<string>([InstanceStatus.CREATING, InstanceStatus.RESTORING, InstanceStatus.DELETING, InstanceStatus.DELETED]);

export class Archiver extends PeriodicLoop {
  private readonly mem = new Map<string, InstanceMemory>();
  private readonly trouble = new Map<string, Trouble>();
  readonly segments: SegmentStore;
  /** Gaps detected since start, for /metrics. */
  gaps = 0;

  constructor(private readonly svc: Services, private readonly streams: BinlogStreams, log: Logger) {
    super('binlog archiver', log);
    this.segments = new SegmentStore(svc.backups.storage);
  }

  protected intervalMs(): number {
    return this.svc.config.archive.intervalMs;
  }

  /**
   * The store's side of a round, read again only after a write to the tables it comes from
   * (UnchangedCache): at 200 ms a round, 1,000 idle instances cost ~20 ms of queries a round
   * otherwise (bench/RESULTS.md 2h). The stream rows are a cache of their own: the archiver
   * writes them itself every few seconds per instance, and that must not re-read the instances.
   */
  private readonly lists = new UnchangedCache<{ live: Instance[]; nodesByInstance: Map<string, Node[]> }>(['instances', 'nodes']);
  private readonly streamRows = new UnchangedCache<ArchiveStream[]>(['archive_streams']);

  private async view() {
    const { store } = this.svc;
    const lists = await this.lists.get(store.backend, async () => {
      const live = await store.listLiveInstances();
      const nodesByInstance = new Map<string, Node[]>();
      // Ordered as listNodes() orders them, so primaryNode() picks the same node.
      const all = live.length ? (await store.listAllNodes()).sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) : [];
      for (const n of all) {
        const list = nodesByInstance.get(n.instance_uuid) ?? [];
        list.push(n);
        nodesByInstance.set(n.instance_uuid, list);
      }
      return { live, nodesByInstance };
    });
    return { ...lists, streams: await this.streamRows.get(store.backend, () => store.recovery.listStreams()) };
  }

  async runOnce(): Promise<void> {
    if (!this.svc.config.archive.enabled) return;
    const { live, nodesByInstance, streams } = await this.view();
    this.roundToken = this.svc.store.backend.changeToken?.(HOUSEKEEPING_TABLES);
    const insts = live.filter((i) => !i.parent_uuid && !i.temp_source_uuid && !SKIP.has(i.status));
    // A deleted instance's stream ends (its segments stay, like its backups, until retention).
    const liveIds = new Set(live.map((i) => i.uuid));
    for (const s of streams) {
      if (liveIds.has(s.instance_uuid) || s.status === 'off') continue;
      await this.streams.destroy(s.instance_uuid);
      await this.svc.store.recovery.updateStream(s.instance_uuid, s.run, { status: 'off', status_detail: 'the instance was deleted', updated_at: this.svc.clock.now() });
      this.mem.delete(s.instance_uuid);
    }
    const rows = new Map(streams.map((s) => [s.instance_uuid, s]));
    const visits: Array<Promise<void>> = [];
    for (const i of insts) {
      const nodes = nodesByInstance.get(i.uuid) ?? [];
      const g = this.glance(i, nodes, rows.get(i.uuid));
      if (g.visit) visits.push(this.archiveOne(i, nodes, g.visit.primary, rows.get(i.uuid), g.visit.key).catch((err) => this.log.warn({ err, instance: i.uuid }, 'archive round failed')));
    }
    await Promise.all(visits);
    const caughtUp = this.caughtUp.splice(0);
    if (caughtUp.length) {
      await this.svc.store.recovery.advanceCaughtUp(caughtUp, this.svc.clock.now())
        .catch((err) => this.log.warn({ err, streams: caughtUp.length }, 'archive: could not record RightBorderTime; the next look records it'));
    }
  }

  /** Idle streams whose RightBorderTime moved this round (coveredAt), recorded together at its end. */
  private readonly caughtUp: Array<{ instanceUuid: string; run: number; at: number }> = [];

  /** Ends every stream (shutdown keeps them: they outlive serve; this is for tests and `archive.enabled` off). */
  async stopAll(): Promise<void> {
    for (const s of await this.svc.store.recovery.listStreams()) await this.streams.stop(s.instance_uuid);
  }

  /**
   * The round's quick look at an instance, synchronous (on an idle host almost every instance ends
   * here): change-driven, a stream whose adapter reports nothing new, on an instance that did not
   * change, is left alone until a timer of its own is due (nextVisitAt, housekeepingDueAt); a new
   * coveredAt then only moves its RightBorderTime (queued for the round's one write). Otherwise the
   * visit to make: the primary and the visit key (undefined: the adapter has no versions).
   */
  private glance(inst: Instance, nodes: Node[], row: ArchiveStream | undefined): { visit?: { primary: Node; key?: string } } {
    const primary = Number(inst.architecture) === 1 ? primaryNode(nodes) : nodes[0];
    if (!primary) return {};
    const version = this.streams.version?.(inst.uuid);
    const key = version === undefined || !row ? undefined : visitKey({ status: inst.status, ha_state: inst.ha_state, primary: primary.id }, row, version);
    const seen = this.mem.get(inst.uuid);
    const now = this.svc.clock.now();
    if (key === undefined || seen?.visitKey !== key || seen.run !== row!.run || now >= seen.wakeAt || now >= this.housekeepingAt(inst.uuid, seen, row!.archived_gtid)) {
      return { visit: { primary, key } };
    }
    // Nothing copied since the last visit drained the spool.
    const covered = seen.unwritten ? undefined : this.streams.coveredAt?.(inst.uuid);
    const at = covered === undefined ? undefined : nextCaughtUpAt(covered, row!.caught_up_at);
    if (at !== undefined) this.caughtUp.push({ instanceUuid: inst.uuid, run: row!.run, at });
    return {};
  }

  /** `listed`: the instance's stream row as the round's view read it (current: the view is read again after any store write). */
  private async archiveOne(inst: Instance, nodes: Node[], primary: Node, listed: ArchiveStream | undefined, key: string | undefined): Promise<void> {
    const { store, engine } = this.svc;
    let row = listed;
    const state = await this.streams.inspect(inst.uuid);
    // Whether the stream runs, as this round saw it; asked again only after a (re)start below.
    let running: boolean | undefined = state.running && state.run === row?.run;
    const plan = decideStream({
      hasStream: !!row, sourceNode: row?.source_node, primaryNode: primary.id, running: state.running && state.run === row?.run,
      archivedGtid: row?.archived_gtid ?? '', promotedAt: parseHaState(inst.ha_state).promotedAt,
    });
    if (plan.kind === 'init') {
      row = await this.init(inst, primary);
      if (!row) return;
      running = undefined;
    } else if (plan.kind === 'resume' || plan.kind === 'follow') {
      if (!(inst.status === InstanceStatus.RUNNING)) return; // a failover or restart in flight: wait for it to settle
      if (plan.kind === 'resume' && !this.mayRetry(inst, state.log)) return;
      await this.drain(inst, row!, true); // what the ended run left in the spool goes into segments first
      row = (await store.recovery.getStream(inst.uuid))!;
      if (plan.kind === 'follow' && plan.errant.length) {
        await store.recovery.insertGap({
          id: `gap-${randomBytes(8).toString('hex')}`, instance_uuid: inst.uuid, timeline: row.timeline, run: row.run, kind: 'errant',
          at: this.svc.clock.now(), from_gtid: plan.resumeAt, to_gtid: row.archived_gtid,
          detail: `archived transactions ${plan.errant.join(', ')} of ${row.source_node} were discarded by the failover to ${primary.id}; they are never replayed`,
        });
        this.log.warn({ instance: inst.uuid, errant: plan.errant, oldSource: row.source_node, newSource: primary.id }, 'archive: errant transactions cut off after a failover');
      }
      row = await this.restart(inst, row, primary, plan.kind === 'follow' ? plan.resumeAt : row.archived_gtid);
      if (!row) return;
      running = undefined;
    }
    // Read the source's position before making the spool durable: if the durable archive covers it,
    // the archive was complete at this moment.
    // An adapter that sees the source's files says when they were last copied whole (coveredAt);
    // otherwise the source is asked its position.
    const askedAt = this.svc.clock.now();
    const m = await this.memory(row!); // the same object drain() uses (a new run starts with askSource on)
    let source: { pos?: string; at: number } | undefined;
    if (this.streams.coveredAt) {
      const at = running !== false ? this.streams.coveredAt(inst.uuid) : undefined;
      if (at !== undefined) source = { at };
    } else if (shouldAskSource(m, askedAt, this.svc.config.archive.sourceCheckIdleMs)) {
      m.sourceAskedAt = askedAt;
      const pos = await engine.binlogPosition(adminTarget(this.svc, inst, primary)).catch(() => undefined);
      if (pos !== undefined) source = { pos, at: askedAt };
    }
    await this.drain(inst, row!, false, source, running);
    const archived = formatGtidPos(m.pos); // the archived position after the drain
    if (askedAt >= this.housekeepingAt(inst.uuid, m, archived)) {
      m.lastPurgeAt = askedAt;
      const cur = (await store.recovery.getStream(inst.uuid))!;
      const purgeNodes = nodesPurgeDue(m, askedAt, cur.archived_gtid, this.svc.config.archive.purgeEveryMs);
      if (purgeNodes) {
        m.nodesPurgedAt = askedAt;
        m.nodesPurgedFor = cur.archived_gtid;
      }
      await this.housekeeping(inst, purgeNodes ? nodes : [], cur);
    }
    if (key === undefined) return;
    const cfg = this.svc.config.archive;
    m.visitKey = key;
    m.wakeAt = nextVisitAt({
      now: askedAt, settled: inst.status === InstanceStatus.RUNNING && (running ?? (await this.streams.inspect(inst.uuid)).running),
      unwrittenUntil: m.unwritten ? m.lastWriteAt + 1000 : undefined, purgeAt: this.housekeepingAt(inst.uuid, m, archived),
      askSourceAt: this.streams.coveredAt ? undefined : m.askSource ? askedAt : m.sourceAskedAt + cfg.sourceCheckIdleMs,
      files: [...m.files.values()].map((f) => ({ ended: f.walk.ended, closeAt: f.walk.safeEnd > f.closedOffset ? f.lastCloseAt + cfg.closeEveryMs : undefined })),
    });
  }

  /** The first stream of an instance: from the primary's oldest binlog file. */
  private async init(inst: Instance, primary: Node): Promise<ArchiveStream | undefined> {
    const files = await this.svc.engine.listBinlogs(adminTarget(this.svc, inst, primary));
    if (!files.length) return undefined;
    const now = this.svc.clock.now();
    const row: ArchiveStream = {
      instance_uuid: inst.uuid, timeline: 1, run: 1, source_node: primary.id, server_id: 2 ** 31 + randomInt(2 ** 30),
      start_file: files[0]!.file, start_gtid: files[0]!.startGtid, archived_gtid: files[0]!.startGtid, archived_event_at: null,
      caught_up_at: null, status: 'starting', status_detail: '', close_requested_at: null, updated_at: now,
    };
    if (!(await this.svc.store.recovery.createStream(row, now))) return this.svc.store.recovery.getStream(inst.uuid);
    this.log.info({ instance: inst.uuid, file: row.start_file, source: primary.id }, 'archive: stream created');
    await this.launch(inst, row, primary);
    return row;
  }

  /** A new run on `primary` continuing after `resumeAt`; a gap is recorded when the source no longer has it. */
  private async restart(inst: Instance, row: ArchiveStream, primary: Node, resumeAt: string): Promise<ArchiveStream | undefined> {
    const files = await this.svc.engine.listBinlogs(adminTarget(this.svc, inst, primary));
    const at = resumeFile(files, resumeAt);
    if (!at) return undefined;
    const now = this.svc.clock.now();
    if (at.gap) {
      this.gaps++;
      await this.svc.store.recovery.insertGap({
        id: `gap-${randomBytes(8).toString('hex')}`, instance_uuid: inst.uuid, timeline: row.timeline, run: row.run + 1, kind: 'gap', at: now,
        from_gtid: at.gap.from, to_gtid: at.gap.to,
        detail: `the source ${primary.id} no longer has the binlog after ${at.gap.from || '(start)'}; its oldest file begins at ${at.gap.to}`,
      });
      this.log.error({ instance: inst.uuid, from: at.gap.from, to: at.gap.to }, 'archive: GAP — binlog events were lost before they were archived; the restore window restarts after the next full backup');
      await this.takeBackup(inst, 'a new full backup after a gap in the binlog archive');
    }
    const patch = {
      // After a gap the run continues from where the source's history now begins: the run's walk
      // advances from start_gtid, and the archive must not report a position below it.
      run: row.run + 1, source_node: primary.id, start_file: at.file, start_gtid: at.gap ? at.gap.to : resumeAt, archived_gtid: at.gap ? at.gap.to : resumeAt,
      status: 'starting', status_detail: this.trouble.get(inst.uuid)?.why ?? '', updated_at: now,
    };
    if (!(await this.svc.store.recovery.updateStream(inst.uuid, row.run, patch))) return undefined;
    const next = { ...row, ...patch };
    this.mem.delete(inst.uuid);
    this.log.info({ instance: inst.uuid, run: next.run, file: at.file, source: primary.id, resumeAt }, 'archive: stream restarted');
    await this.launch(inst, next, primary);
    return next;
  }

  /**
   * A resume after the client ended: records why (the stream's status detail keeps it until the
   * archive advances again), logs it at most every 30 s, and says whether the retry delay is over.
   */
  private mayRetry(inst: Instance, clientLog: string): boolean {
    const d = decideRetry(this.trouble.get(inst.uuid), this.svc.clock.now(), clientLog);
    if (!d.retry) return false;
    if (d.log) this.log.error({ instance: inst.uuid, reason: clientLog, fails: d.next.fails }, 'archive: the stream ended; a new run resumes at the last archived event');
    this.trouble.set(inst.uuid, d.next);
    return true;
  }

  private async launch(inst: Instance, row: ArchiveStream, primary: Node): Promise<void> {
    await this.streams.start({ id: inst.uuid, run: row.run, sourceNode: primary.id, source: replTarget(this.svc, inst, primary), serverId: Number(row.server_id), startFile: row.start_file });
  }

  private async memory(row: ArchiveStream): Promise<InstanceMemory> {
    let m = this.mem.get(row.instance_uuid);
    if (!m || m.run !== row.run || m.timeline !== row.timeline) {
      const timelines = (await this.svc.store.recovery.listTimelines(row.instance_uuid)).map((t) => ({ timeline: t.timeline, firstRun: t.first_run }));
      m = { run: row.run, timeline: row.timeline, pos: parseGtidPos(row.start_gtid), files: new Map(), lastWriteAt: 0, lastPurgeAt: m?.lastPurgeAt ?? 0, nodesPurgedAt: 0, nodesPurgedFor: '', sourceAskedAt: 0, askSource: true, timelines, unwritten: false, wakeAt: 0 };
      this.mem.set(row.instance_uuid, m);
    }
    return m;
  }

  /**
   * Sync the spool, walk what is new, close segments that are due, record the durable position.
   * `all`: close everything (the run ended). `source`: read before the sync, the source's position
   * at `at`, or (no `pos`) the adapter's word that the spool held all of the source at `at`.
   */
  private async drain(inst: Instance, row: ArchiveStream, all: boolean, source?: { pos?: string; at: number }, running?: boolean): Promise<void> {
    const cfg = this.svc.config.archive;
    const m = await this.memory(row);
    const spool = await this.streams.sync(inst.uuid);
    const now = this.svc.clock.now();
    const closeAsked = row.close_requested_at !== null;
    let grew = false;
    const byRun = new Map<number, SpoolFile[]>();
    for (const f of spool) byRun.set(f.run, [...(byRun.get(f.run) ?? []), f]);
    for (const f of spool) {
      const key = `${f.run}/${f.name}`;
      let fs = m.files.get(key);
      if (!fs) {
        const stored = (await this.svc.store.recovery.listSegments(inst.uuid, timelineOfRun(m.timelines, f.run)))
          .filter((s) => s.run === f.run && s.binlog_file === f.name).reduce((x, s) => Math.max(x, Number(s.end_offset)), 0);
        fs = { walk: newWalk(), closedOffset: stored, lastCloseAt: now, pending: { count: 0 }, endPos: formatGtidPos(m.pos), source: f.run === row.run ? row.source_node : '', seenBytes: -1 };
        m.files.set(key, fs);
      }
      const still = f.bytes === fs.seenBytes;
      fs.seenBytes = f.bytes;
      if (f.bytes > fs.walk.offset) {
        grew = true;
        const buf = await readAll(this.streams.read(inst.uuid, f, { start: fs.walk.offset, end: f.bytes }));
        const r = walk(fs.walk, buf, fs.walk.offset);
        fs.walk = r.state;
        for (const t of r.transactions) {
          if (t.end <= fs.closedOffset) continue; // stored before a restart of serve
          const p = fs.pending;
          if (!p.first) { p.first = t.gtid; p.firstAt = t.commitAt; }
          p.last = t.gtid;
          p.lastAt = t.commitAt;
          p.count++;
          if (f.run === row.run) advance(m.pos, t.gtid);
        }
        fs.endPos = formatGtidPos(m.pos);
      }
      const newer = (byRun.get(f.run) ?? []).some((g) => g.name > f.name) || f.run < row.run;
      const complete = fs.walk.ended || newer || all;
      const due = complete || closeAsked || now - fs.lastCloseAt >= cfg.closeEveryMs;
      if (due && fs.walk.safeEnd > fs.closedOffset) await this.closeSegment(inst, row, timelineOfRun(m.timelines, f.run), f, fs);
      // A rotated file is done once stored whole; a file of an ended run once its whole transactions are
      // (a torn last event of a killed client is not a transaction: the next run has it again).
      const ended = f.run < row.run || all;
      // A file a newer one followed without a Rotate or Stop event (the server crashed while writing
      // it) never grows again: its torn tail is not a transaction.
      const torn = newer && !fs.walk.ended && still;
      if (fs.closedOffset >= fs.walk.safeEnd && ((fs.walk.ended && fs.walk.safeEnd >= f.bytes) || ended || torn)) {
        await this.streams.remove(inst.uuid, f);
        m.files.delete(key);
      }
    }
    const archived = formatGtidPos(m.pos);
    const lastAt = [...m.files.values()].reduce<number | null>((x, fs) => Math.max(x ?? 0, fs.pending.lastAt ?? 0) || x, row.archived_event_at);
    const patch: Record<string, unknown> = {};
    if (archived !== row.archived_gtid) {
      patch.archived_gtid = archived;
      if (this.trouble.delete(inst.uuid) && row.status_detail.startsWith('the archive stream ended')) patch.status_detail = '';
    }
    if (lastAt !== row.archived_event_at && lastAt) patch.archived_event_at = lastAt;
    const covered = source !== undefined && (source.pos === undefined || caughtUp(archived, source.pos));
    const caughtUpAt = covered ? nextCaughtUpAt(source.at, row.caught_up_at) : undefined;
    if (caughtUpAt !== undefined) patch.caught_up_at = caughtUpAt;
    m.askSource = askSourceNext(m.askSource, grew, source === undefined ? undefined : covered);
    if (closeAsked) patch.close_requested_at = null;
    const streaming = (running ?? (await this.streams.inspect(inst.uuid)).running) ? 'streaming' : 'stopped';
    if (streaming !== row.status) patch.status = streaming;
    const structural = closeAsked || 'status' in patch || 'status_detail' in patch;
    const write = Object.keys(patch).length > 0 && (structural || now - m.lastWriteAt >= 1000);
    m.unwritten = Object.keys(patch).length > 0 && !write;
    if (write) {
      m.lastWriteAt = now;
      await this.svc.store.recovery.updateStream(inst.uuid, row.run, { ...patch, updated_at: now });
    }
  }

  private async closeSegment(inst: Instance, row: ArchiveStream, timeline: number, f: SpoolFile, fs: FileState): Promise<void> {
    const start = fs.closedOffset;
    const end = fs.walk.safeEnd;
    const key = segmentKey(inst.uuid, timeline, f.run, f.name, start);
    const parts = start > 0 && fs.walk.headerEnd > 0
      ? [() => this.streams.read(inst.uuid, f, { start: 0, end: fs.walk.headerEnd }), () => this.streams.read(inst.uuid, f, { start, end })]
      : [() => this.streams.read(inst.uuid, f, { start, end })];
    let stored;
    try {
      stored = await this.segments.put(key, parts);
    } catch (e) {
      const detail = `could not store a segment: ${(e as Error).message}`.slice(0, 500);
      const cur = await this.svc.store.recovery.getStream(inst.uuid);
      if (cur?.status_detail !== detail || this.svc.clock.now() - Number(cur.updated_at) >= LOG_EVERY_MS) {
        this.log.error({ err: e, instance: inst.uuid, key }, 'archive: could not store a segment (backup storage full?); retried, server binlogs are kept meanwhile');
        await this.svc.store.recovery.updateStream(inst.uuid, row.run, { status_detail: detail, updated_at: this.svc.clock.now() });
      }
      return;
    }
    const p = fs.pending;
    await this.svc.store.recovery.insertSegment({
      id: `seg-${randomBytes(8).toString('hex')}`, instance_uuid: inst.uuid, timeline, run: f.run, source_node: fs.source,
      binlog_file: f.name, start_offset: start, end_offset: end, key, size_bytes: stored.sizeBytes, raw_bytes: end - start, sha256: stored.sha256,
      first_gtid: p.first ? formatGtid(p.first) : '', last_gtid: p.last ? formatGtid(p.last) : '', end_gtid: fs.endPos,
      first_event_at: p.firstAt ?? null, last_event_at: p.lastAt ?? null, transactions: p.count, created_at: this.svc.clock.now(),
    });
    if (row.status_detail.startsWith('could not store')) await this.svc.store.recovery.updateStream(inst.uuid, row.run, { status_detail: '', updated_at: this.svc.clock.now() });
    fs.closedOffset = end;
    fs.lastCloseAt = this.svc.clock.now();
    fs.pending = { count: 0 };
  }

  /**
   * Purges archived server binlogs on `nodes` (each listed over its own connection: only when
   * nodesPurgeDue), then archive retention, and a full backup when the timeline has none.
   */
  private async housekeeping(inst: Instance, nodes: Node[], row: ArchiveStream): Promise<void> {
    for (const n of nodes) {
      try {
        const t = adminTarget(this.svc, inst, n);
        await this.expiryOff(inst, n, t);
        const to = purgeTarget(await this.svc.engine.listBinlogs(t), row.archived_gtid);
        if (to) {
          await this.svc.engine.purgeBinlogsTo(t, to);
          this.log.info({ instance: inst.uuid, node: n.id, to }, 'archive: purged archived server binlogs');
        }
      } catch (err) {
        this.log.warn({ err, instance: inst.uuid, node: n.id }, 'archive: purge failed; retried');
      }
    }
    if (inst.status !== InstanceStatus.RUNNING) return;
    // Retention and the first-backup check read ~10 rows' worth of queries per instance: skipped while
    // the tables they read are unchanged since they last found nothing to do (SQLite's change token;
    // PostgreSQL has none), and the window's left edge moved less than a thousandth of it.
    const cfg = this.svc.config.archive;
    const backend = this.svc.store.backend;
    const now = this.svc.clock.now();
    const token = backend.changeToken?.(HOUSEKEEPING_TABLES);
    const settled = this.settled.get(inst.uuid);
    if (token !== undefined && settled?.token === token && now - settled.at < retentionRecheckMs(cfg)) return;
    this.settled.delete(inst.uuid);
    const pruned = await pruneArchive(this.svc, this.segments, inst, this.log).catch((err) => { this.log.warn({ err, instance: inst.uuid }, 'archive retention failed; retried'); return -1; });
    const timelines = await this.svc.store.recovery.listTimelines(inst.uuid);
    const since = timelines.find((t) => t.timeline === row.timeline)?.started_at ?? 0;
    const gaps = (await this.svc.store.recovery.listGaps(inst.uuid)).filter((g) => g.kind === 'gap' && g.timeline === row.timeline);
    const after = Math.max(since, ...gaps.map((g) => Number(g.at)));
    const backups = await this.svc.store.backups.list(inst.tenant_id, inst.uuid);
    const usable = backups.some((b) => b.type === BackupType.physical && (b.status === BackupStatus.finished || b.status === BackupStatus.running) && Number(b.created_at) >= after);
    if (!usable) await this.takeBackup(inst, 'the first full backup of the binlog archive\'s restore window');
    else if (pruned === 0 && token !== undefined && backend.changeToken!(HOUSEKEEPING_TABLES) === token) this.settled.set(inst.uuid, { token, at: now });
  }

  /** Per instance: the change token of HOUSEKEEPING_TABLES when retention and the first-backup check last found nothing to do. */
  private readonly settled = new Map<string, { token: string; at: number }>();
  /** The change token of HOUSEKEEPING_TABLES at the start of this round (read once a round, not per instance). */
  private roundToken: string | undefined;

  /** When the instance's next housekeeping is due (housekeepingDueAt), with its settled state as of this round. */
  private housekeepingAt(uuid: string, m: InstanceMemory, archivedGtid: string): number {
    const s = this.settled.get(uuid);
    const settled = s ? { at: s.at, current: this.roundToken !== undefined && s.token === this.roundToken } : undefined;
    return housekeepingDueAt(m, archivedGtid, settled, this.svc.config.archive);
  }

  /** Nodes (by incarnation) whose running server already has time-based binlog expiry off. */
  private readonly expiryOffAt = new Set<string>();

  /**
   * Time-based binlog expiry off on a running node at once (binlog_expire_logs_seconds is dynamic in
   * MariaDB 10.11), not only from its next start (its my.cnf says 0 too, src/instances/nodes.ts):
   * only the archive purges, after archiving. Asked once per run of the node's server.
   */
  private async expiryOff(inst: Instance, n: Node, t: ReturnType<typeof adminTarget>): Promise<void> {
    const key = `${n.id}:${n.incarnation ?? ''}`;
    if (this.expiryOffAt.has(key)) return;
    const v = await this.svc.engine.readVariables(t, ['binlog_expire_logs_seconds']);
    if (v.binlog_expire_logs_seconds !== '0') {
      await this.svc.engine.setGlobal(t, 'binlog_expire_logs_seconds', '0');
      this.log.info({ instance: inst.uuid, node: n.id, was: v.binlog_expire_logs_seconds }, 'archive: time-based binlog expiry turned off on the running node');
    }
    if (this.expiryOffAt.size > 10_000) this.expiryOffAt.clear();
    this.expiryOffAt.add(key);
  }

  private async takeBackup(inst: Instance, why: string): Promise<void> {
    const { backup, task } = newBackup({
      tenantId: inst.tenant_id, instanceUuid: inst.uuid, type: BackupType.physical, mode: BackupMode.auto, strategy: BackupStrategy.instance,
      databases: [], description: '', now: this.svc.clock.now(), detail: why,
    });
    await this.svc.store.backups.create(backup, task);
    this.svc.kickTasks();
    this.log.info({ instance: inst.uuid, backup: backup.id, why }, 'archive: full backup started');
  }
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
