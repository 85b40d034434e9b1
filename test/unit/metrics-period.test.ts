/** The span → Period table of spec §4.21 at every boundary, and the retention fallback. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choosePeriod, periodForSpan } from '../../src/metrics/period.js';
import { DAY, HOUR, SECOND } from '../../src/metrics/rollup.js';

const CASES: Array<[string, number, number | undefined]> = [
  ['negative span refused', -SECOND, undefined],
  ['zero span (StartTime = EndTime)', 0, 30],
  ['1 s', SECOND, 30],
  ['1 h', HOUR, 30],
  ['4 h − 1 s', 4 * HOUR - SECOND, 30],
  ['exactly 4 h', 4 * HOUR, 30],
  ['4 h + 1 s', 4 * HOUR + SECOND, 60],
  ['1 d', DAY, 60],
  ['2 d − 1 s', 2 * DAY - SECOND, 60],
  ['exactly 2 d', 2 * DAY, 60],
  ['2 d + 1 s', 2 * DAY + SECOND, 300],
  ['7 d', 7 * DAY, 300],
  ['exactly 10 d', 10 * DAY, 300],
  ['10 d + 1 s', 10 * DAY + SECOND, 3600],
  ['29 d', 29 * DAY, 3600],
  ['exactly 30 d', 30 * DAY, 3600],
  ['30 d + 1 s refused', 30 * DAY + SECOND, undefined],
  ['31 d refused', 31 * DAY, undefined],
  ['a year refused', 365 * DAY, undefined],
  ['NaN refused', Number.NaN, undefined],
];

for (const [name, span, want] of CASES) {
  test(`periodForSpan: ${name}`, () => assert.equal(periodForSpan(span), want));
}

const NOW = Date.UTC(2024, 4, 20, 12, 0, 0);
const FALLBACK: Array<[string, number, number, number | undefined]> = [
  ['last hour: the table', NOW - HOUR, NOW, 30],
  ['4 h ending now: the table', NOW - 4 * HOUR, NOW, 30],
  ['1 h that started 23 h ago: 30 s still holds it', NOW - 23 * HOUR, NOW - 22 * HOUR, 30],
  ['1 h three days ago: the 30 s series is gone, 60 s holds it', NOW - 3 * DAY, NOW - 3 * DAY + HOUR, 60],
  ['1 h twenty days ago: 300 s', NOW - 20 * DAY, NOW - 20 * DAY + HOUR, 300],
  ['1 h forty days ago: 3600 s', NOW - 40 * DAY, NOW - 40 * DAY + HOUR, 3600],
  ['beyond every retention: 3600 s (empty)', NOW - 100 * DAY, NOW - 100 * DAY + HOUR, 3600],
  ['1 d ending now: the table (60 s)', NOW - DAY, NOW, 60],
  ['10 d ending now: the table (300 s)', NOW - 10 * DAY, NOW, 300],
  ['30 d ending now: the table (3600 s)', NOW - 30 * DAY, NOW, 3600],
  ['future window: the table', NOW + HOUR, NOW + 2 * HOUR, 30],
  ['31 d refused whatever the time', NOW - 31 * DAY, NOW, undefined],
  ['end before start refused', NOW, NOW - SECOND, undefined],
];

for (const [name, start, end, want] of FALLBACK) {
  test(`choosePeriod: ${name}`, () => assert.equal(choosePeriod(start, end, NOW), want));
}
