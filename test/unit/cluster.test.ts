/**
 * Several serve nodes on one store (docs/cluster.md), on both backends: members and heartbeats,
 * loop leases (one owner, token +1 per change of hands, takeover after expiry, release at once),
 * the freeing of dead members' task leases, loop state, the step log and its overlap check; and the
 * pure parts: decideLoops, the HA memory rule, the serve lock's refusals, the members view.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { decideLoops, loopKey, Membership, type ClusterTiming } from '../../src/cluster/membership.js';
import { formatMembers, viewMembers } from '../../src/cluster/members-view.js';
import { FencedError } from '../../src/cluster/fence.js';
import { memoryToStore, restoreMemory, LAST_GOOD_REFRESH_MS } from '../../src/ha/ha-memory.js';
import { lockRefusal, runningServes, takeLock } from '../../src/serve-lock.js';
import { overlappingSteps, type LoopLease, type MemberInfo, type TaskStep } from '../../src/store/cluster-repo.js';
import type { Store } from '../../src/store/store.js';
import { newTaskRow } from '../../src/tasks/new-task.js';
import { STORE_BACKENDS, type FreshStore } from '../support/stores.js';

const lease = (name: string, owner: string, token = 1): LoopLease => ({ name, owner, token, lease_until: 0, acquired_at: 0 });

describe('decideLoops', () => {
  const cases: Array<{ name: string; loops: Array<[string, boolean]>; leases: LoopLease[]; start: string[]; stop: string[] }> = [
    { name: 'ours, not running: start', loops: [['a', false]], leases: [lease('a', 'me')], start: ['a'], stop: [] },
    { name: 'ours, running: nothing', loops: [['a', true]], leases: [lease('a', 'me')], start: [], stop: [] },
    { name: 'another owner, running: stop', loops: [['a', true]], leases: [lease('a', 'other')], start: [], stop: ['a'] },
    { name: 'another owner, stopped: nothing', loops: [['a', false]], leases: [lease('a', 'other')], start: [], stop: [] },
    { name: 'no lease row: not ours', loops: [['a', true]], leases: [], start: [], stop: ['a'] },
    { name: 'mixed', loops: [['a', false], ['b', true], ['c', true]], leases: [lease('a', 'me'), lease('b', 'x'), lease('c', 'me')], start: ['a'], stop: ['b'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(decideLoops(c.loops.map(([key, running]) => ({ key, running })), 'me', c.leases), { start: c.start, stop: c.stop });
    });
  }
  test('loopKey: host loops per host, global loops once', () => {
    assert.equal(loopKey('node-watchdog', 'host', 'h1'), 'node-watchdog@h1');
    assert.equal(loopKey('ha-monitor', 'global', 'h1'), 'ha-monitor');
  });
});

describe('memoryToStore (HA observations across a takeover)', () => {
  const good = (at: number, r = true, s = true) => ({ at, standbyReplicating: r, semiSyncOn: s });
  const R = LAST_GOOD_REFRESH_MS;
  const me = 'serve-me';
  const cases: Array<{ name: string; prev: any; now: any; write: boolean }> = [
    { name: 'nothing known, nothing to write', prev: undefined, now: {}, write: false },
    { name: 'first healthy observation', prev: undefined, now: { lastGood: good(1000) }, write: true },
    { name: 'same flags, same time bucket: no write', prev: { lastGood: good(R), by: me }, now: { lastGood: good(2 * R - 1) }, write: false },
    { name: 'same flags, next time bucket', prev: { lastGood: good(2 * R - 1), by: me }, now: { lastGood: good(2 * R) }, write: true },
    { name: 'same flags, written by another node (just taken over)', prev: { lastGood: good(R), by: 'serve-old' }, now: { lastGood: good(R + 1) }, write: true },
    { name: 'semi-sync fell back', prev: { lastGood: good(1000), by: me }, now: { lastGood: good(1001, true, false) }, write: true },
    { name: 'standby stopped replicating', prev: { lastGood: good(1000), by: me }, now: { lastGood: good(1001, false, true) }, write: true },
    { name: 'primary went silent', prev: { lastGood: good(1000), by: me }, now: { lastGood: good(1000), silentSince: 1200 }, write: true },
    { name: 'still silent since the same time', prev: { silentSince: 1200, lastGood: good(1000), by: me }, now: { silentSince: 1200, lastGood: good(1000) }, write: false },
    { name: 'answers again', prev: { silentSince: 1200, lastGood: good(1000), by: me }, now: { lastGood: good(1000) }, write: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = memoryToStore(c.prev, c.now, me);
      assert.equal(got !== undefined, c.write);
      if (got) assert.deepEqual(got, { silentSince: c.now.silentSince, lastGood: c.now.lastGood, by: me });
    });
  }
  test('a healthy pair observed every 250 ms for 10 s is written once per bucket (5 times), not 40', () => {
    let stored: any;
    let writes = 0;
    for (let t = 0; t < 10_000; t += 250) {
      const next = memoryToStore(stored, { lastGood: good(t) }, me);
      if (next) { stored = next; writes++; }
    }
    assert.equal(writes, 10_000 / R);
  });
});

describe('restoreMemory (the next owner of the HA monitor)', () => {
  const good = (at: number) => ({ at, standbyReplicating: true, semiSyncOn: true });
  const R = LAST_GOOD_REFRESH_MS;
  const cases: Array<{ name: string; stored: any; seen: number | undefined; at: number | undefined }> = [
    { name: 'healthy until the writer\'s last heartbeat', stored: { lastGood: good(10_000), by: 'a' }, seen: 10_000 + R - 300, at: 10_000 + R - 300 },
    { name: 'never past the writer\'s next refresh (its loop may have stalled)', stored: { lastGood: good(10_000), by: 'a' }, seen: 10_000 + 5 * R, at: 10_000 + R },
    { name: 'a heartbeat older than the observation keeps the observation', stored: { lastGood: good(10_000), by: 'a' }, seen: 9_000, at: 10_000 },
    { name: 'writer unknown (its member row is gone): as stored', stored: { lastGood: good(10_000), by: 'a' }, seen: undefined, at: 10_000 },
    { name: 'primary silent at the handover: the observation stays frozen', stored: { lastGood: good(10_000), silentSince: 10_100, by: 'a' }, seen: 11_000, at: 10_000 },
    { name: 'no healthy observation', stored: { silentSince: 5 }, seen: 11_000, at: undefined },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(restoreMemory(c.stored, c.seen).lastGood?.at, c.at));
  }
});

describe('serve lock', () => {
  const sqlite = { backend: 'sqlite', store: '/h/openrds.db' };
  const pgA = { backend: 'postgres', store: 'postgres://u:***@h/a' };
  const pgB = { backend: 'postgres', store: 'postgres://u:***@h/b' };
  const cases: Array<[string, typeof sqlite, Array<typeof sqlite & { pid: number }>, RegExp | undefined]> = [
    ['alone on SQLite', sqlite, [], undefined],
    ['a second serve on SQLite: refused, pointing at PostgreSQL', sqlite, [{ pid: 7, ...sqlite }], /pid 7.*one serve runs per home.*PostgreSQL store/],
    ['PostgreSQL beside a SQLite serve: refused', pgA, [{ pid: 7, ...sqlite }], /one serve runs per home/],
    ['two nodes on one PostgreSQL store', pgA, [{ pid: 7, ...pgA }, { pid: 8, ...pgA }], undefined],
    ['another PostgreSQL store on the same home: refused', pgA, [{ pid: 7, ...pgA }, { pid: 8, ...pgB }], /pid 8.*another store/],
  ];
  for (const [name, me, others, want] of cases) {
    test(name, () => {
      const got = lockRefusal(me, others);
      if (want) assert.match(got ?? '', want);
      else assert.equal(got, undefined);
    });
  }
  test('records: a live process counts, a dead one and this process do not; release removes the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openrds-serves-'));
    try {
      writeFileSync(join(dir, '1.json'), JSON.stringify({ pid: 1, ...pgA })); // init: alive
      writeFileSync(join(dir, '999999999.json'), JSON.stringify({ pid: 999999999, ...pgA })); // no such process
      assert.deepEqual(runningServes(dir).map((r) => r.pid), [1]);
      const release = takeLock(dir, pgA);
      assert.deepEqual(runningServes(dir).map((r) => r.pid), [1], 'this process is left out');
      assert.throws(() => takeLock(dir, pgB), /another store/);
      release();
      assert.throws(() => takeLock(dir, sqlite), /one serve runs per home/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('overlappingSteps', () => {
  const row = (owner: string, start: number, end: number | null, seen = end ?? start, task = 't1'): TaskStep => ({
    task_id: task, token: 1, step: 0, attempt: 0, name: 's', owner, started_at: start, seen_at: seen, ended_at: end, outcome: end === null ? '' : 'done',
  });
  const cases: Array<[string, TaskStep[], number]> = [
    ['one after the other', [row('a', 0, 10), row('b', 10, 20)], 0],
    ['overlap on two owners', [row('a', 0, 15), row('b', 10, 20)], 1],
    ['overlap on one owner is a retry, not a conflict', [row('a', 0, 15), row('a', 10, 20)], 0],
    ['a killed owner ends where it was last seen', [row('a', 0, null, 8), row('b', 9, 20)], 0],
    ['a killed owner seen after the takeover began', [row('a', 0, null, 12), row('b', 9, 20)], 1],
    ['a fenced attempt ends where it last held the lease', [{ ...row('a', 0, 30, 8), outcome: 'fenced' }, row('b', 9, 20)], 0],
    ['a finished attempt past the takeover is an overlap', [row('a', 0, 30, 8), row('b', 9, 20)], 1],
    ['different tasks never conflict', [row('a', 0, 15, 15, 't1'), row('b', 10, 20, 20, 't2')], 0],
  ];
  for (const [name, rows, n] of cases) test(name, () => assert.equal(overlappingSteps(rows).length, n));
});

describe('members view', () => {
  test('heartbeat age, alive or dead, loops held, loops without a live owner', () => {
    const members = [
      { id: 'm1', host_id: 'h', pid: 1, listen: 'http://a', started_at: 0, heartbeat_at: 9_500 },
      { id: 'm2', host_id: 'h', pid: 2, listen: 'http://b', started_at: 0, heartbeat_at: 1_000 },
    ];
    const leases = [
      { name: 'ha-monitor', owner: 'm1', token: 3, lease_until: 12_000, acquired_at: 0 },
      { name: 'retention', owner: 'm2', token: 1, lease_until: 4_000, acquired_at: 0 },
    ];
    const v = viewMembers(members, leases, 10_000, 5000);
    assert.deepEqual(v.members.map((m) => [m.id, m.heartbeatAgeMs, m.alive, m.loops]), [
      ['m1', 500, true, [{ name: 'ha-monitor', token: 3 }]],
      ['m2', 9000, false, []],
    ]);
    assert.deepEqual(v.unowned, ['retention']);
    assert.match(formatMembers(v), /m1 .*alive.*0\.5 s ago[\s\S]*ha-monitor \(token 3\)[\s\S]*m2 .*DEAD[\s\S]*without a live owner: retention/);
  });
});

class FakeLoop {
  runs = 0;
  started = 0;
  stopped = 0;
  start(): void { this.started++; this.runs++; }
  async stop(): Promise<void> { this.stopped++; this.runs--; }
}

const quiet = pino({ level: 'silent' });
const FAST: ClusterTiming = { tickMs: 100, loopTtlMs: 2000, memberTtlMs: 3000, fenceMarginMs: 500, loopFenceMs: 100, forgetAfterMs: 60_000 };
const info = (id: string, hostId = 'h1'): MemberInfo => ({ id, hostId, pid: 1, listen: '', startedAt: 0 });

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const backend of STORE_BACKENDS) {
  describe(`cluster store on ${backend.name}`, () => {
    let f: FreshStore;
    let store: Store;
    let other: Store;
    before(async () => {
      f = await backend.fresh();
      store = f.store;
      other = await f.another();
    });
    after(async () => {
      await other.close();
      await store.close();
    });

    test('tick: one owner per loop lease, the token changes only with the owner, expiry hands it over', async () => {
      const a = await store.cluster.tick(info('a'), ['L', 'M@h1'], 60_000, 60_000);
      assert.deepEqual(a.leases.map((l) => [l.name, l.owner, l.token]), [['L', 'a', 1], ['M@h1', 'a', 1]]);
      const b = await other.cluster.tick(info('b'), ['L'], 60_000, 60_000);
      assert.deepEqual(b.leases.map((l) => [l.name, l.owner, l.token]), [['L', 'a', 1]], 'a live lease stays its owner\'s');
      const again = await store.cluster.tick(info('a'), ['L'], 60_000, 60_000);
      assert.equal(again.leases[0]!.token, 1, 'renewal keeps the token');
      assert.ok(again.leases[0]!.lease_until >= again.now + 59_000);
      assert.equal(await store.cluster.holdsLoop('L', 'a', 1, 1000), true);
      assert.equal(await store.cluster.holdsLoop('L', 'b', 1, 0), false);
      await store.db.updateTable('loop_leases').set({ lease_until: 0 }).where('name', '=', 'L').execute();
      assert.equal(await store.cluster.holdsLoop('L', 'a', 1, 0), false, 'an expired lease fails the fence');
      const taken = await other.cluster.tick(info('b'), ['L'], 60_000, 60_000);
      assert.deepEqual(taken.leases.map((l) => [l.owner, l.token]), [['b', 2]], 'expired: taken over with token 2');
      assert.equal(await store.cluster.holdsLoop('L', 'a', 1, 0), false);
      assert.equal(await other.cluster.holdsLoop('L', 'b', 2, 1000), true);
      assert.equal(await other.cluster.releaseLoops('b'), 1, 'released at once');
      const back = await store.cluster.tick(info('a'), ['L'], 60_000, 60_000);
      assert.deepEqual(back.leases.map((l) => [l.owner, l.token]), [['a', 1]], 'a released lease starts again from a fresh row');
      const members = await store.cluster.listMembers();
      assert.deepEqual(members.map((m) => m.id).sort(), ['a', 'b']);
      await store.cluster.releaseLoops('a');
    });

    test('tick frees the task leases of members whose heartbeat stopped, not those of live members', async () => {
      await store.db.deleteFrom('tasks').execute();
      await store.db.deleteFrom('members').execute();
      for (const k of [0, 1, 2]) await store.insertTask(newTaskRow({ tenantId: 't', instanceUuid: `dm-${k}`, type: 'X', now: k }));
      await store.cluster.tick(info('live'), [], 60_000, 60_000);
      await store.cluster.tick(info('dead'), [], 60_000, 60_000);
      const [t0, t1] = await store.claimTasks('live', 'h1', 60_000, 1, 0).then(async (x) => [...x, ...(await store.claimTasks('dead', 'h1', 60_000, 1, 0))]);
      await store.claimTasks('never-a-member', 'h1', 60_000, 1, 0);
      await store.db.updateTable('members').set({ heartbeat_at: 0 }).where('id', '=', 'dead').execute();
      assert.equal((await store.cluster.tick(info('live'), [], 60_000, 5_000, 60_000)).released, 0, 'leases set less than the member TTL ago: their owners are alive');
      const r = await store.cluster.tick(info('live'), [], 60_000, 5_000, 70_000); // as if the 60 s leases were set 10 s ago
      assert.equal(r.released, 2, 'the dead member\'s and the unknown owner\'s');
      const rows = new Map((await store.db.selectFrom('tasks').select(['id', 'lease_until']).execute()).map((t) => [t.id, t.lease_until]));
      assert.ok(rows.get(t0!.id)! > r.now, 'the live member keeps its lease');
      assert.equal(rows.get(t1!.id), 0);
      const retaken = await store.claimTasks('live', 'h1', 60_000, 10, 0);
      assert.deepEqual(retaken.map((t) => t.lease_token), [2, 2], 'claimable again, with a new token');
      assert.equal(await store.cluster.pruneMembers(60_000), 1, 'the dead row ages out');
    });

    test('loop state and the step log', async () => {
      await store.cluster.saveLoopState('ha-monitor', 'i1', '{"silentSince":5}', 1);
      await store.cluster.saveLoopState('ha-monitor', 'i1', '{"silentSince":6}', 2);
      await store.cluster.saveLoopState('ha-monitor', 'i2', '{}', 2);
      assert.deepEqual([...(await other.cluster.loadLoopState('ha-monitor'))].sort(), [['i1', '{"silentSince":6}'], ['i2', '{}']]);
      await store.cluster.deleteLoopState('ha-monitor', 'i2');
      assert.deepEqual([...(await other.cluster.loadLoopState('ha-monitor')).keys()], ['i1']);

      await store.cluster.stepStarted({ taskId: 'st', token: 1, step: 0, attempt: 0, name: 'a', owner: 'n1' });
      await store.cluster.stepEnded('st', 1, 0, 0, 'done');
      await store.cluster.stepStarted({ taskId: 'st', token: 1, step: 1, attempt: 0, name: 'b', owner: 'n1' });
      await new Promise((r) => setTimeout(r, 5));
      await store.cluster.stepStarted({ taskId: 'st', token: 2, step: 1, attempt: 0, name: 'b', owner: 'n2' });
      const steps = await store.cluster.listSteps('st');
      assert.deepEqual(steps.map((s) => [s.token, s.step, s.owner, s.outcome, s.ended_at === null]), [[1, 0, 'n1', 'done', false], [1, 1, 'n1', '', true], [2, 1, 'n2', '', true]]);
      assert.ok(steps.every((s) => Math.abs(s.started_at - Date.now()) < 10_000), 'database clock, epoch ms');
      assert.equal(overlappingSteps(steps).length, 0, 'n1\'s open row ends where it was last seen, before n2 began');
    });

    test('Membership: one node runs a global loop, each host its host loop; kill hands over after the TTL, stop at once; the fence follows', async () => {
      await store.db.deleteFrom('loop_leases').execute();
      const mk = (s: Store, id: string, host: string) => {
        const m = new Membership(s, info(id, host), quiet, FAST);
        const g = new FakeLoop();
        const h = new FakeLoop();
        const gKey = m.addLoop('global-loop', 'global', g);
        m.addLoop('host-loop', 'host', h);
        return { m, g, h, fence: m.fence(gKey) };
      };
      const a = mk(store, 'node-a', 'h1');
      const b = mk(other, 'node-b', 'h1');
      const c = mk(other, 'node-c', 'h2');
      await a.m.start();
      await b.m.start();
      await c.m.start();
      assert.equal(a.g.runs, 1, 'the first node takes the global loop');
      assert.equal(b.g.runs + c.g.runs, 0);
      assert.equal(a.h.runs, 1, 'and the host loop of h1');
      assert.equal(b.h.runs, 0, 'one host loop per host');
      assert.equal(c.h.runs, 1, 'h2 has its own');
      await a.fence.assert();
      await assert.rejects(b.fence.assert(), FencedError);
      // A "kill": node-a stops ticking without releasing anything; its loops keep "running" in its
      // own view until its expiry timer fires.
      (a.m as unknown as { stopped: boolean }).stopped = true;
      clearTimeout((a.m as unknown as { timer: NodeJS.Timeout }).timer);
      const t0 = Date.now();
      await until(() => b.g.runs === 1 || c.g.runs === 1, 'the global loop moves');
      const movedMs = Date.now() - t0;
      assert.ok(movedMs >= FAST.loopTtlMs - FAST.fenceMarginMs - 100, `not before the lease ran out (${movedMs} ms)`);
      await until(() => b.h.runs === 1, 'the h1 host loop moves to the other h1 node');
      assert.equal(c.h.runs, 1);
      assert.equal(a.g.runs + a.h.runs, 0, 'the silent node stopped its loops when its leases could have run out');
      await assert.rejects(a.fence.assert(), FencedError);
      const newOwner = b.g.runs === 1 ? b : c;
      await newOwner.fence.assert();
      // SIGTERM: released at once, taken at the next tick.
      const t1 = Date.now();
      await newOwner.m.stop();
      const rest = newOwner === b ? c : b;
      await until(() => rest.g.runs === 1, 'the global loop moves after a clean stop');
      assert.ok(Date.now() - t1 < FAST.loopTtlMs, 'without waiting for expiry');
      await b.m.stop();
      await c.m.stop();
    });
  });
}
