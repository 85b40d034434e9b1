/** Pure: the restore window's anchor (window.ts windowBases), what archive retention keeps and prunes (recovery/retention.ts), and what the archive lets the server purge or holds back (decide-archive.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restoreWindow, windowBases, type WindowBackup, type WindowInput } from '../../src/recovery/window.js';
import { decideArchiveRetention, type RetentionSegment } from '../../src/recovery/retention.js';
import { heldBackBytes, purgeTarget } from '../../src/archive/decide-archive.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 12);
const RET = 7 * DAY;

class BackupBuilder {
  private b: WindowBackup = { id: 'b', type: 'physical-backup', mode: 'auto', status: 'finished', gtid: '0-1-10', created_at: NOW - DAY, finished_at: NOW - DAY + 60_000 };
  constructor(id: string) { this.b.id = id; }
  manual(): this { this.b.mode = 'manual'; return this; }
  logical(): this { this.b.type = 'logical-backup'; return this; }
  status(s: string): this { this.b.status = s; return this; }
  gtid(g: string): this { this.b.gtid = g; return this; }
  /** Asked for `days` ago; finished a minute later. */
  age(days: number): this { this.b.created_at = NOW - days * DAY; this.b.finished_at = this.b.created_at + 60_000; return this; }
  build(): WindowBackup { return { ...this.b }; }
}
const bk = (id: string) => new BackupBuilder(id);

function input(backups: WindowBackup[], over: Partial<WindowInput> = {}): WindowInput {
  return {
    now: NOW, retentionMs: RET, stream: { timeline: 1, caught_up_at: NOW - 1000 },
    timelines: [{ timeline: 1, started_at: NOW - 30 * DAY, start_gtid: '0-1-1' }], gaps: [], backups, ...over,
  };
}

// ---- windowBases: the anchor and the bases from it on ------------------------------------------------

const BASES: Array<[string, WindowBackup[], string[] | RegExp, Partial<WindowInput>?]> = [
  ['one automatic base', [bk('a').age(1).build()], ['a']],
  ['no base at all', [], /no full physical backup/],
  ['a logical backup is no base', [bk('l').logical().age(1).build()], /no full physical backup/],
  ['an unfinished backup is no base', [bk('r').status('running').age(1).build()], /no full physical backup/],
  ['the anchor is the newest automatic base at or before the edge', [bk('a10').age(10).build(), bk('a8').age(8).build(), bk('a6').age(6).build(), bk('a1').age(1).build()], ['a8', 'a6', 'a1']],
  ['an automatic base just inside the window is not the anchor when an older one exists', [bk('a9').age(9).build(), bk('a6').age(6.99).build()], ['a9', 'a6']],
  ['all automatic bases inside the window: the oldest is the anchor', [bk('a5').age(5).build(), bk('a2').age(2).build()], ['a5', 'a2']],
  ['a manual backup older than the anchor does not stretch the window', [bk('m20').manual().age(20).build(), bk('a5').age(5).build()], ['a5']],
  ['a manual backup after the anchor is a base', [bk('a8').age(8).build(), bk('m3').manual().age(3).build()], ['a8', 'm3']],
  ['a manual backup between an old anchor and the edge is a base', [bk('a9').age(9).build(), bk('m8').manual().age(8).build(), bk('a1').age(1).build()], ['a9', 'm8', 'a1']],
  ['only manual bases: the same rule over them', [bk('m9').manual().age(9).build(), bk('m8').manual().age(8).build(), bk('m2').manual().age(2).build()], ['m8', 'm2']],
  ['a base from before the timeline began is none', [bk('old').age(40).build(), bk('a2').age(2).build()], ['a2']],
  ['a base from before a gap is none', [bk('a9').age(9).build(), bk('a2').age(2).gtid('0-1-500').build()], ['a2'], { gaps: [{ kind: 'gap', timeline: 1, at: NOW - 3 * DAY, to_gtid: '0-1-400' }] }],
  ['an errant cut is no gap', [bk('a9').age(9).build(), bk('a2').age(2).build()], ['a9', 'a2'], { gaps: [{ kind: 'errant', timeline: 1, at: NOW - 3 * DAY, to_gtid: '0-1-400' }] }],
  ['a base of an older timeline is none', [bk('a9').age(9).build(), bk('a2').age(2).gtid('0-1-700').build()], ['a2'], {
    stream: { timeline: 2, caught_up_at: NOW }, timelines: [{ timeline: 1, started_at: NOW - 30 * DAY, start_gtid: '0-1-1' }, { timeline: 2, started_at: NOW - 4 * DAY, start_gtid: '0-1-600' }],
  }],
  ['no archive yet', [bk('a').age(1).build()], /no binlog archive yet/, { stream: undefined }],
];
for (const [name, backups, want, over] of BASES) {
  test(`window bases: ${name}`, () => {
    const got = windowBases(input(backups, over));
    if (want instanceof RegExp) {
      assert.equal(got.ok, false);
      assert.match((got as { why: string }).why, want);
    } else {
      assert.ok(got.ok, JSON.stringify(got));
      assert.deepEqual(got.bases.map((b) => b.id), want);
    }
  });
}

test('window: the left border is the anchor\'s point or now − retention, whichever is later', () => {
  const w1 = restoreWindow(input([bk('a8').age(8).build(), bk('a1').age(1).build()]));
  assert.ok(w1.ok);
  assert.equal(w1.left, Math.ceil((NOW - RET) / 1000) * 1000);
  const w2 = restoreWindow(input([bk('m20').manual().age(20).build(), bk('a5').age(5).build()]));
  assert.ok(w2.ok);
  assert.equal(w2.left, NOW - 5 * DAY + 60_000, 'the manual backup of 20 days ago does not move the border back');
});

// ---- decideArchiveRetention ------------------------------------------------------------------------------

class SegBuilder {
  private s: RetentionSegment = { id: 's', key: 'k', timeline: 1, last_event_at: NOW - DAY, created_at: NOW - DAY + 5000 };
  constructor(id: string) { this.s.id = id; this.s.key = `i/${id}.zst`; }
  timeline(t: number): this { this.s.timeline = t; return this; }
  /** Its last transaction committed at this whole second (epoch ms). */
  lastAt(ms: number | null): this { this.s.last_event_at = ms; return this; }
  stored(ms: number): this { this.s.created_at = ms; return this; }
  build(): RetentionSegment { return { ...this.s }; }
}
const seg = (id: string) => new SegBuilder(id);
const A8 = bk('a8').age(8).build();
const sec = (ms: number) => Math.floor(ms / 1000) * 1000;

const PRUNE: Array<[string, WindowBackup[], RetentionSegment[], string[], Partial<WindowInput>?]> = [
  ['nothing archived', [A8], [], []],
  ['a segment well before the anchor goes', [A8], [seg('s').lastAt(sec(NOW - 9 * DAY)).build()], ['s']],
  ['a segment after the anchor stays, however old', [A8], [seg('s').lastAt(sec(A8.created_at + 10_000)).build()], []],
  ['last commit in the second before the anchor was asked for: goes', [A8], [seg('s').lastAt(sec(A8.created_at) - 1000).build()], ['s']],
  ['last commit in the second the anchor was asked for: stays (it may be after)', [A8], [seg('s').lastAt(sec(A8.created_at)).build()], []],
  ['a segment without transactions is timed by when it was stored', [A8], [seg('e').lastAt(null).stored(A8.created_at - 5000).build(), seg('f').lastAt(null).stored(A8.created_at + 5000).build()], ['e']],
  ['recent segments before a recent anchor go (nothing can restore them)', [bk('a2').age(2).build()], [seg('s').lastAt(sec(NOW - 3 * DAY)).build(), seg('t').lastAt(sec(NOW - DAY)).build()], ['s']],
  ['a manual backup does not keep segments before the anchor', [bk('m20').manual().age(20).build(), bk('a5').age(5).build()], [seg('s').lastAt(sec(NOW - 10 * DAY)).build()], ['s']],
  ['no base: only segments older than the window go', [], [seg('old').lastAt(sec(NOW - 8 * DAY)).build(), seg('new').lastAt(sec(NOW - 6 * DAY)).build()], ['old']],
  ['an older timeline: kept while inside the window, pruned once older', [bk('a2').age(2).gtid('0-1-700').build()], [
    seg('t1-old').timeline(1).lastAt(sec(NOW - 8 * DAY)).build(), seg('t1-new').timeline(1).lastAt(sec(NOW - 5 * DAY)).build(), seg('t2').timeline(2).lastAt(sec(NOW - DAY)).build(),
  ], ['t1-old'], { stream: { timeline: 2, caught_up_at: NOW }, timelines: [{ timeline: 1, started_at: NOW - 30 * DAY, start_gtid: '0-1-1' }, { timeline: 2, started_at: NOW - 4 * DAY, start_gtid: '0-1-600' }] }],
];
for (const [name, backups, segments, want, over] of PRUNE) {
  test(`archive retention: ${name}`, () => {
    const plan = decideArchiveRetention({ ...input(backups, over), segments });
    assert.deepEqual(plan.prune.map((p) => p.id), want);
    for (const p of plan.prune) assert.equal(p.key, `i/${p.id}.zst`);
  });
}

test('archive retention: backup retention keeps the anchor and every later base, not the bases before it', () => {
  const plan = decideArchiveRetention({ ...input([bk('a10').age(10).build(), A8, bk('a3').age(3).build(), bk('m1').manual().age(1).build()]), segments: [] });
  assert.deepEqual(plan.keepBackups, ['a8', 'a3', 'm1']);
  assert.deepEqual(decideArchiveRetention({ ...input([]), segments: [] }).keepBackups, []);
});

// ---- purgeTarget and heldBackBytes (decide-archive.ts): what the archive lets go and what it holds back ----

const FILES = [
  { file: 'mysql-bin.000001', sizeBytes: 100, startGtid: '' },
  { file: 'mysql-bin.000002', sizeBytes: 200, startGtid: '0-1-10' },
  { file: 'mysql-bin.000003', sizeBytes: 400, startGtid: '0-1-20' },
  { file: 'mysql-bin.000004', sizeBytes: 800, startGtid: '0-1-30' },
];
const HELD: Array<[string, string, string | undefined, number]> = [
  ['nothing archived: every closed file held back', '', undefined, 700],
  ['inside the first file: all closed files held', '0-1-5', undefined, 700],
  ['the first file archived: it may go', '0-1-10', 'mysql-bin.000002', 600],
  ['in the middle of the third file', '0-1-25', 'mysql-bin.000003', 400],
  ['all closed files archived: the active file is never counted', '0-1-30', 'mysql-bin.000004', 0],
  ['past the active file\'s start', '0-1-99', 'mysql-bin.000004', 0],
  ['another domain only: nothing of domain 0 archived', '1-1-50', undefined, 700],
];
for (const [name, archived, purge, held] of HELD) {
  test(`archive purge and held back: ${name}`, () => {
    assert.equal(purgeTarget(FILES, archived), purge);
    assert.equal(heldBackBytes(FILES, archived), held);
  });
}
test('archive held back: one file (the active one) or none holds nothing back', () => {
  assert.equal(heldBackBytes(FILES.slice(0, 1), ''), 0);
  assert.equal(heldBackBytes([], ''), 0);
});
