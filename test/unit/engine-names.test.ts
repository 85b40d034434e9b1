/**
 * Database and account names outside the Basic Multilingual Plane (src/api/validate.ts
 * engineNameProblem, docs/accounts.md): every action that takes such a name refuses them with
 * InvalidParameter before it touches the store or the engine, and the store-only free-text
 * fields of the same actions take the full Unicode range. The handlers run against a
 * hand-written Services fake that fails on any use: reaching it means validation passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ACTIONS } from '../../src/actions/index.js';
import { ApiError } from '../../src/api/errors.js';
import { engineNameProblem, ParamReader } from '../../src/api/validate.js';
import type { Services } from '../../src/services.js';

class Touched extends Error {}
/** Services whose every member throws Touched: the action got past its parameter checks. */
const untouchable = new Proxy({}, { get: (_t, k) => { if (k === 'then') return undefined; throw new Touched(String(k)); } }) as Services;

async function run(action: string, params: Record<string, unknown>): Promise<unknown> {
  const def = ACTIONS.get(action)!;
  try {
    await def.handler({ tenantId: 't1', requestId: 'r1', svc: untouchable, log: pino({ level: 'silent' }) }, new ParamReader(params as any));
    return 'no error';
  } catch (e) {
    return e;
  }
}

const U = 'i-0123';
/** Each action and parameter that carries a database or account name, as a builder of valid params. */
const NAME_PARAMS: Array<{ action: string; param: string; params: (name: string) => Record<string, unknown> }> = [
  { action: 'CreatePrivilegedAccount', param: 'AccountName', params: (n) => ({ InstanceUuid: U, AccountName: n, Password: 'Good-Pass1', AccountType: 'Normal' }) },
  { action: 'DeleteDBAccount', param: 'AccountName', params: (n) => ({ InstanceUuid: U, AccountName: n }) },
  { action: 'ModifyDbPrivilege', param: 'AccountName', params: (n) => ({ InstanceUuid: U, AccountName: n, Operations: [{ DBName: 'db1', Privilege: 'ReadOnly' }] }) },
  { action: 'ModifyDbPrivilege', param: 'Operations.0.DBName', params: (n) => ({ InstanceUuid: U, AccountName: 'app', Operations: [{ DBName: n, Privilege: 'ReadOnly' }] }) },
  { action: 'ModifyDbPrivilege', param: 'Operations.1.DBName', params: (n) => ({ InstanceUuid: U, AccountName: 'app', Operations: [{ DBName: 'db1', Privilege: 'ReadOnly' }, { DBName: n, Privilege: 'ReadWrite' }] }) },
  { action: 'DeleteDbPrivilege', param: 'AccountName', params: (n) => ({ InstanceUuid: U, AccountName: n, DBNames: ['db1'] }) },
  { action: 'DeleteDbPrivilege', param: 'DBNames.0', params: (n) => ({ InstanceUuid: U, AccountName: 'app', DBNames: [n] }) },
  { action: 'CreateBackup', param: 'DBList.0', params: (n) => ({ InstanceUuid: U, BackupType: 'logical-backup', DBList: [n] }) },
  { action: 'CreateBackup', param: 'DBList.1', params: (n) => ({ InstanceUuid: U, BackupType: 'logical-backup', BackupStrategy: 'db', DBList: ['db1', n] }) },
];

const OUTSIDE_BMP: Array<{ name: string; value: string; why: RegExp }> = [
  { name: 'emoji', value: '😀', why: /U\+1F600.*Basic Multilingual Plane/ },
  { name: 'emoji inside a name', value: 'db😀x', why: /U\+1F600/ },
  { name: 'CJK extension B', value: '𠀀', why: /U\+20000/ },
  { name: 'last code point', value: '\u{10FFFF}', why: /U\+10FFFF/ },
  { name: 'lone high surrogate', value: 'a\uD83D', why: /lone surrogate \(U\+D83D\)/ },
  { name: 'lone low surrogate', value: '\uDE00b', why: /lone surrogate \(U\+DE00\)/ },
];

for (const p of NAME_PARAMS) {
  for (const c of OUTSIDE_BMP) {
    test(`${p.action} ${p.param} ${c.name} → InvalidParameter, nothing touched`, async () => {
      const e = await run(p.action, p.params(c.value));
      assert.ok(e instanceof ApiError, `got ${String(e)}`);
      assert.equal(e.code, 'InvalidParameter');
      assert.match(e.message, new RegExp(`parameter ${p.param.replace(/\./g, '\\.')}: `));
      assert.match(e.message, c.why);
    });
  }
  // The BMP is accepted, up to the last character before the surrogates and after them.
  for (const ok of ['数据库', 'été', 'a"b`c\'d\\e', '\uFFFD', '\uD7FF\uE000']) {
    test(`${p.action} ${p.param} ${JSON.stringify(ok)} passes the name rule`, async () => {
      const e = await run(p.action, p.params(ok));
      // Account actions refuse these names for other reasons (the naming rule of CreatePrivilegedAccount); never for the plane.
      if (e instanceof ApiError) assert.doesNotMatch(e.message, /Multilingual|surrogate/, e.message);
      else assert.ok(e instanceof Touched, `got ${String(e)}`);
    });
  }
}

// Store-only free text takes every plane.
const FREE_TEXT: Array<{ action: string; params: Record<string, unknown> }> = [
  { action: 'CreatePrivilegedAccount', params: { InstanceUuid: U, AccountName: 'app', Password: 'Good-Pass1', AccountType: 'Normal', Description: '账户 😀 \u{10FFFF}' } },
  { action: 'CreateBackup', params: { InstanceUuid: U, BackupType: 'logical-backup', DBList: ['db1'], Desc: 'nightly 😀 𠀀' } },
];
for (const f of FREE_TEXT) {
  test(`${f.action}: free text outside the BMP is accepted`, async () => {
    assert.ok((await run(f.action, f.params)) instanceof Touched);
  });
}

test('engineNameProblem: table', () => {
  assert.equal(engineNameProblem('db1'), undefined);
  assert.equal(engineNameProblem(''), undefined);
  assert.equal(engineNameProblem('\uFFFF'), undefined);
  assert.match(engineNameProblem('\u{10000}') ?? '', /U\+10000/);
});

// One rule for names and free text (docs/api.md "Free text"): what free text refuses, names refuse
// too — C0, DEL, C1, U+2028/U+2029 — on every name parameter. Before, DBName let C1 and U+2028 through.
const CONTROL: Array<{ name: string; value: string; why: RegExp }> = [
  { name: 'NUL', value: 'a\u0000b', why: /control characters.*U\+0000 at position 1/ },
  { name: 'newline', value: 'db\n', why: /U\+000A/ },
  { name: 'DEL', value: '\u007fdb', why: /U\+007F at position 0/ },
  { name: 'C1 NEL', value: 'db\u0085x', why: /U\+0085/ },
  { name: 'C1 last', value: 'db\u009f', why: /U\+009F/ },
  { name: 'line separator', value: 'db\u2028x', why: /U\+2028/ },
  { name: 'paragraph separator', value: 'db\u2029x', why: /U\+2029/ },
];
for (const p of NAME_PARAMS) {
  for (const c of CONTROL) {
    test(`${p.action} ${p.param} ${c.name} → InvalidParameter with the free-text reason, nothing touched`, async () => {
      const e = await run(p.action, p.params(c.value));
      assert.ok(e instanceof ApiError, `got ${String(e)}`);
      assert.equal(e.code, 'InvalidParameter');
      assert.match(e.message, c.why);
    });
  }
}

// The plane is checked before the length: 33 emoji are 66 UTF-16 units, over the 64 limit, but the
// reason given is the plane, which is what the caller has to change.
const ORDER: Array<{ value: string; why: RegExp }> = [
  { value: '😀'.repeat(33), why: /Basic Multilingual Plane/ },
  { value: 'x'.repeat(65), why: /at most 64 characters/ },
  { value: 'x'.repeat(70) + '\u0085', why: /control characters/ },
];
for (const p of NAME_PARAMS.filter((x) => x.param.includes('DB') || x.action === 'DeleteDBAccount')) {
  for (const c of ORDER) {
    test(`${p.action} ${p.param} ${c.value.length} UTF-16 units (${c.why.source}) → that reason`, async () => {
      const e = await run(p.action, p.params(c.value));
      assert.ok(e instanceof ApiError, `got ${String(e)}`);
      assert.match(e.message, c.why);
    });
  }
}

test('engineNameProblem: refuses what freeTextProblem refuses, plus non-BMP', () => {
  const cases: Array<[string, RegExp | undefined]> = [
    ['db1', undefined], ['数据库', undefined], ['\u00a0nbsp', undefined], ['\u009f', /U\+009F/], ['\u2028', /U\+2028/], ['\t', /U\+0009/], ['😀', /Multilingual/],
  ];
  for (const [s, why] of cases) {
    const got = engineNameProblem(s);
    if (why) assert.match(got ?? '', why, JSON.stringify(s));
    else assert.equal(got, undefined, JSON.stringify(s));
  }
});
