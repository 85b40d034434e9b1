/**
 * Rejoin without a full copy: the GTID subset check (src/engine/gtid.ts notOnPrimary), the
 * decision (src/ha/rejoin.ts decideRejoin) and the count of repairs that needed a copy (countRejoin).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notOnPrimary, parseGtidPos } from '../../src/engine/gtid.js';
import { countRejoin, decideRejoin, type RejoinSnapshot } from '../../src/ha/rejoin.js';
import { withSemiSync } from '../../src/ha/ha-state.js';
import { failoverTask } from '../../src/tasks/definitions/failover.js';
import { ReplicationState as S } from '../../src/ha/replication-health.js';

// Servers: 1 = the old primary (the node rejoining), 2 = the new primary, 3 = someone else.
interface SubsetCase {
  name: string;
  node: string;
  primary: string;
  serverId?: number;
  promotedAt?: string;
  /** [] = subset; otherwise the GTIDs reported (the text before ':'). */
  want: string[];
}

const SUBSET_CASES: SubsetCase[] = [
  // After a failover: primary 2 promoted at 0-1-100.
  { name: 'truncated tail: node exactly at the promotion point', node: '0-1-100', primary: '0-2-105', promotedAt: '0-1-100', want: [] },
  { name: 'node at the promotion point, primary wrote nothing yet', node: '0-1-100', primary: '0-1-100', promotedAt: '0-1-100', want: [] },
  { name: 'errant commit one past the promotion point', node: '0-1-101', primary: '0-2-105', promotedAt: '0-1-100', want: ['0-1-101'] },
  { name: 'errant commit, primary wrote nothing since', node: '0-1-101', primary: '0-1-100', promotedAt: '0-1-100', want: ['0-1-101'] },
  { name: 'errant commit at the primary\'s own last seq', node: '0-1-105', primary: '0-2-105', promotedAt: '0-1-100', want: ['0-1-105'] },
  { name: 'node ahead of everything the primary has', node: '0-1-200', primary: '0-2-105', promotedAt: '0-1-100', want: ['0-1-200'] },
  { name: 'node behind the promotion point (acked tail truncated too)', node: '0-1-98', primary: '0-2-105', promotedAt: '0-1-100', want: [] },
  { name: 'same seq as the promotion point but another server', node: '0-3-100', primary: '0-2-105', promotedAt: '0-1-100', want: ['0-3-100'] },
  { name: 'node replicated from the new primary before it stopped', node: '0-2-103', primary: '0-2-105', promotedAt: '0-1-100', want: [] },
  { name: 'node at the primary\'s last transaction', node: '0-2-105', primary: '0-2-105', promotedAt: '0-1-100', want: [] },
  { name: 'after the promotion a seq from a third server', node: '0-3-103', primary: '0-2-105', promotedAt: '0-1-100', want: ['0-3-103'] },
  { name: 'empty node state', node: '', primary: '0-2-105', promotedAt: '0-1-100', want: [] },
  // Never failed over: the primary wrote every transaction itself.
  { name: 'no promotion: standby behind, primary\'s own transactions', node: '0-2-50', primary: '0-2-105', want: [] },
  { name: 'no promotion: standby at the primary', node: '0-2-105', primary: '0-2-105', want: [] },
  { name: 'no promotion: a transaction of its own (written on the standby)', node: '0-1-50', primary: '0-2-105', want: ['0-1-50'] },
  { name: 'no promotion: standby ahead', node: '0-2-106', primary: '0-2-105', want: ['0-2-106'] },
  // Domains.
  { name: 'a domain the primary never saw', node: '0-1-100,7-1-3', primary: '0-2-105', promotedAt: '0-1-100', want: ['7-1-3'] },
  { name: 'two domains, both shared', node: '0-1-100,1-1-40', primary: '0-2-105,1-1-40', promotedAt: '0-1-100,1-1-40', want: [] },
  { name: 'two domains, one errant', node: '0-1-100,1-1-41', primary: '0-2-105,1-1-40', promotedAt: '0-1-100,1-1-40', want: ['1-1-41'] },
  { name: 'two domains, both errant, sorted by domain', node: '1-1-41,0-1-101', primary: '0-2-105,1-1-40', promotedAt: '0-1-100,1-1-40', want: ['0-1-101', '1-1-41'] },
  { name: 'primary has an extra domain the node lacks', node: '0-1-100', primary: '0-2-105,1-2-9', promotedAt: '0-1-100', want: [] },
  { name: 'domain made after the promotion by the primary', node: '0-1-100,1-2-3', primary: '0-2-105,1-2-9', promotedAt: '0-1-100', want: [] },
  { name: 'domain made after the promotion by the old primary', node: '0-1-100,1-1-3', primary: '0-2-105,1-2-9', promotedAt: '0-1-100', want: ['1-1-3'] },
  // A second failover back: primary 1 promoted at 0-2-105; node 2 rejoins.
  { name: 'back-and-forth: node 2 at its own last commit that node 1 has', node: '0-2-105', primary: '0-1-110', serverId: 1, promotedAt: '0-2-105', want: [] },
  { name: 'back-and-forth: node 2 errant after the second promotion point', node: '0-2-106', primary: '0-1-110', serverId: 1, promotedAt: '0-2-105', want: ['0-2-106'] },
];

for (const c of SUBSET_CASES) {
  test(`notOnPrimary: ${c.name}`, () => {
    const got = notOnPrimary(parseGtidPos(c.node), {
      pos: parseGtidPos(c.primary), serverId: c.serverId ?? 2, promotedAt: c.promotedAt === undefined ? undefined : parseGtidPos(c.promotedAt),
    });
    assert.deepEqual(got.map((p) => p.split(':')[0]), c.want, got.join(' | '));
    for (const p of got) assert.match(p, /: \S/, 'every problem says why');
  });
}

// ---- decideRejoin --------------------------------------------------------------------------

class SnapBuilder {
  private s: RejoinSnapshot = {
    health: { state: S.NOT_CONFIGURED, reason: 'replicates from nobody' },
    node: { binlogPos: '0-1-100', currentPos: '0-1-100' },
    primary: { binlogPos: '0-2-105', serverId: 2 },
    promotedAt: '0-1-100',
  };
  health(state: S, reason = ''): this { this.s.health = { state, reason }; return this; }
  node(binlogPos: string, currentPos = binlogPos): this { this.s.node = { binlogPos, currentPos }; return this; }
  primary(binlogPos: string, serverId = 2): this { this.s.primary = { binlogPos, serverId }; return this; }
  promotedAt(p: string | undefined): this { this.s.promotedAt = p; return this; }
  build(): RejoinSnapshot { return structuredClone(this.s); }
}
const snap = () => new SnapBuilder();

const DECIDE_CASES: Array<{ name: string; s: RejoinSnapshot; want: 'replicating' | 'rejoin' | 'copy'; reason?: RegExp }> = [
  { name: 'old primary after truncation: rejoin', s: snap().build(), want: 'rejoin' },
  { name: 'already replicating: nothing to do, even with odd positions', s: snap().health(S.REPLICATING).node('0-9-999').build(), want: 'replicating' },
  { name: 'broken replication: copy', s: snap().health(S.BROKEN, 'Duplicate entry').build(), want: 'copy', reason: /broken: Duplicate entry/ },
  { name: 'stopped replica with a subset: rejoin', s: snap().health(S.STOPPED).node('0-2-103').build(), want: 'rejoin' },
  { name: 'other source with a subset: rejoin (repointed)', s: snap().health(S.OTHER_SOURCE).node('0-2-103').build(), want: 'rejoin' },
  { name: 'connecting for too long with a subset: rejoin', s: snap().health(S.CONNECTING).build(), want: 'rejoin' },
  { name: 'errant commit in the binlog: copy, naming it', s: snap().node('0-1-101').build(), want: 'copy', reason: /not a subset[^]*0-1-101: / },
  { name: 'errant only in gtid_current_pos: copy', s: snap().node('0-1-100', '0-1-101').build(), want: 'copy', reason: /0-1-101/ },
  { name: 'the same problem in both positions is reported once', s: snap().node('0-1-101').build(), want: 'copy', reason: /\(0-2-105\): 0-1-101: [^;]*$/ },
  { name: 'never failed over, standby behind: rejoin', s: snap().promotedAt(undefined).node('0-2-50').build(), want: 'rejoin' },
  { name: 'never failed over, standby wrote its own: copy', s: snap().promotedAt(undefined).node('0-1-50').build(), want: 'copy' },
  { name: 'empty node (fresh datadir): rejoin', s: snap().node('', '').build(), want: 'rejoin' },
  { name: 'unreadable GTID: copy with the reason', s: snap().node('garbage').build(), want: 'copy', reason: /cannot be compared: bad GTID garbage/ },
  { name: 'unreadable promotion point: copy', s: snap().promotedAt('x-y').build(), want: 'copy', reason: /cannot be compared/ },
  { name: 'unknown node state (UNKNOWN) with a subset: rejoin', s: snap().health(S.UNKNOWN, 'timeout').build(), want: 'rejoin' },
];

for (const c of DECIDE_CASES) {
  test(`decideRejoin: ${c.name}`, () => {
    const got = decideRejoin(c.s);
    assert.equal(got.kind, c.want, JSON.stringify(got));
    if (c.reason) assert.match(got.kind === 'copy' ? got.reason : '', c.reason);
  });
}

// ---- countRejoin ---------------------------------------------------------------------------

test('countRejoin: counts a repair without a copy', () => {
  const ha = countRejoin({ semiSync: true }, 't1', undefined);
  assert.deepEqual(ha.rejoins, { total: 1, fullCopies: 0, lastFullCopyReason: undefined, lastTaskId: 't1' });
  assert.equal(ha.semiSync, true, 'other fields kept');
});

test('countRejoin: counts a full copy with its reason', () => {
  const ha = countRejoin(countRejoin({}, 't1', undefined), 't2', 'errant 0-1-101');
  assert.deepEqual(ha.rejoins, { total: 2, fullCopies: 1, lastFullCopyReason: 'errant 0-1-101', lastTaskId: 't2' });
});

test('countRejoin: the same task counts once (a step run again after a crash)', () => {
  const once = countRejoin({}, 't1', 'why');
  const twice = countRejoin(once, 't1', 'why');
  assert.equal(twice, once, 'unchanged object: nothing to write');
  assert.equal(twice.rejoins!.total, 1);
});

test('countRejoin: a later repair without a copy keeps the last copy reason', () => {
  const ha = countRejoin(countRejoin({}, 't1', 'why'), 't2', undefined);
  assert.deepEqual(ha.rejoins, { total: 2, fullCopies: 1, lastFullCopyReason: 'why', lastTaskId: 't2' });
});

test('countRejoin: a long reason is cut to 500 characters', () => {
  assert.equal(countRejoin({}, 't1', 'x'.repeat(2000)).rejoins!.lastFullCopyReason!.length, 500);
});

// ---- withSemiSync, and where the Failover task rejoins ---------------------------------------

test('withSemiSync: records the observation and keeps the rest (rejoin count, promotion point)', () => {
  const ha = countRejoin({ semiSync: false, promotedAt: '0-2-9', semiSyncCheckedAt: 1 }, 't1', undefined);
  const on = withSemiSync(ha, true, 42);
  assert.deepEqual(on, { ...ha, semiSync: true, semiSyncCheckedAt: 42 });
  assert.equal(ha.semiSync, false, 'the input is not changed');
});

test('Failover: the old primary is started and rejoined only after the endpoint moved, before RUNNING', () => {
  const names = failoverTask.steps.map((s) => s.name);
  const at = (n: string) => { const i = names.indexOf(n); assert.ok(i >= 0, `step ${n} in ${names.join(', ')}`); return i; };
  assert.ok(at('move-endpoint') < at('restart-old-primary'), 'off the write path');
  assert.ok(at('restart-old-primary') < at('rejoin-old-primary'));
  assert.equal(names.at(-1), 'mark-running');
  assert.equal(at('rejoin-old-primary'), names.length - 2, 'RUNNING right after the rejoin');
});
