/** The Range header of downloads (src/backups/http-range.ts), table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRange, type RangeDecision } from '../../src/backups/http-range.js';

const full: RangeDecision = { kind: 'full' };
const none: RangeDecision = { kind: 'unsatisfiable' };
const part = (start: number, end: number): RangeDecision => ({ kind: 'partial', start, end });
const ETAG = '"abc"';

const CASES: Array<[string, string | undefined, number, RangeDecision, string?]> = [
  ['no header', undefined, 100, full],
  ['empty header', '', 100, full],
  ['open-ended (curl -C -)', 'bytes=40-', 100, part(40, 99)],
  ['closed range', 'bytes=0-9', 100, part(0, 9)],
  ['single byte', 'bytes=5-5', 100, part(5, 5)],
  ['last byte', 'bytes=99-99', 100, part(99, 99)],
  ['end past the size is clamped', 'bytes=90-500', 100, part(90, 99)],
  ['start at the size', 'bytes=100-', 100, none],
  ['start past the size', 'bytes=150-200', 100, none],
  ['suffix', 'bytes=-10', 100, part(90, 99)],
  ['suffix longer than the file', 'bytes=-500', 100, part(0, 99)],
  ['suffix of zero', 'bytes=-0', 100, none],
  ['suffix of an empty file', 'bytes=-5', 0, none],
  ['open range of an empty file', 'bytes=0-', 0, none],
  ['end before start is ignored', 'bytes=10-5', 100, full],
  ['several ranges: the whole file', 'bytes=0-1,5-9', 100, full],
  ['other unit', 'items=0-5', 100, full],
  ['garbage', 'bytes=abc', 100, full],
  ['only a dash', 'bytes=-', 100, full],
  ['spaces are tolerated', 'bytes = 10 - 19', 100, part(10, 19)],
  ['uppercase unit', 'BYTES=0-0', 100, part(0, 0)],
  ['huge numbers are ignored', 'bytes=99999999999999999999-', 100, full],
  ['If-Range with our ETag: ranged', 'bytes=10-', 100, part(10, 99), ETAG],
  ['If-Range with another ETag: whole file', 'bytes=10-', 100, full, '"other"'],
  ['If-Range with a date (not our ETag): whole file', 'bytes=10-', 100, full, 'Wed, 21 Oct 2015 07:28:00 GMT'],
];
for (const [name, header, size, want, ifRange] of CASES) {
  test(`Range: ${name}`, () => {
    assert.deepEqual(decideRange(header, size, ifRange, ETAG), want);
  });
}
