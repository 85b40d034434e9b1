/** The archiver's pure decisions (src/archive/decide-archive.ts), table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askSourceNext, housekeepingDueAt, retentionRecheckMs, nextCaughtUpAt, nextVisitAt, visitKey, decideRetry, IDLE_PURGE_FACTOR, nodesPurgeDue, shouldAskSource, decideStream, purgeTarget, resumeFile, RETRY_MAX_MS, TROUBLE_LOG_EVERY_MS, type StreamObservation, type Trouble } from '../../src/archive/decide-archive.js';
import type { BinlogFileInfo } from '../../src/engine/engine.js';

const obs = (o: Partial<StreamObservation> = {}): StreamObservation => ({ hasStream: true, sourceNode: 'n-a', primaryNode: 'n-a', running: true, archivedGtid: '0-1-10', ...o });

test('decideStream', () => {
  const cases: Array<[string, StreamObservation, ReturnType<typeof decideStream>]> = [
    ['no stream yet', obs({ hasStream: false }), { kind: 'init' }],
    ['streaming from the primary', obs(), { kind: 'keep' }],
    ['the client ended', obs({ running: false }), { kind: 'resume' }],
    ['a switchover with nothing errant', obs({ primaryNode: 'n-b', promotedAt: '0-1-10' }), { kind: 'follow', errant: [], resumeAt: '0-1-10' }],
    ['the new primary was promoted ahead of the archive', obs({ primaryNode: 'n-b', promotedAt: '0-1-12' }), { kind: 'follow', errant: [], resumeAt: '0-1-10' }],
    ['a failover: the archive holds transactions the new primary never had', obs({ primaryNode: 'n-b', promotedAt: '0-1-8' }), { kind: 'follow', errant: ['0-1-10'], resumeAt: '0-1-8' }],
    ['a new primary without a promotion point (primary since creation)', obs({ primaryNode: 'n-b' }), { kind: 'follow', errant: [], resumeAt: '0-1-10' }],
    ['a follow wins over a dead client', obs({ primaryNode: 'n-b', running: false, promotedAt: '0-1-10' }), { kind: 'follow', errant: [], resumeAt: '0-1-10' }],
  ];
  for (const [name, o, want] of cases) assert.deepEqual(decideStream(o), want, name);
});

const files = (...f: Array<[string, string]>): BinlogFileInfo[] => f.map(([file, startGtid]) => ({ file, startGtid, sizeBytes: 100 }));

test('resumeFile', () => {
  const three = files(['b.000003', '0-1-5'], ['b.000004', '0-1-9'], ['b.000005', '0-1-20']);
  const cases: Array<[string, BinlogFileInfo[], string, ReturnType<typeof resumeFile>]> = [
    ['no files', [], '0-1-5', undefined],
    ['in the newest file', three, '0-1-25', { file: 'b.000005' }],
    ['exactly at a file start', three, '0-1-9', { file: 'b.000004' }],
    ['in the middle file', three, '0-1-12', { file: 'b.000004' }],
    ['in the oldest file', three, '0-1-6', { file: 'b.000003' }],
    ['purged before it was archived: a gap', three, '0-1-3', { file: 'b.000003', gap: { from: '0-1-3', to: '0-1-5' } }],
    ['an empty archive on a source whose history starts later: a gap', three, '', { file: 'b.000003', gap: { from: '', to: '0-1-5' } }],
    ['an empty archive on a fresh source', files(['b.000001', '']), '', { file: 'b.000001' }],
  ];
  for (const [name, f, at, want] of cases) assert.deepEqual(resumeFile(f, at), want, name);
});

test('purgeTarget', () => {
  const three = files(['b.000003', '0-1-5'], ['b.000004', '0-1-9'], ['b.000005', '0-1-20']);
  const cases: Array<[string, BinlogFileInfo[], string, string | undefined]> = [
    ['nothing archived past the first file', three, '0-1-7', undefined],
    ['the first file is archived', three, '0-1-9', 'b.000004'],
    ['all but the active file', three, '0-1-30', 'b.000005'],
    ['one file only', files(['b.000001', '']), '0-1-30', undefined],
    ['no files', [], '0-1-30', undefined],
  ];
  for (const [name, f, archived, want] of cases) assert.equal(purgeTarget(f, archived), want, name);
});

test('decideRetry: a client that keeps ending is restarted later and later, logged once per reason', () => {
  const T = 1_000_000;
  const first = decideRetry(undefined, T, 'ERROR: Could not write into log file');
  assert.equal(first.retry, true);
  assert.equal(first.log, true);
  assert.equal(first.next.fails, 1);
  assert.equal(first.next.retryAt, T + 200);
  assert.match(first.next.why, /^the archive stream ended: ERROR: Could not write/);
  const early = decideRetry(first.next, T + 100, 'ERROR: Could not write into log file');
  assert.deepEqual(early, { retry: false, next: first.next, log: false }, 'not before the delay');
  const second = decideRetry(first.next, T + 200, 'ERROR: Could not write into log file');
  assert.equal(second.retry, true);
  assert.equal(second.log, false, 'the same reason is not logged again at once');
  assert.equal(second.next.retryAt, T + 200 + 400);
  let t: Trouble = second.next;
  for (let i = 0; i < 10; i++) t = decideRetry(t, t.retryAt, 'same').next;
  const capped = decideRetry(t, t.retryAt, 'same').next;
  assert.equal(capped.retryAt - t.retryAt, RETRY_MAX_MS, 'the delay stops growing');
  assert.equal(decideRetry(first.next, T + 200, 'another reason').log, true, 'a new reason is logged');
  assert.equal(decideRetry(second.next, T + TROUBLE_LOG_EVERY_MS, 'ERROR: Could not write into log file').log, true, 'the same reason again after a while');
  assert.equal(decideRetry(undefined, T, '').next.why, 'the archive stream ended: (no message)');
});

test('shouldAskSource / askSourceNext: an idle, covered source is asked every idleMs only', () => {
  const m = (o: Partial<{ askSource: boolean; sourceAskedAt: number }> = {}) => ({ askSource: false, sourceAskedAt: 10_000, ...o });
  const ask: Array<[string, Parameters<typeof shouldAskSource>[0], number, boolean]> = [
    ['a new run (askSource on, never asked)', m({ askSource: true, sourceAskedAt: 0 }), 10_001, true],
    ['asked to ask again', m({ askSource: true }), 10_001, true],
    ['idle and covered, just asked', m(), 10_200, false],
    ['idle and covered, idleMs later', m(), 15_000, true],
  ];
  for (const [why, mem, now, want] of ask) assert.equal(shouldAskSource(mem, now, 5000), want, why);
  const next: Array<[string, boolean, boolean, boolean | undefined, boolean]> = [
    ['new events: maybe caught up now', false, true, true, true],
    ['answer covered, nothing new', true, false, true, false],
    ['answer ahead of the archive', false, false, false, true],
    ['not asked: unchanged (false)', false, false, undefined, false],
    ['not asked: unchanged (true)', true, false, undefined, true],
  ];
  for (const [why, prev, grew, covered, want] of next) assert.equal(askSourceNext(prev, grew, covered), want, why);
});

test('nodesPurgeDue: the nodes are listed for purging when the archive moved, else every IDLE_PURGE_FACTOR rounds', () => {
  const every = 10_000;
  const cases: Array<[string, { nodesPurgedAt: number; nodesPurgedFor: string }, number, string, boolean]> = [
    ['never listed', { nodesPurgedAt: 0, nodesPurgedFor: '' }, 1_000, '0-1-5', true],
    ['the archive moved', { nodesPurgedAt: 100_000, nodesPurgedFor: '0-1-5' }, 110_000, '0-1-6', true],
    ['idle, one round later', { nodesPurgedAt: 100_000, nodesPurgedFor: '0-1-5' }, 110_000, '0-1-5', false],
    ['idle, just under the idle period', { nodesPurgedAt: 100_000, nodesPurgedFor: '0-1-5' }, 100_000 + IDLE_PURGE_FACTOR * every - 1, '0-1-5', false],
    ['idle, the idle period passed', { nodesPurgedAt: 100_000, nodesPurgedFor: '0-1-5' }, 100_000 + IDLE_PURGE_FACTOR * every, '0-1-5', true],
  ];
  for (const [name, m, now, archived, want] of cases) assert.equal(nodesPurgeDue(m, now, archived, every), want, name);
});

test('nextVisitAt: an unchanged, settled stream waits for its earliest timer; one in transition is visited every round', () => {
  const now = 1_000_000;
  const base = { now, settled: true, purgeAt: now + 10_000, files: [{ ended: false }] };
  const cases: Array<[string, Partial<Parameters<typeof nextVisitAt>[0]>, number]> = [
    ['idle: the next housekeeping', {}, now + 10_000],
    ['a segment to close sooner', { files: [{ ended: false, closeAt: now + 3000 }] }, now + 3000],
    ['a held-back row write', { unwrittenUntil: now + 400 }, now + 400],
    ['the source asked sooner (no coveredAt)', { askSourceAt: now + 5000 }, now + 5000],
    ['the stream is not running', { settled: false }, now],
    ['a rotated file not archived yet', { files: [{ ended: false }, { ended: false }] }, now],
    ['an ended file', { files: [{ ended: true }] }, now],
    ['no spool file yet', { files: [] }, now + 10_000],
  ];
  for (const [what, o, want] of cases) assert.equal(nextVisitAt({ ...base, ...o }), want, what);
});

test('visitKey: changes with what a visit depends on, not with the caught_up writes', () => {
  const inst = { status: 'RUNNING', ha_state: null, primary: 'n1' };
  const row = { run: 1, status: 'streaming', source_node: 'n1', archived_gtid: '0-1-5', close_requested_at: null, status_detail: '' };
  const k = visitKey(inst, row, 7);
  assert.equal(visitKey({ ...inst }, { ...row, caught_up_at: 123 } as typeof row, 7), k);
  const changed: Array<[string, string]> = [
    ['version', visitKey(inst, row, 8)],
    ['status', visitKey({ ...inst, status: 'RESTARTING' }, row, 7)],
    ['ha_state', visitKey({ ...inst, ha_state: '{"promotedAt":"0-2-9"}' }, row, 7)],
    ['primary', visitKey({ ...inst, primary: 'n2' }, row, 7)],
    ['run', visitKey(inst, { ...row, run: 2 }, 7)],
    ['close request', visitKey(inst, { ...row, close_requested_at: 5 }, 7)],
    ['archived gtid', visitKey(inst, { ...row, archived_gtid: '0-1-6' }, 7)],
  ];
  for (const [what, x] of changed) assert.notEqual(x, k, what);
});

test('nextCaughtUpAt: RightBorderTime moves forward in whole seconds, never back', () => {
  const cases: Array<[string, number, number | null, number | undefined]> = [
    ['the first coverage', 12_345, null, 12_000],
    ['a later second', 13_999, 12_000, 13_000],
    ['the same second again', 12_999, 12_000, undefined],
    ['an older look', 11_500, 12_000, undefined],
    ['exactly on a second', 14_000, 13_000, 14_000],
  ];
  for (const [name, at, cur, want] of cases) assert.equal(nextCaughtUpAt(at, cur), want, name);
});

test('housekeepingDueAt: every purgeEveryMs while there is work, an idle instance at its idle timers', () => {
  const cfg = { purgeEveryMs: 10_000, retentionDays: 7 };
  assert.equal(retentionRecheckMs(cfg), 604_800);
  assert.equal(retentionRecheckMs({ purgeEveryMs: 10_000, retentionDays: 0.01 }), 10_000, 'at least one interval');
  const m = { lastPurgeAt: 100_000, nodesPurgedAt: 90_000, nodesPurgedFor: '0-1-5' };
  const cases: Array<[string, string, { at: number; current: boolean } | undefined, number]> = [
    ['the archive moved since the nodes were listed', '0-1-6', { at: 100_000, current: true }, 110_000],
    ['retention not settled', '0-1-5', undefined, 110_000],
    ['retention settled, but its tables changed since', '0-1-5', { at: 100_000, current: false }, 110_000],
    ['idle: the nodes\' next listing comes first', '0-1-5', { at: 100_000, current: true }, 90_000 + IDLE_PURGE_FACTOR * 10_000],
    ['idle: retention\'s recheck comes first', '0-1-5', { at: -600_000, current: true }, 110_000],
  ];
  for (const [name, gtid, settled, want] of cases) assert.equal(housekeepingDueAt(m, gtid, settled, cfg), want, name);
  assert.equal(housekeepingDueAt({ ...m, nodesPurgedAt: 0 }, '0-1-5', { at: 100_000, current: true }, cfg), 110_000, 'never before purgeEveryMs after the last');
});
