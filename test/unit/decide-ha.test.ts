/** Pure HA decisions (src/ha/decide-ha.ts): every branch of primaryFailed, failoverBlocker and decideHa. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideHa, failoverBlocker, LAST_GOOD_MAX_AGE_MS, primaryFailed, type HaAction, type HaSnapshot } from '../../src/ha/decide-ha.js';
import { DEFAULT_HA_CONFIG, type HaConfig } from '../../src/ha/ha-state.js';

const CFG: HaConfig = { ...DEFAULT_HA_CONFIG, hangTimeoutMs: 1500, maxFailoversPerWindow: 3, flapWindowMs: 600_000 };
const NOW = 10_000_000;

// ---- fluent builder: a healthy pair p1 (primary) + s1 (standby), seen good just now ----------

class SnapshotBuilder {
  private s: HaSnapshot = {
    now: NOW,
    primary: { nodeId: 'p1', alive: true, answering: true, silentSinceMs: 0 },
    standby: { nodeId: 's1', alive: true, answering: true, replicating: true },
    lastGood: { at: NOW - 250, standbyReplicating: true, semiSyncOn: true },
    failovers: [],
    endpointOk: true,
  };
  /** The primary's process is gone. */
  primaryDead(): this { this.s.primary = { ...this.s.primary, alive: false, answering: false }; return this; }
  /** The process exists but has not answered for `ms`. */
  primarySilent(ms: number | undefined): this { this.s.primary = { ...this.s.primary, answering: false, silentSinceMs: ms }; return this; }
  noStandby(): this { delete this.s.standby; return this; }
  standbyDead(): this { this.s.standby = { ...this.s.standby!, alive: false, answering: false, replicating: false }; return this; }
  standbyHung(): this { this.s.standby = { ...this.s.standby!, answering: false, replicating: false }; return this; }
  standbyNotReplicating(): this { this.s.standby = { ...this.s.standby!, replicating: false }; return this; }
  noLastGood(): this { delete this.s.lastGood; return this; }
  lastGoodAgo(ms: number): this { this.s.lastGood = { ...this.s.lastGood!, at: NOW - ms }; return this; }
  lastGoodNotReplicating(): this { this.s.lastGood = { ...this.s.lastGood!, standbyReplicating: false }; return this; }
  lastGoodAsync(): this { this.s.lastGood = { ...this.s.lastGood!, semiSyncOn: false }; return this; }
  /** Failovers that happened `agoMs` before now. */
  failoversAgo(...agoMs: number[]): this { this.s.failovers = agoMs.map((a) => NOW - a); return this; }
  endpointWrong(): this { this.s.endpointOk = false; return this; }
  build(): HaSnapshot { return structuredClone(this.s); }
}
const snap = () => new SnapshotBuilder();

const failover: HaAction = { kind: 'failover', from: 'p1', to: 's1' };
const restart = (why: 'dead' | 'hung'): HaAction => ({ kind: 'restart-primary', nodeId: 'p1', kill: why === 'hung', why });
const none: HaAction = { kind: 'none' };

// ---- primaryFailed ----------------------------------------------------------------------------

const FAILED_CASES: Array<{ name: string; s: HaSnapshot; want: 'dead' | 'hung' | undefined }> = [
  { name: 'healthy primary', s: snap().build(), want: undefined },
  { name: 'process gone', s: snap().primaryDead().build(), want: 'dead' },
  { name: 'process gone though it answered (dead wins)', s: { ...snap().build(), primary: { nodeId: 'p1', alive: false, answering: true } }, want: 'dead' },
  { name: 'silent for less than hangTimeoutMs', s: snap().primarySilent(CFG.hangTimeoutMs - 1).build(), want: undefined },
  { name: 'silent for exactly hangTimeoutMs', s: snap().primarySilent(CFG.hangTimeoutMs).build(), want: 'hung' },
  { name: 'silent for long', s: snap().primarySilent(60_000).build(), want: 'hung' },
  { name: 'not answering, silence unknown (counts as 0)', s: snap().primarySilent(undefined).build(), want: undefined },
];
for (const c of FAILED_CASES) {
  test(`primaryFailed: ${c.name}`, () => assert.equal(primaryFailed(c.s, CFG), c.want));
}

// ---- failoverBlocker --------------------------------------------------------------------------

const BLOCKER_CASES: Array<{ name: string; s: HaSnapshot; want: RegExp | undefined }> = [
  { name: 'all good: no blocker', s: snap().primaryDead().build(), want: undefined },
  { name: 'no standby', s: snap().primaryDead().noStandby().build(), want: /no standby/ },
  { name: 'standby dead', s: snap().primaryDead().standbyDead().build(), want: /standby is down too/ },
  { name: 'standby alive but not answering', s: snap().primaryDead().standbyHung().build(), want: /standby is down too/ },
  { name: 'never seen healthy', s: snap().primaryDead().noLastGood().build(), want: /no recent healthy observation/ },
  { name: 'last good observation too old', s: snap().primaryDead().lastGoodAgo(LAST_GOOD_MAX_AGE_MS + CFG.hangTimeoutMs + 1).build(), want: /no recent healthy observation/ },
  { name: 'last good observation exactly at the age limit', s: snap().primaryDead().lastGoodAgo(LAST_GOOD_MAX_AGE_MS + CFG.hangTimeoutMs).build(), want: undefined },
  { name: 'standby was not replicating', s: snap().primaryDead().lastGoodNotReplicating().build(), want: /was not replicating/ },
  { name: 'semi-sync was async', s: snap().primaryDead().lastGoodAsync().build(), want: /semi-sync had fallen back/ },
  { name: 'not replicating is reported before async', s: snap().primaryDead().lastGoodNotReplicating().lastGoodAsync().build(), want: /was not replicating/ },
  { name: 'flap guard: max failovers within the window', s: snap().primaryDead().failoversAgo(1000, 60_000, 500_000).build(), want: /3 failovers within 10 min \(flap guard\)/ },
  { name: 'flap guard: one below the max', s: snap().primaryDead().failoversAgo(1000, 60_000).build(), want: undefined },
  { name: 'flap guard: old failovers are outside the window', s: snap().primaryDead().failoversAgo(1000, 60_000, CFG.flapWindowMs).build(), want: undefined },
];
for (const c of BLOCKER_CASES) {
  test(`failoverBlocker: ${c.name}`, () => {
    const got = failoverBlocker(c.s, CFG);
    if (c.want === undefined) assert.equal(got, undefined);
    else assert.match(got ?? '', c.want);
  });
}

// ---- decideHa ---------------------------------------------------------------------------------

const DECIDE_CASES: Array<{ name: string; s: HaSnapshot; want: HaAction; withheld?: RegExp }> = [
  { name: 'healthy pair: nothing', s: snap().build(), want: none },
  { name: 'healthy primary without a standby: nothing', s: snap().noStandby().build(), want: none },
  { name: 'dead primary, healthy standby: failover', s: snap().primaryDead().build(), want: failover },
  { name: 'hung primary, healthy standby: failover', s: snap().primarySilent(CFG.hangTimeoutMs).build(), want: failover },
  { name: 'primary silent, not yet hung: wait', s: snap().primarySilent(CFG.hangTimeoutMs - 1).build(), want: none },
  { name: 'primary silent, not yet hung, endpoint wrong: still wait', s: snap().primarySilent(100).endpointWrong().build(), want: none },
  { name: 'primary silent, not yet hung, standby dead: still wait', s: snap().primarySilent(100).standbyDead().build(), want: none },
  { name: 'dead primary, no standby: restart in place', s: snap().primaryDead().noStandby().build(), want: restart('dead'), withheld: /withheld: the instance has no standby; restarting the primary in place/ },
  { name: 'dead primary, dead standby: restart in place', s: snap().primaryDead().standbyDead().build(), want: restart('dead'), withheld: /standby is down too/ },
  { name: 'hung primary, async semi-sync: kill and restart in place', s: snap().primarySilent(5000).lastGoodAsync().build(), want: restart('hung'), withheld: /semi-sync/ },
  { name: 'dead primary, standby was being rebuilt: restart in place', s: snap().primaryDead().lastGoodNotReplicating().build(), want: restart('dead'), withheld: /was not replicating/ },
  { name: 'dead primary, flap guard: restart in place', s: snap().primaryDead().failoversAgo(1, 2, 3).build(), want: restart('dead'), withheld: /flap guard/ },
  { name: 'dead primary, stale observation: restart in place', s: snap().primaryDead().noLastGood().build(), want: restart('dead'), withheld: /no recent healthy observation/ },
  { name: 'endpoint points elsewhere: repoint', s: snap().endpointWrong().build(), want: { kind: 'repoint-endpoint' } },
  { name: 'endpoint wrong and standby dead: repoint first', s: snap().endpointWrong().standbyDead().build(), want: { kind: 'repoint-endpoint' } },
  { name: 'standby process gone: repair it', s: snap().standbyDead().build(), want: { kind: 'repair-standby', nodeId: 's1' } },
  { name: 'standby answers but does not replicate: repair it', s: snap().standbyNotReplicating().build(), want: { kind: 'repair-standby', nodeId: 's1' } },
  { name: 'standby alive but not answering: not repaired (it may be busy)', s: snap().standbyHung().build(), want: none },
  { name: 'the last good observation does not matter while the primary is healthy', s: snap().noLastGood().build(), want: none },
];
for (const c of DECIDE_CASES) {
  test(`decideHa: ${c.name}`, () => {
    const before = structuredClone(c.s);
    const got = decideHa(c.s, CFG);
    assert.deepEqual(got.action, c.want);
    if (c.withheld) assert.match(got.withheld ?? '', c.withheld);
    else assert.equal(got.withheld, undefined);
    assert.deepEqual(c.s, before, 'decideHa does not change its snapshot');
  });
}

test('decideHa: the flap window comes from the config', () => {
  const s = snap().primaryDead().failoversAgo(1000).build();
  assert.deepEqual(decideHa(s, { ...CFG, maxFailoversPerWindow: 1 }).action, restart('dead'));
  assert.deepEqual(decideHa(s, { ...CFG, maxFailoversPerWindow: 1, flapWindowMs: 1000 }).action, failover);
});

test('decideHa: the hang timeout comes from the config', () => {
  const s = snap().primarySilent(3000).build();
  assert.deepEqual(decideHa(s, CFG).action, failover);
  assert.deepEqual(decideHa(s, { ...CFG, hangTimeoutMs: 3001 }).action, none);
});
