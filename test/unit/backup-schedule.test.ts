/** The automatic backup schedule (src/backups/schedule.ts): slots, time zones, and decideSchedule, table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideSchedule, describeSlot, HOUR_MS, DAY_MS, slotHour, slotStartsBetween, TIME_SLOTS, tzOffsetMinutes, type PolicySnapshot,
} from '../../src/backups/schedule.js';

const utc = (s: string) => Date.parse(`${s}Z`);
// 2024-05-01 was a Wednesday (3). Times below are UTC unless a builder says otherwise.
const WED = '2024-05-01';

test('TimeSlot values: exactly the 24 one-hour slots of spec §3', () => {
  assert.equal(TIME_SLOTS.length, 24);
  assert.equal(TIME_SLOTS[0], '00:00-01:00');
  assert.equal(TIME_SLOTS[23], '23:00-24:00');
  const cases: Array<[string, number | undefined]> = [
    ['00:00-01:00', 0], ['02:00-03:00', 2], ['09:00-10:00', 9], ['23:00-24:00', 23], ['12:00-13:00', 12],
    ['2:00-3:00', undefined], ['02:00-04:00', undefined], ['02:30-03:30', undefined], ['24:00-25:00', undefined],
    ['02:00 - 03:00', undefined], ['', undefined], ['02:00-03:00 ', undefined], ['23:00-00:00', undefined],
  ];
  for (const [s, want] of cases) assert.equal(slotHour(s), want, s);
});

test('time zones of instances', () => {
  const cases: Array<[string, number]> = [['+08:00', 480], ['-03:00', -180], ['+05:30', 330], ['+00:00', 0], ['-12:00', -720], ['+13:00', 780], ['junk', 0], ['', 0]];
  for (const [tz, want] of cases) assert.equal(tzOffsetMinutes(tz), want, tz);
});

// ---- slotStartsBetween -----------------------------------------------------------------------

const P = (hour: number, days: number[], tz = 0) => ({ hour, days, tzMinutes: tz });
const BETWEEN: Array<[string, ReturnType<typeof P>, string, string, string[]]> = [
  ['slot start is included at the upper end', P(2, [3]), `${WED}T01:00:00`, `${WED}T02:00:00`, [`${WED}T02:00:00`]],
  ['slot start is excluded at the lower end', P(2, [3]), `${WED}T02:00:00`, `${WED}T05:00:00`, []],
  ['other weekday: nothing', P(2, [4]), `${WED}T00:00:00`, `${WED}T23:00:00`, []],
  ['every day over three days', P(2, [0, 1, 2, 3, 4, 5, 6]), `${WED}T03:00:00`, '2024-05-04T02:30:00', ['2024-05-02T02:00:00', '2024-05-03T02:00:00', '2024-05-04T02:00:00']],
  ['Sunday 0 and Saturday 6', P(10, [0, 6]), '2024-05-03T00:00:00', '2024-05-06T00:00:00', ['2024-05-04T10:00:00', '2024-05-05T10:00:00']],
  ['+08:00: 02:00 local is 18:00 UTC the day before', P(2, [3], 480), '2024-04-30T00:00:00', `${WED}T00:00:00`, ['2024-04-30T18:00:00']],
  ['+08:00: the local weekday counts, not the UTC one', P(2, [2], 480), '2024-04-29T00:00:00', `${WED}T00:00:00`, ['2024-04-29T18:00:00']],
  ['-03:00: 23:00 local is 02:00 UTC the next day', P(23, [3], -180), `${WED}T00:00:00`, '2024-05-03T00:00:00', ['2024-05-02T02:00:00']],
  ['+05:30 half-hour zone', P(0, [3], 330), '2024-04-30T00:00:00', `${WED}T00:00:00`, ['2024-04-30T18:30:00']],
  ['empty DateList never runs', P(2, []), '2024-04-01T00:00:00', '2024-06-01T00:00:00', []],
  ['reversed window is empty', P(2, [3]), `${WED}T05:00:00`, `${WED}T01:00:00`, []],
  ['slot 23:00-24:00', P(23, [3]), `${WED}T00:00:00`, `${WED}T23:59:59`, [`${WED}T23:00:00`]],
];
for (const [name, p, from, to, want] of BETWEEN) {
  test(`slotStartsBetween: ${name}`, () => {
    assert.deepEqual(slotStartsBetween(p, utc(from), utc(to)).map((t) => new Date(t).toISOString().slice(0, 19)), want);
  });
}

test('a very long outage is bounded (400 days walked back at most)', () => {
  const r = slotStartsBetween(P(2, [0, 1, 2, 3, 4, 5, 6]), 0, utc(`${WED}T12:00:00`));
  assert.ok(r.length <= 401 && r.length >= 399, String(r.length));
});

test('describeSlot shows the local slot', () => {
  assert.equal(describeSlot(utc('2024-04-30T18:00:00'), 480), '2024-05-01 02:00-03:00 +08:00');
  assert.equal(describeSlot(utc(`${WED}T23:00:00`), 0), '2024-05-01 23:00-24:00 +00:00');
  assert.equal(describeSlot(utc('2024-05-02T02:00:00'), -180), '2024-05-01 23:00-24:00 -03:00');
  assert.equal(describeSlot(utc('2024-04-30T18:30:00'), 330), '2024-05-01 00:00-01:00 +05:30');
});

// ---- decideSchedule --------------------------------------------------------------------------

class PolicyBuilder {
  private p: PolicySnapshot = { instanceUuid: 'i1', tenantId: 't1', hour: 2, days: [3], tzMinutes: 0, sign: 1, lastSlotAt: utc(`${WED}T00:00:00`), instanceGone: false };
  instance(u: string): this { this.p.instanceUuid = u; return this; }
  hour(h: number): this { this.p.hour = h; return this; }
  days(...d: number[]): this { this.p.days = d; return this; }
  tz(m: number): this { this.p.tzMinutes = m; return this; }
  off(): this { this.p.sign = 0; return this; }
  last(s: string): this { this.p.lastSlotAt = utc(s); return this; }
  gone(): this { this.p.instanceGone = true; return this; }
  build(): PolicySnapshot { return { ...this.p, days: [...this.p.days] }; }
}
const policy = () => new PolicyBuilder();
type Want = { instance?: string; slot: string; late: boolean; missed: string[]; detail?: RegExp };
const iso = (t: number) => new Date(t).toISOString().slice(0, 19);

const DECIDE: Array<[string, PolicySnapshot[], string, Want[]]> = [
  ['before the slot: nothing', [policy().build()], `${WED}T01:59:59`, []],
  ['at the slot start: on time', [policy().build()], `${WED}T02:00:00`, [{ slot: `${WED}T02:00:00`, late: false, missed: [], detail: /^$/ }]],
  ['inside the slot: on time', [policy().build()], `${WED}T02:59:59`, [{ slot: `${WED}T02:00:00`, late: false, missed: [] }]],
  ['slot already handled: nothing', [policy().last(`${WED}T02:00:00`).build()], `${WED}T02:30:00`, []],
  ['slot handled, next day not in DateList: nothing', [policy().last(`${WED}T02:00:00`).build()], '2024-05-02T02:30:00', []],
  ['whole slot missed: one catch-up', [policy().build()], `${WED}T03:00:00`, [{ slot: `${WED}T02:00:00`, late: true, missed: [`${WED}T02:00:00`], detail: /^catch-up backup: slot 2024-05-01 02:00-03:00 \+00:00 passed while openrds was not running$/ }]],
  ['missed long ago: still one catch-up', [policy().build()], '2024-05-06T12:00:00', [{ slot: `${WED}T02:00:00`, late: true, missed: [`${WED}T02:00:00`] }]],
  ['several missed slots: one catch-up naming the older ones', [policy().days(0, 1, 2, 3, 4, 5, 6).build()], '2024-05-03T12:00:00',
    [{ slot: '2024-05-03T02:00:00', late: true, missed: [`${WED}T02:00:00`, '2024-05-02T02:00:00', '2024-05-03T02:00:00'], detail: /catch-up.*2024-05-03 02:00.*missed.*2024-05-01 02:00-03:00.*2024-05-02 02:00-03:00/ }]],
  ['missed yesterday, back inside today\'s slot: on time, yesterday named', [policy().days(0, 1, 2, 3, 4, 5, 6).build()], '2024-05-02T02:10:00',
    [{ slot: '2024-05-02T02:00:00', late: false, missed: [`${WED}T02:00:00`], detail: /^automatic backup for slot 2024-05-02 02:00-03:00 \+00:00; slots missed.*2024-05-01 02:00-03:00/ }]],
  ['more than five missed: the list is shortened', [policy().days(0, 1, 2, 3, 4, 5, 6).build()], '2024-05-10T12:00:00',
    [{ slot: '2024-05-10T02:00:00', late: true, missed: Array.from({ length: 10 }, (_, i) => iso(utc(`${WED}T02:00:00`) + i * DAY_MS)), detail: /and 4 earlier/ }]],
  ['Sign 0: nothing', [policy().off().build()], `${WED}T02:30:00`, []],
  ['instance gone: nothing', [policy().gone().build()], `${WED}T02:30:00`, []],
  ['empty DateList: nothing', [policy().days().build()], '2024-06-01T00:00:00', []],
  ['+08:00 slot 02:00 is 18:00 UTC', [policy().tz(480).last('2024-04-30T12:00:00').build()], '2024-04-30T18:05:00', [{ slot: '2024-04-30T18:00:00', late: false, missed: [] }]],
  ['+08:00 before the local slot: nothing', [policy().tz(480).last('2024-04-30T12:00:00').build()], '2024-04-30T17:59:00', []],
  ['slot 23:00-24:00 at 23:59', [policy().hour(23).build()], `${WED}T23:59:00`, [{ slot: `${WED}T23:00:00`, late: false, missed: [] }]],
  ['slot 23:00-24:00 at midnight: late', [policy().hour(23).build()], '2024-05-02T00:00:00', [{ slot: `${WED}T23:00:00`, late: true, missed: [`${WED}T23:00:00`] }]],
  ['exactly at the slot end: late', [policy().build()], `${WED}T03:00:00`, [{ slot: `${WED}T02:00:00`, late: true, missed: [`${WED}T02:00:00`] }]],
  ['policy set during the slot (last = then): not run today', [policy().last(`${WED}T02:20:00`).build()], `${WED}T02:40:00`, []],
  ['policy set during the slot: runs next week', [policy().last(`${WED}T02:20:00`).build()], '2024-05-08T02:01:00', [{ slot: '2024-05-08T02:00:00', late: false, missed: [] }]],
  ['two policies, one due', [policy().instance('a').build(), policy().instance('b').hour(5).build()], `${WED}T02:10:00`, [{ instance: 'a', slot: `${WED}T02:00:00`, late: false, missed: [] }]],
  ['two policies, both due, in input order', [policy().instance('b').build(), policy().instance('a').build()], `${WED}T02:10:00`,
    [{ instance: 'b', slot: `${WED}T02:00:00`, late: false, missed: [] }, { instance: 'a', slot: `${WED}T02:00:00`, late: false, missed: [] }]],
  ['no policies', [], `${WED}T02:10:00`, []],
  ['last slot in the future (clock went back): nothing', [policy().last('2024-05-08T02:00:00').build()], `${WED}T02:10:00`, []],
];
for (const [name, policies, now, want] of DECIDE) {
  test(`decideSchedule: ${name}`, () => {
    const got = decideSchedule(policies, utc(now));
    assert.equal(got.length, want.length, JSON.stringify(got));
    got.forEach((g, i) => {
      const w = want[i]!;
      assert.equal(g.kind, 'backup');
      if (w.instance) assert.equal(g.instanceUuid, w.instance);
      assert.equal(iso(g.slotAt), w.slot);
      assert.equal(g.late, w.late);
      assert.deepEqual(g.missed.map(iso), w.missed);
      assert.equal(g.expectLastSlotAt, policies.find((p) => p.instanceUuid === g.instanceUuid)!.lastSlotAt);
      if (w.detail) assert.match(g.detail, w.detail);
    });
  });
}

test('a decision moves last_slot_at to its slot: the next round at any later time inside the slot decides nothing', () => {
  const p = policy().days(0, 1, 2, 3, 4, 5, 6).build();
  for (let t = utc(`${WED}T02:00:00`); t < utc(`${WED}T03:00:00`); t += 5 * 60_000) {
    const d = decideSchedule([p], t);
    if (p.lastSlotAt < utc(`${WED}T02:00:00`)) {
      assert.equal(d.length, 1);
      p.lastSlotAt = d[0]!.slotAt;
    } else assert.equal(d.length, 0);
  }
  assert.equal(p.lastSlotAt, utc(`${WED}T02:00:00`));
  assert.equal(decideSchedule([p], utc(`${WED}T02:00:00`) + HOUR_MS * 23.5).length, 0);
  assert.equal(decideSchedule([p], utc(`${WED}T02:00:00`) + DAY_MS).length, 1);
});
