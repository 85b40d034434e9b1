/** The one replication rule (src/ha/replication-health.ts) and when its record is written (replication-record.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaStatus } from '../../src/engine/engine.js';
import {
  classifyReplica, isFollowing, isReplicating, pointedAt, readReplicaHealth, ReplicationState as S, type ExpectedSource, type ReplicationHealth,
} from '../../src/ha/replication-health.js';
import {
  lagBucket, LAG_WRITE_MIN_MS, parseReplicationRecord, readRecord, REFRESH_MS, shouldWrite, STALE_MS, toRecord, type ReplicationRecord,
} from '../../src/ha/replication-record.js';
import { replicationFields } from '../../src/actions/present.js';

// ---- fluent builder: a SHOW SLAVE STATUS row of a healthy replica of 10.0.0.1:3306 -----------

class StatusBuilder {
  private r: ReplicaStatus = {
    ioRunning: 'Yes', sqlRunning: 'Yes', masterHost: '10.0.0.1', masterPort: 3306,
    lastIoErrno: 0, lastIoError: '', lastSqlErrno: 0, lastSqlError: '', gtidIoPos: '0-1-10', secondsBehind: 0,
  };
  io(v: string): this { this.r.ioRunning = v; return this; }
  sql(v: string): this { this.r.sqlRunning = v; return this; }
  source(host: string, port = 3306): this { this.r.masterHost = host; this.r.masterPort = port; return this; }
  ioError(errno: number, msg = `io ${errno}`): this { this.r.lastIoErrno = errno; this.r.lastIoError = msg; return this; }
  sqlError(errno: number, msg = `sql ${errno}`): this { this.r.lastSqlErrno = errno; this.r.lastSqlError = msg; return this; }
  behind(s: number | null): this { this.r.secondsBehind = s; return this; }
  build(): ReplicaStatus { return { ...this.r }; }
}
const status = () => new StatusBuilder();
const PRIMARY: ExpectedSource = { ip: '10.0.0.1', port: 3306 };

interface Case {
  name: string;
  rs: ReplicaStatus | undefined | null;
  expected?: ExpectedSource;
  /** whyUnknown, for a node that could not be asked */
  why?: string;
  want: S;
  io?: boolean | null;
  sql?: boolean | null;
  behind?: number | null;
  reason?: RegExp;
  pointed?: boolean;
}

const CASES: Case[] = [
  { name: 'healthy, any source', rs: status().build(), want: S.REPLICATING, io: true, sql: true, behind: 0, reason: /^$/ },
  { name: 'healthy from the expected source', rs: status().build(), expected: PRIMARY, want: S.REPLICATING, pointed: true },
  { name: 'lagging is still replicating, with its lag', rs: status().behind(42).build(), expected: PRIMARY, want: S.REPLICATING, behind: 42 },
  { name: 'IO Yes with a stale 2003 from an earlier reconnect', rs: status().ioError(2003).build(), want: S.REPLICATING },
  { name: 'IO Yes with a stale non-transient errno is connected too', rs: status().ioError(1236).build(), want: S.REPLICATING },
  { name: 'could not be asked', rs: null, want: S.UNKNOWN, io: null, sql: null, behind: null, reason: /could not be asked/ },
  { name: 'could not be asked, reason given', rs: null, expected: PRIMARY, why: 'the node is down', want: S.UNKNOWN, reason: /^the node is down$/ },
  { name: 'no replication set up', rs: undefined, want: S.NOT_CONFIGURED, io: null, sql: null, reason: /no source/ },
  { name: 'no replication set up, though expected', rs: undefined, expected: PRIMARY, want: S.NOT_CONFIGURED },
  { name: 'IO connecting, no error yet', rs: status().io('Connecting').behind(null).build(), want: S.CONNECTING, io: false, sql: true, behind: null, reason: /connecting/ },
  { name: 'IO Preparing counts as connecting', rs: status().io('Preparing').build(), want: S.CONNECTING, behind: null },
  { name: 'IO connecting after 2003 (source down)', rs: status().io('Connecting').ioError(2003, "Can't connect").build(), expected: PRIMARY, want: S.CONNECTING, reason: /2003: Can't connect/ },
  { name: 'IO connecting after 2013 (lost connection)', rs: status().io('Connecting').ioError(2013).build(), want: S.CONNECTING },
  { name: 'IO connecting after 2006 (gone away)', rs: status().io('Connecting').ioError(2006).build(), want: S.CONNECTING },
  { name: 'IO connecting after 2002 (socket)', rs: status().io('Connecting').ioError(2002).build(), want: S.CONNECTING },
  { name: 'IO connecting with access denied: retrying will not cure it', rs: status().io('Connecting').ioError(1045, 'Access denied').build(), want: S.BROKEN, reason: /IO thread error 1045: Access denied/ },
  { name: 'IO stopped on 1236 (binlog position gone)', rs: status().io('No').ioError(1236).behind(null).build(), want: S.BROKEN, io: false, sql: true, behind: null },
  { name: 'IO stopped with a transient errno is not retrying: broken', rs: status().io('No').ioError(2003).build(), want: S.BROKEN },
  { name: 'SQL stopped on a duplicate key', rs: status().sql('No').sqlError(1062, 'Duplicate entry').build(), want: S.BROKEN, io: true, sql: false, behind: null, reason: /SQL thread error 1062: Duplicate entry/ },
  { name: 'SQL error wins over an IO error', rs: status().io('No').ioError(1236).sql('No').sqlError(1032).build(), want: S.BROKEN, reason: /SQL thread error 1032/ },
  { name: 'SQL error wins over the wrong source', rs: status().source('10.0.0.9').sql('No').sqlError(1062).build(), expected: PRIMARY, want: S.BROKEN, pointed: false },
  { name: 'SQL thread stopped by hand', rs: status().sql('No').behind(null).build(), want: S.STOPPED, io: true, sql: false, reason: /the SQL thread is stopped/ },
  { name: 'IO thread stopped by hand', rs: status().io('No').build(), want: S.STOPPED, io: false, sql: true, behind: null, reason: /the IO thread is stopped/ },
  { name: 'both threads stopped (STOP SLAVE)', rs: status().io('No').sql('No').build(), expected: PRIMARY, want: S.STOPPED, reason: /IO and SQL threads are stopped/ },
  { name: 'stopped wins over the wrong source', rs: status().source('10.0.0.9').io('No').sql('No').build(), expected: PRIMARY, want: S.STOPPED, pointed: false },
  { name: 'other source host', rs: status().source('10.0.0.2').build(), expected: PRIMARY, want: S.OTHER_SOURCE, pointed: false, reason: /10\.0\.0\.2:3306, not from 10\.0\.0\.1:3306/ },
  { name: 'other source port', rs: status().source('10.0.0.1', 3307).build(), expected: PRIMARY, want: S.OTHER_SOURCE, pointed: false },
  { name: 'other source while connecting', rs: status().source('10.0.0.2').io('Connecting').ioError(2003).build(), expected: PRIMARY, want: S.OTHER_SOURCE },
  { name: 'the source does not matter without an expected one', rs: status().source('10.0.0.2').build(), want: S.REPLICATING },
  { name: 'lag is not reported while the IO thread is not connected', rs: status().io('Connecting').behind(7).build(), want: S.CONNECTING, behind: null },
];

for (const c of CASES) {
  test(`classifyReplica: ${c.name}`, () => {
    const h = classifyReplica(c.rs, c.expected, c.why);
    assert.equal(h.state, c.want, h.reason);
    if (c.io !== undefined) assert.equal(h.ioRunning, c.io, 'ioRunning');
    if (c.sql !== undefined) assert.equal(h.sqlRunning, c.sql, 'sqlRunning');
    if (c.behind !== undefined) assert.equal(h.secondsBehind, c.behind, 'secondsBehind');
    if (c.reason) assert.match(h.reason, c.reason);
    if (c.pointed !== undefined) assert.equal(h.pointed, c.pointed, 'pointed');
    if (h.state !== S.REPLICATING) assert.notEqual(h.reason, '', 'every state but REPLICATING says why');
  });
}

test('isFollowing: REPLICATING and CONNECTING only', () => {
  const h = (state: S): ReplicationHealth => ({ state, reason: 'x', ioRunning: null, sqlRunning: null, secondsBehind: null });
  assert.deepEqual(Object.values(S).filter((st) => isFollowing(h(st))), [S.REPLICATING, S.CONNECTING]);
});

// ---- the predicates callers ask (one reading → following / replicating / pointed) -------------

const OTHER: ExpectedSource = { ip: '10.0.0.9', port: 3306 };
const PREDICATE_CASES: Array<{ name: string; rs: ReplicaStatus | undefined | null; expected?: ExpectedSource; following: boolean; replicating: boolean; pointed: boolean | undefined }> = [
  { name: 'healthy from the expected source', rs: status().build(), expected: PRIMARY, following: true, replicating: true, pointed: true },
  { name: 'healthy, no source expected: any source counts, source not judged', rs: status().build(), following: true, replicating: true, pointed: undefined },
  { name: 'healthy from another node than expected', rs: status().build(), expected: OTHER, following: false, replicating: false, pointed: false },
  { name: 'lagging from the expected source', rs: status().behind(300).build(), expected: PRIMARY, following: true, replicating: true, pointed: true },
  { name: 'reconnecting to the expected source (2003): following, not yet replicating', rs: status().io('Connecting').ioError(2003).build(), expected: PRIMARY, following: true, replicating: false, pointed: true },
  { name: 'connecting, no error yet', rs: status().io('Connecting').build(), expected: PRIMARY, following: true, replicating: false, pointed: true },
  { name: 'connecting to another node than expected', rs: status().io('Connecting').build(), expected: OTHER, following: false, replicating: false, pointed: false },
  { name: 'threads stopped (STOP SLAVE), set up for the expected source', rs: status().io('No').sql('No').build(), expected: PRIMARY, following: false, replicating: false, pointed: true },
  { name: 'threads stopped, set up for another node', rs: status().io('No').sql('No').build(), expected: OTHER, following: false, replicating: false, pointed: false },
  { name: 'SQL error from the expected source', rs: status().sql('No').sqlError(1062).build(), expected: PRIMARY, following: false, replicating: false, pointed: true },
  { name: 'access denied from the expected source', rs: status().io('Connecting').ioError(1045).build(), expected: PRIMARY, following: false, replicating: false, pointed: true },
  { name: 'replicates from nobody, source expected', rs: undefined, expected: PRIMARY, following: false, replicating: false, pointed: false },
  { name: 'replicates from nobody, no source expected', rs: undefined, following: false, replicating: false, pointed: false },
  { name: 'could not be asked: not known, neither following nor pointed', rs: null, expected: PRIMARY, following: false, replicating: false, pointed: undefined },
];

for (const c of PREDICATE_CASES) {
  test(`predicates: ${c.name}`, () => {
    const h = classifyReplica(c.rs, c.expected);
    assert.deepEqual({ following: isFollowing(h), replicating: isReplicating(h), pointed: pointedAt(h) }, { following: c.following, replicating: c.replicating, pointed: c.pointed }, h.state);
  });
}

test('isReplicating implies isFollowing, for every state', () => {
  const h = (state: S): ReplicationHealth => ({ state, reason: 'x', ioRunning: null, sqlRunning: null, secondsBehind: null });
  assert.deepEqual(Object.values(S).filter((st) => isReplicating(h(st))), [S.REPLICATING]);
  for (const st of Object.values(S)) if (isReplicating(h(st))) assert.ok(isFollowing(h(st)), st);
});

// ---- readReplicaHealth: a hand-written engine fake (only replicaStatus) -------------------------

const T = { host: '10.0.0.2', port: 3306, user: 'admin', password: 'x' };
const answers = (r: ReplicaStatus | undefined | Error) => ({
  replicaStatus: async () => { if (r instanceof Error) throw r; return r; },
});
const READ_CASES: Array<{ name: string; engine: ReturnType<typeof answers>; expected?: ExpectedSource; why?: string; want: S; reason?: RegExp }> = [
  { name: 'read fails (refused): UNKNOWN with the error, not NOT_CONFIGURED', engine: answers(new Error('connect ECONNREFUSED 10.0.0.2:3306')), expected: PRIMARY, want: S.UNKNOWN, reason: /could not be asked: connect ECONNREFUSED/ },
  { name: 'read fails, caller says why', engine: answers(new Error('timeout')), why: 'the standby did not answer', want: S.UNKNOWN, reason: /^the standby did not answer$/ },
  { name: 'answers with no replication: NOT_CONFIGURED', engine: answers(undefined), expected: PRIMARY, want: S.NOT_CONFIGURED },
  { name: 'answers healthy from the expected source', engine: answers(status().build()), expected: PRIMARY, want: S.REPLICATING },
  { name: 'answers healthy from another source: the expected source is applied', engine: answers(status().build()), expected: OTHER, want: S.OTHER_SOURCE },
];

for (const c of READ_CASES) {
  test(`readReplicaHealth: ${c.name}`, async () => {
    const h = await readReplicaHealth(c.engine, T, c.expected, c.why);
    assert.equal(h.state, c.want);
    if (c.reason) assert.match(h.reason, c.reason);
  });
}

// ---- when the record is written ----------------------------------------------------------------

const T0 = 1_000_000_000_000;
const healthy = (behind: number | null = 0): ReplicationHealth => classifyReplica(status().behind(behind).build(), PRIMARY);
const rec = (over: Partial<ReplicationRecord> = {}): ReplicationRecord => ({ ...toRecord('n2', healthy(), T0), ...over });

const WRITE_CASES: Array<{ name: string; prev?: ReplicationRecord; node?: string; h: ReplicationHealth; at: number; want: boolean }> = [
  { name: 'nothing stored yet', h: healthy(), at: T0, want: true },
  { name: 'same observation a round later', prev: rec(), h: healthy(), at: T0 + 250, want: false },
  { name: 'same observation just before the refresh', prev: rec(), h: healthy(), at: T0 + REFRESH_MS - 1, want: false },
  { name: 'refresh after REFRESH_MS', prev: rec(), h: healthy(), at: T0 + REFRESH_MS, want: true },
  { name: 'clock went back', prev: rec(), h: healthy(), at: T0 - 1, want: true },
  { name: 'state changes: at once', prev: rec(), h: classifyReplica(status().sql('No').sqlError(1062).build(), PRIMARY), at: T0 + 250, want: true },
  { name: 'IO flag changes with the same state', prev: rec({ state: S.BROKEN, io: true, sql: false }), h: classifyReplica(status().io('No').sql('No').sqlError(1062).build()), at: T0 + 250, want: true },
  { name: 'another node observed (after a failover)', prev: rec(), node: 'n1', h: healthy(), at: T0 + 250, want: true },
  { name: 'lag 0 → 1: same bucket', prev: rec(), h: healthy(1), at: T0 + 10_000, want: false },
  { name: 'lag 0 → 2: same bucket', prev: rec(), h: healthy(2), at: T0 + 10_000, want: false },
  { name: 'lag 0 → 3: new bucket', prev: rec(), h: healthy(3), at: T0 + 10_000, want: true },
  { name: 'lag 0 → 3 too soon after the last write', prev: rec(), h: healthy(3), at: T0 + LAG_WRITE_MIN_MS - 1, want: false },
  { name: 'lag 4 → 7: same bucket', prev: rec({ behind: 4 }), h: healthy(7), at: T0 + 10_000, want: false },
  { name: 'lag 7 → 8: new bucket', prev: rec({ behind: 7 }), h: healthy(8), at: T0 + 10_000, want: true },
  { name: 'lag 100 → 0: back in step', prev: rec({ behind: 100 }), h: healthy(0), at: T0 + LAG_WRITE_MIN_MS, want: true },
  { name: 'reason text changes in the same state', prev: rec({ state: S.CONNECTING, io: false, reason: 'IO thread error 2003: a', behind: null }), h: classifyReplica(status().io('Connecting').ioError(2013).build(), PRIMARY), at: T0 + 10_000, want: true },
  { name: 'reason text changes, too soon', prev: rec({ state: S.CONNECTING, io: false, reason: 'IO thread error 2003: a', behind: null }), h: classifyReplica(status().io('Connecting').ioError(2013).build(), PRIMARY), at: T0 + 1000, want: false },
];

for (const c of WRITE_CASES) {
  test(`shouldWrite: ${c.name}`, () => {
    assert.equal(shouldWrite(c.prev, c.node ?? 'n2', c.h, c.at), c.want);
  });
}

test('lagBucket: unknown, 0–2 s, then powers of two', () => {
  assert.deepEqual([null, 0, 1, 2, 3, 4, 7, 8, 15, 16, 1000].map(lagBucket), [-1, 0, 0, 0, 1, 2, 2, 3, 3, 4, 9]);
});

test('an idle replica observed every 250 ms for 10 minutes is written once per REFRESH_MS', () => {
  let stored: ReplicationRecord | undefined;
  let writes = 0;
  for (let t = T0; t < T0 + 600_000; t += 250) {
    const h = healthy(t % 1000 === 0 ? 1 : 0); // Seconds_Behind flickers between 0 and 1 under load
    if (shouldWrite(stored, 'n2', h, t)) {
      stored = toRecord('n2', h, t, stored);
      writes++;
    }
  }
  assert.equal(writes, 600_000 / REFRESH_MS);
});

test('toRecord keeps `since` while the state holds, and resets it on a change', () => {
  const a = toRecord('n2', healthy(), T0);
  assert.equal(toRecord('n2', healthy(5), T0 + 9000, a).since, T0);
  assert.equal(toRecord('n2', classifyReplica(status().sql('No').build()), T0 + 9000, a).since, T0 + 9000);
  assert.equal(toRecord('n1', healthy(), T0 + 9000, a).since, T0 + 9000);
});

test('readRecord: missing → UNKNOWN "not observed yet"; fresh → as recorded; stale → UNKNOWN with the last state', () => {
  const none = readRecord(undefined, T0);
  assert.equal(none.ReplicationState, S.UNKNOWN);
  assert.match(none.ReplicationReason, /not observed yet/);
  assert.equal(none.ReplicationSecondsBehind, null);
  const r = toRecord('n2', healthy(4), T0);
  const fresh = readRecord(r, T0 + STALE_MS);
  assert.deepEqual(fresh, {
    ReplicationState: S.REPLICATING, ReplicationReason: '', ReplicationIoRunning: true, ReplicationSqlRunning: true,
    ReplicationSecondsBehind: 4, ReplicationObservedTime: T0, ReplicationNodeId: 'n2',
  });
  const stale = readRecord(r, T0 + STALE_MS + 1);
  assert.equal(stale.ReplicationState, S.UNKNOWN);
  assert.match(stale.ReplicationReason, /not observed for 150 s.*last seen REPLICATING/);
  assert.equal(stale.ReplicationIoRunning, null);
  assert.equal(stale.ReplicationObservedTime, T0);
});

test('parseReplicationRecord: null, garbage and wrong shapes are "no record"', () => {
  for (const s of [null, undefined, '', 'nope', '[]', '{"state":1}', '{"state":"REPLICATING"}']) assert.equal(parseReplicationRecord(s), undefined, String(s));
  const r = toRecord('n2', healthy(), T0);
  assert.deepEqual(parseReplicationRecord(JSON.stringify(r)), r);
});

test('replicationFields: HA primaries and read-only instances carry them, basic instances do not; times are API strings', () => {
  const row = (over: Record<string, unknown>) => ({ architecture: 1, parent_uuid: null, replication: null, ...over }) as any;
  assert.deepEqual(replicationFields(row({ architecture: 0 }), T0), {});
  const never = replicationFields(row({}), T0) as any;
  assert.equal(never.ReplicationState, S.UNKNOWN);
  assert.equal(never.ReplicationObservedTime, '');
  const r = JSON.stringify(toRecord('n9', healthy(1), Date.UTC(2026, 0, 2, 3, 4, 5)));
  const ro = replicationFields(row({ architecture: 0, parent_uuid: 'p', replication: r }), Date.UTC(2026, 0, 2, 3, 4, 10)) as any;
  assert.equal(ro.ReplicationState, S.REPLICATING);
  assert.equal(ro.ReplicationSecondsBehind, 1);
  assert.equal(ro.ReplicationObservedTime, '2026-01-02 03:04:05');
  assert.equal(ro.ReplicationNodeId, 'n9');
});
