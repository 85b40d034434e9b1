/**
 * The bounded integration set of the property tests (test/unit/api-properties.test.ts runs the
 * invalid shapes in process): account actions with generated parameters, valid ones included,
 * against the real `openrds serve` and a real MariaDB instance. Fixed seed, few runs.
 * Invariants: an envelope with a documented code and its status, never 5xx, and on an error the
 * accounts read back (store list and engine grants, DescribeDBAccount) are unchanged.
 * Database names are left to the engine-level tests: this set is about the account fields.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../../src/api/errors.js';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let uuid = '';
before(async () => {
  s = await startServer();
  uuid = (await createRunning(s.client)).InstanceUuid;
});
after(async () => { await s?.cleanup(); });

const RUNS = Number(process.env.PROPERTY_RUNS_INTEGRATION ?? 12);

const text = fc.oneof(
  fc.constantFrom("' OR 1=1 --", 'a\u0000b', 'line\nbreak', '😀', '数据', '`x`', "root'@'%", '', 'x'.repeat(300), '\u2028'),
  fc.string({ maxLength: 12 }),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 0xffff })).map(([p, o]) => String.fromCodePoint(p * 0x10000 + o)), { maxLength: 6 }).map((x) => x.join('')),
);
const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 2 }));
const maybe = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 1 }, { arbitrary: good, weight: 4 }, { arbitrary: value, weight: 2 });

const accountParams = fc.record({
  AccountName: maybe(fc.constantFrom('gen_a', 'gen_b', 'gen_c', 'root', 'openrds_admin', 'x')),
  Password: maybe(fc.constantFrom('Good-Pass1', 'weak')),
  AccountType: maybe(fc.constantFrom('Normal', 'Super')),
  Description: maybe(text),
}, { requiredKeys: [] });

const snapshot = async () => JSON.stringify((await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' })).data);

const successes = new Map<string, number>();

async function checkAnswer(action: string, params: Record<string, unknown>, method: 'GET' | 'POST'): Promise<void> {
  const before = await snapshot();
  const r = await s.client.call(action, { InstanceUuid: uuid, ...params }, { method });
  const where = `${action} ${method} ${JSON.stringify(params)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  assert.ok(r.status < 500, `5xx: ${where}`);
  assert.equal(typeof r.body.TaskId, 'string', where);
  assert.match(r.body.RequestId ?? '', /^[0-9a-f-]{36}$/, where);
  if (r.body.Code === 'Success') {
    successes.set(action, (successes.get(action) ?? 0) + 1);
    return assert.equal(r.status, 200, where);
  }
  assert.ok(Object.hasOwn(ERROR_CODES, r.body.Code), `undocumented code: ${where}`);
  assert.equal(r.status, ERROR_CODES[r.body.Code as keyof typeof ERROR_CODES].status, where);
  assert.equal(await snapshot(), before, `an error changed the accounts: ${where}`);
}

for (const method of ['POST', 'GET'] as const) {
  test(`property (real MariaDB): CreatePrivilegedAccount then DeleteDBAccount over ${method}`, async () => {
    await fc.assert(fc.asyncProperty(accountParams, fc.constantFrom('gen_a', 'gen_b', 'gen_c', 'root', '😀', ''), async (create, drop) => {
      const p = method === 'GET' ? Object.fromEntries(Object.entries(create).map(([k, v]) => [k, v === null || v === undefined ? v : String(v)])) : create;
      await checkAnswer('CreatePrivilegedAccount', p, method);
      await checkAnswer('DeleteDBAccount', { AccountName: drop }, method);
    }), { seed: 20261202, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true });
  });
}

test('the generated set reached real account changes, not only refusals', () => {
  assert.ok((successes.get('CreatePrivilegedAccount') ?? 0) > 0, JSON.stringify([...successes]));
  assert.ok((successes.get('DeleteDBAccount') ?? 0) > 0, JSON.stringify([...successes]));
});
