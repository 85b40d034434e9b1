/** Pure decisions of backups: retention/repair (housekeeping.ts), whose turn and which node (backup-plan.ts), statuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideHousekeeping, DELETE_RETRY_MS, type BackupFact, type HousekeepingAction } from '../../src/backups/housekeeping.js';
import { decideTurn, pickBackupSource, type SourceCandidate, type TurnDecision, type TurnSnapshot } from '../../src/backups/backup-plan.js';
import { BACKUP_TRANSITIONS, BackupStatus, artifactKey, canTransitionBackup } from '../../src/backups/backup-status.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 4, 20, 12);

// ---- housekeeping ---------------------------------------------------------------------------

class FactBuilder {
  private f: BackupFact = { id: 'b1', instanceUuid: 'i1', mode: 'auto', status: 'finished', createdAt: NOW - DAY, updatedAt: NOW - DAY, instanceDeletedAt: null, taskActive: false };
  id(id: string): this { this.f.id = id; return this; }
  manual(): this { this.f.mode = 'manual'; return this; }
  status(s: string): this { this.f.status = s; return this; }
  age(days: number): this { this.f.createdAt = NOW - days * DAY; return this; }
  touched(msAgo: number): this { this.f.updatedAt = NOW - msAgo; return this; }
  instanceDeleted(daysAgo: number): this { this.f.instanceDeletedAt = NOW - daysAgo * DAY; return this; }
  busy(): this { this.f.taskActive = true; return this; }
  build(): BackupFact { return { ...this.f }; }
}
const fact = () => new FactBuilder();

const HK: Array<[string, BackupFact[], Array<[HousekeepingAction['kind'], string]>]> = [
  ['nothing to do', [], []],
  ['fresh auto backup kept', [fact().age(1).build()], []],
  ['auto backup at 6.9 days kept', [fact().age(6.9).build()], []],
  ['auto backup over 7 days deleted', [fact().age(7.1).build()], [['delete-backup', 'b1']]],
  ['failed auto backup over 7 days deleted', [fact().status('failed').age(8).build()], [['delete-backup', 'b1']]],
  ['manual backup never expires', [fact().manual().age(400).build()], []],
  ['old auto backup with an active task is left alone', [fact().age(30).busy().build()], []],
  ['running with an active task: waiting', [fact().status('running').busy().build()], []],
  ['running without a task: failed', [fact().status('running').build()], [['fail-stale', 'b1']]],
  ['deleting with an active task: left alone', [fact().status('deleting').busy().build()], []],
  ['deleting without a task, recently: left alone', [fact().status('deleting').touched(60_000).build()], []],
  ['deleting without a task for 10 minutes: again', [fact().status('deleting').touched(DELETE_RETRY_MS).build()], [['delete-backup', 'b1']]],
  ['manual backup of an instance deleted 3 days ago kept', [fact().manual().instanceDeleted(3).build()], []],
  ['manual backup of an instance deleted 8 days ago deleted', [fact().manual().age(100).instanceDeleted(8).build()], [['delete-backup', 'b1']]],
  ['failed manual backup of an instance deleted 8 days ago deleted', [fact().manual().status('failed').instanceDeleted(8).build()], [['delete-backup', 'b1']]],
  ['unknown status ignored', [fact().status('weird').age(100).build()], []],
  ['several, in order', [fact().id('a').age(10).build(), fact().id('b').age(1).build(), fact().id('c').status('running').build()], [['delete-backup', 'a'], ['fail-stale', 'c']]],
];
for (const [name, backups, want] of HK) {
  test(`housekeeping: ${name}`, () => {
    const got = decideHousekeeping({ now: NOW, autoRetentionDays: 7, deletedInstanceRetentionDays: 7, backups, policies: [] });
    assert.deepEqual(got.map((a) => [a.kind, 'id' in a ? a.id : a.instanceUuid]), want);
  });
}

test('housekeeping: an old automatic backup a restore window needs is kept; the others still go', () => {
  const got = decideHousekeeping({
    now: NOW, autoRetentionDays: 7, deletedInstanceRetentionDays: 7, keep: new Set(['anchor']),
    backups: [fact().id('anchor').age(9).build(), fact().id('older').age(10).build(), fact().id('gone-inst').age(100).instanceDeleted(8).build()],
    policies: [],
  });
  assert.deepEqual(got.map((a) => [a.kind, 'id' in a ? a.id : '']), [['delete-backup', 'older'], ['delete-backup', 'gone-inst']]);
});

test('housekeeping: a policy of a deleted instance is forgotten; retention 0 days deletes at once', () => {
  const got = decideHousekeeping({
    now: NOW, autoRetentionDays: 7, deletedInstanceRetentionDays: 0,
    backups: [fact().manual().instanceDeleted(0.001).build()],
    policies: [{ instanceUuid: 'gone', instanceGone: true }, { instanceUuid: 'live', instanceGone: false }],
  });
  assert.deepEqual(got.map((a) => a.kind), ['delete-backup', 'forget-policy']);
  assert.equal((got[1] as { instanceUuid: string }).instanceUuid, 'gone');
});

// ---- decideTurn -----------------------------------------------------------------------------

const turn = (over: Partial<TurnSnapshot> = {}): TurnSnapshot => ({
  now: 1_000_000, waitingSince: 1_000_000, maxWaitMs: 3_600_000, backupStatus: 'running',
  instance: { status: 'RUNNING', deleted: false, detail: '' }, aheadOfUs: [], ...over,
});
const TURN: Array<[string, TurnSnapshot, TurnDecision['kind'], RegExp?]> = [
  ['idle RUNNING instance: go', turn(), 'go'],
  ['older backup of the instance: wait', turn({ aheadOfUs: ['bk-a'] }), 'wait', /bk-a/],
  ['MODIFYING_PARAMETERS: wait', turn({ instance: { status: 'MODIFYING_PARAMETERS', deleted: false, detail: '' } }), 'wait', /RUNNING/],
  ['FAILOVER: wait', turn({ instance: { status: 'FAILOVER', deleted: false, detail: '' } }), 'wait', /FAILOVER/],
  ['REBUILDING: wait', turn({ instance: { status: 'REBUILDING', deleted: false, detail: '' } }), 'wait'],
  ['RECOVERING: wait', turn({ instance: { status: 'RECOVERING', deleted: false, detail: '' } }), 'wait'],
  ['CREATING: wait', turn({ instance: { status: 'CREATING', deleted: false, detail: '' } }), 'wait'],
  ['MODIFYING (spec change): wait', turn({ instance: { status: 'MODIFYING', deleted: false, detail: '' } }), 'wait'],
  ['an unknown status: wait', turn({ instance: { status: 'SOMETHING_NEW', deleted: false, detail: '' } }), 'wait'],
  ['waited too long: fail', turn({ aheadOfUs: ['bk-a'], waitingSince: 0, now: 3_600_001 }), 'fail', /gave up/],
  ['waited exactly the limit: still waiting', turn({ aheadOfUs: ['bk-a'], waitingSince: 0, now: 3_600_000 }), 'wait'],
  ['ERROR: fail with the detail', turn({ instance: { status: 'ERROR', deleted: false, detail: 'disk gone' } }), 'fail', /ERROR.*disk gone/],
  ['DELETING: fail', turn({ instance: { status: 'DELETING', deleted: false, detail: '' } }), 'fail', /deleted/],
  ['deleted: fail', turn({ instance: { status: 'DELETED', deleted: true, detail: '' } }), 'fail', /deleted/],
  ['instance row missing: fail', turn({ instance: undefined }), 'fail', /deleted/],
  ['backup no longer running: done', turn({ backupStatus: 'failed' }), 'done'],
  ['backup row gone: done', turn({ backupStatus: undefined }), 'done'],
  ['backup gone beats instance gone', turn({ backupStatus: undefined, instance: undefined }), 'done'],
];
for (const [name, snap, kind, why] of TURN) {
  test(`decideTurn: ${name}`, () => {
    const d = decideTurn(snap);
    assert.equal(d.kind, kind);
    if (why) assert.match((d as { why: string }).why, why);
  });
}

// ---- pickBackupSource -----------------------------------------------------------------------

const n = (nodeId: string, role: string, alive = true, replicating?: boolean): SourceCandidate => ({ nodeId, role, alive, replicating });
const SRC: Array<[string, SourceCandidate[], string | RegExp]> = [
  ['basic: its primary', [n('p', 'primary')], 'p'],
  ['HA: the replicating standby', [n('p', 'primary'), n('s', 'standby', true, true)], 's'],
  ['HA, standby listed first: still the standby', [n('s', 'standby', true, true), n('p', 'primary')], 's'],
  ['HA: standby not replicating → primary', [n('p', 'primary'), n('s', 'standby', true, false)], 'p'],
  ['HA: standby down → primary', [n('p', 'primary'), n('s', 'standby', false)], 'p'],
  ['HA: primary down, standby replicating (relay applied) → standby', [n('p', 'primary', false), n('s', 'standby', true, true)], 's'],
  ['HA: both down', [n('p', 'primary', false), n('s', 'standby', false)], /no node/],
  ['basic: primary down', [n('p', 'primary', false)], /no node/],
  ['no nodes', [], /no nodes/],
  ['a read replica is never picked', [n('r', 'replica', true, true)], /no node/],
];
for (const [name, nodes, want] of SRC) {
  test(`pickBackupSource: ${name}`, () => {
    const d = pickBackupSource(nodes);
    if (typeof want === 'string') assert.deepEqual(d, { ok: true, nodeId: want, role: nodes.find((x) => x.nodeId === want)!.role });
    else {
      assert.equal(d.ok, false);
      assert.match((d as { why: string }).why, want);
    }
  });
}

// ---- statuses ---------------------------------------------------------------------------------

test('backup status transitions are exactly the documented ones', () => {
  assert.deepEqual(BACKUP_TRANSITIONS, { running: ['finished', 'failed'], finished: ['deleting'], failed: ['deleting'], deleting: [] });
  assert.equal(canTransitionBackup('running', BackupStatus.finished), true);
  assert.equal(canTransitionBackup('finished', BackupStatus.running), false);
  assert.equal(canTransitionBackup('deleting', BackupStatus.finished), false);
  assert.equal(canTransitionBackup('constructor', BackupStatus.failed), false);
  assert.equal(artifactKey('i1', 'bk-1', 'physical-backup'), 'i1/bk-1.xb.zst');
  assert.equal(artifactKey('i1', 'bk-1', 'logical-backup'), 'i1/bk-1.sql.zst');
});
