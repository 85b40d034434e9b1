/**
 * The error registry, docs/errors.md and the ApiError helpers agree (as fastify's
 * test/internals/errors.test.js checks lib/errors.js against docs/Reference/Errors.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ApiError, argMissing, ERROR_CODES, inUse, invalidParam, notFound, unsupported, type ErrorCode,
} from '../../src/api/errors.js';

const DOC = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
const ALLOWED_STATUSES = [400, 403, 404, 405, 408, 409, 413, 431, 500, 503];

/** The rows of the markdown table under `heading`: cells of each `| … |` line, header and rule left out. */
function tableUnder(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  assert.ok(start >= 0, `docs/errors.md has no "${heading}" section`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  assert.ok(rows.length >= 2, `no table under "${heading}"`);
  const [header, rule, ...body] = rows;
  assert.ok(rule!.every((c) => /^:?-+:?$/.test(c)), 'second line of the table must be the rule');
  return [header!, ...body];
}

const [HEADER, ...ROWS] = tableUnder(DOC, '## Error codes');
const CODE_COL = HEADER!.indexOf('Code');
const STATUS_COL = HEADER!.indexOf('HTTP');

/** Code → status as documented. */
const documented = new Map<string, number>();
const duplicates: string[] = [];
for (const row of ROWS) {
  const code = /^`([^`]+)`$/.exec(row[CODE_COL]!)?.[1];
  assert.ok(code, `code cell must be a single \`code\`: ${row[CODE_COL]}`);
  if (documented.has(code)) duplicates.push(code);
  documented.set(code, Number(row[STATUS_COL]));
}

test('docs/errors.md: the table has Code, HTTP and Meaning columns', () => {
  assert.deepEqual(HEADER, ['Code', 'HTTP', 'Meaning']);
});

test('docs/errors.md: no code is listed twice', () => {
  assert.deepEqual(duplicates, []);
});

test('docs/errors.md lists exactly the codes of ERROR_CODES', () => {
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort());
});

test('docs/errors.md: every row has a meaning', () => {
  for (const row of ROWS) assert.ok((row[2] ?? '').length > 10, `row ${row[0]} has no meaning`);
});

for (const [code, { status, doc }] of Object.entries(ERROR_CODES)) {
  test(`${code}: documented with status ${status}`, () => {
    assert.equal(documented.get(code), status);
  });

  test(`${code}: status ${status} is one of ${ALLOWED_STATUSES.join('/')}`, () => {
    assert.ok(ALLOWED_STATUSES.includes(status));
  });

  test(`${code}: registry entry has a doc string`, () => {
    assert.ok(doc.length > 10);
  });

  test(`${code}: ApiError carries the code and the registry status`, () => {
    const e = new ApiError(code as ErrorCode, 'm', { cause: new Error('c') });
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    assert.equal(e.message, 'm');
    assert.equal(e.name, 'ApiError');
    assert.ok(e instanceof Error);
    assert.equal((e.cause as Error).message, 'c');
  });
}

// The CDS codes of spec §2.3 with their statuses: the registry must keep them.
const CDS_CODES: Array<[string, number]> = [
  ['ArgMissing', 400], ['InvalidParameter', 400], ['BadArgs', 400], ['UnsupportedOperation', 400],
  ['ResourceNotFound', 404], ['ResourceInUse', 409], ['InternalError', 500], ['CreateOrderExcept', 500],
  ['InvalidTaskID.Malformed', 400],
];

for (const [code, status] of CDS_CODES) {
  test(`spec §2.3 code ${code} is in the registry with HTTP ${status}`, () => {
    assert.equal(ERROR_CODES[code as ErrorCode]?.status, status);
  });
}

test('docs/errors.md: every code of the authentication table is a registry code with the same status', () => {
  const [header, ...rows] = tableUnder(DOC, '## Which authentication failure gives which code');
  const c = header!.indexOf('code');
  const h = header!.indexOf('HTTP');
  assert.ok(rows.length >= 8);
  for (const row of rows) {
    const code = /^`([^`]+)`$/.exec(row[c]!)?.[1] as ErrorCode;
    assert.ok(code in ERROR_CODES, `unknown code ${row[c]}`);
    assert.equal(Number(row[h]), ERROR_CODES[code].status, code);
  }
});

test('docs/errors.md: the envelope section says TaskId is always a string', () => {
  assert.match(DOC, /`TaskId` is \*\*always a JSON string\*\*/);
});

const HELPER_CASES: Array<{ name: string; make: () => ApiError; code: ErrorCode; message: string }> = [
  { name: 'argMissing', make: () => argMissing('RegionId'), code: 'ArgMissing', message: 'missing required parameter RegionId' },
  { name: 'invalidParam', make: () => invalidParam('Amount', 'must be at most 3'), code: 'InvalidParameter', message: 'invalid parameter Amount: must be at most 3' },
  { name: 'notFound', make: () => notFound('instance', 'abc'), code: 'ResourceNotFound', message: 'instance abc does not exist' },
  { name: 'inUse', make: () => inUse('instance abc is busy'), code: 'ResourceInUse', message: 'instance abc is busy' },
  { name: 'unsupported', make: () => unsupported('HA is not available'), code: 'UnsupportedOperation', message: 'HA is not available' },
];

for (const c of HELPER_CASES) {
  test(`helper ${c.name}`, () => {
    const e = c.make();
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, c.code);
    assert.equal(e.status, ERROR_CODES[c.code].status);
    assert.equal(e.message, c.message);
  });
}
