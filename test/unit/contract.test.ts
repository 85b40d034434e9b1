/**
 * The action contract (src/contract/): one declaration per action, the server validates with it,
 * docs/api.md's tables are generated from it, and its enums agree with the server's constants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACTIONS } from '../../src/actions/index.js';
import { ApiError } from '../../src/api/errors.js';
import { readParams } from '../../src/api/contract-params.js';
import { mergeParams, type Params } from '../../src/api/params.js';
import { ParamReader } from '../../src/api/validate.js';
import { PRIVILEGE_LEVEL_NAMES } from '../../src/accounts/privileges.js';
import { BACKUP_ID_PATTERN as SERVER_BACKUP_ID, BackupStrategy, BackupType, WEEKDAYS } from '../../src/backups/index.js';
import { METRIC_KEYS } from '../../src/metrics/definitions.js';
import { CONTRACT_LIST, CONTRACTS, contractOf, plainContracts, type ParamSpec } from '../../src/contract/index.js';
import { describeRange, flatParams } from '../../src/contract/describe.js';
import { renderParamTables, withParamTables, DOCS_BEGIN, DOCS_END } from '../../src/contract/render-docs.js';
import * as common from '../../src/contract/common.js';
import { BACKUP_ID_PATTERN } from '../../src/contract/backups.js';

test('docs/api.md holds the tables generated from the contracts (run `npm run gen:api-docs`)', () => {
  const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  assert.equal(withParamTables(doc, renderParamTables(CONTRACT_LIST)), doc);
  assert.ok(doc.includes(DOCS_BEGIN) && doc.includes(DOCS_END));
});

test('withParamTables replaces only the generated section, or appends it', () => {
  assert.equal(withParamTables(`a\n${DOCS_BEGIN}\nold\n${DOCS_END}\nb\n`, `${DOCS_BEGIN}\nnew\n${DOCS_END}`), `a\n${DOCS_BEGIN}\nnew\n${DOCS_END}\nb\n`);
  assert.equal(withParamTables('a\n', 'T'), 'a\n\nT\n');
});

test('every action has exactly one contract of the same name, and every contract an action', () => {
  assert.deepEqual([...ACTIONS.keys()].sort(), CONTRACT_LIST.map((c) => c.name).sort());
  for (const [name, a] of ACTIONS) assert.equal(a.contract, contractOf(name), name);
  for (const [k, c] of Object.entries(CONTRACTS)) assert.equal(k, c.name);
});

test('every parameter has a description and an example; async actions say what to wait for', () => {
  for (const c of CONTRACT_LIST) {
    assert.ok(c.summary.length > 0, c.name);
    for (const { name, spec } of flatParams(c.params)) {
      assert.ok(spec.desc.length > 0 && spec.example.length > 0, `${c.name}.${name}`);
    }
  }
  const asyncActions = CONTRACT_LIST.filter((c) => c.wait).map((c) => c.name).sort();
  assert.deepEqual(asyncActions, ['CreateBackup', 'CreateDBInstance', 'CreateReadOnlyDBInstance', 'DeleteBackup', 'DeleteDBInstance', 'DeleteTemporaryDBInstances', 'ModifyDBInstanceSpec', 'ModifyDBParameter', 'StartBatchRollback', 'StartBatchRollbackToTemporaryDBInstance']);
});

test("the contract's enums are the server's constants", () => {
  assert.deepEqual([...common.PRIVILEGE_LEVEL_NAMES], PRIVILEGE_LEVEL_NAMES);
  assert.deepEqual([...common.METRIC_KEYS], METRIC_KEYS);
  assert.equal(BACKUP_ID_PATTERN.source, SERVER_BACKUP_ID.source);
  assert.deepEqual([...CONTRACTS.CreateBackup.params.BackupType.oneOf], Object.values(BackupType));
  assert.deepEqual([...CONTRACTS.CreateBackup.params.BackupStrategy.oneOf], Object.values(BackupStrategy));
  assert.deepEqual([...CONTRACTS.ModifyDbBackupPolicy.params.DataBackups.fields.DateList.item.oneOf], [...WEEKDAYS]);
});

test('plainContracts is JSON with patterns as their source text', () => {
  const plain = plainContracts();
  assert.equal(plain.length, CONTRACT_LIST.length);
  const del = plain.find((c) => c.name === 'DeleteBackup')!;
  assert.equal(del.params.BackupId!.pattern, BACKUP_ID_PATTERN.source);
  assert.deepEqual(JSON.parse(JSON.stringify(plain)), plain);
});

const SPECS = {
  Name: { type: 'string', required: true, maxLen: 4, desc: 'd', example: 'e' },
  Count: { type: 'integer', min: 1, max: 3, desc: 'd', example: '1' },
  Flag: { type: 'boolean', desc: 'd', example: 'true' },
  Tags: { type: 'string[]', maxItems: 2, item: { oneOf: ['a', 'b'] }, desc: 'd', example: '["a"]' },
  Ops: { type: 'object[]', desc: 'd', example: '[]', fields: { Db: { type: 'string', required: true, desc: 'd', example: 'x' } } },
  Extra: { type: 'object', desc: 'd', example: '{}', fields: { On: { type: 'boolean', required: true, desc: 'd', example: 'true' } } },
} as const satisfies Record<string, ParamSpec>;

interface ReadCase { name: string; params?: Params; query?: Array<[string, string]>; out?: unknown; code?: string; param?: string }
const READS: ReadCase[] = [
  { name: 'required only', params: { Name: 'ab' }, out: { Name: 'ab' } },
  { name: 'unknown names are ignored (lenient server)', params: { Name: 'ab', Pasword: 'x', Other: 1 }, out: { Name: 'ab' } },
  { name: 'required missing', params: {}, code: 'ArgMissing', param: 'Name' },
  { name: 'string too long', params: { Name: 'abcde' }, code: 'InvalidParameter', param: 'Name' },
  { name: 'integer from GET text', query: [['Name', 'a'], ['Count', '2']], out: { Name: 'a', Count: 2 } },
  { name: 'integer out of range', params: { Name: 'a', Count: 4 }, code: 'InvalidParameter', param: 'Count' },
  { name: 'boolean text', query: [['Name', 'a'], ['Flag', 'false']], out: { Name: 'a', Flag: false } },
  { name: 'list over GET', query: [['Name', 'a'], ['Tags.0', 'a'], ['Tags.1', 'b']], out: { Name: 'a', Tags: ['a', 'b'] } },
  { name: 'list item not allowed', params: { Name: 'a', Tags: ['c'] }, code: 'InvalidParameter', param: 'Tags.0' },
  { name: 'list too long', params: { Name: 'a', Tags: ['a', 'b', 'a'] }, code: 'InvalidParameter', param: 'Tags' },
  { name: 'object list over GET', query: [['Name', 'a'], ['Ops.0.Db', 'x'], ['Ops.1.Db', 'y']], out: { Name: 'a', Ops: [{ Db: 'x' }, { Db: 'y' }] } },
  { name: 'object list item field missing names the path', params: { Name: 'a', Ops: [{ Db: 'x' }, {}] }, code: 'ArgMissing', param: 'Ops.1.Db' },
  { name: 'object', params: { Name: 'a', Extra: { On: 'true' } }, out: { Name: 'a', Extra: { On: true } } },
  { name: 'object field wrong names the path', params: { Name: 'a', Extra: { On: 'yes' } }, code: 'InvalidParameter', param: 'Extra.On' },
  { name: 'object given as a string', params: { Name: 'a', Extra: 'x' }, code: 'InvalidParameter', param: 'Extra' },
];

for (const c of READS) {
  test(`readParams: ${c.name}`, () => {
    const r = new ParamReader(c.params ?? mergeParams(c.query ?? [], undefined));
    if (c.code) {
      assert.throws(() => readParams(SPECS, r), (e: unknown) => e instanceof ApiError && e.code === c.code && e.message.includes(c.param!));
    } else {
      assert.deepEqual(readParams(SPECS, r), c.out);
    }
  });
}

const RANGES: Array<[string, ParamSpec, string]> = [
  ['integer min-max', { type: 'integer', min: 1, max: 3, desc: '', example: '' }, '1–3'],
  ['integer min', { type: 'integer', min: 0, desc: '', example: '' }, '≥ 0'],
  ['oneOf', { type: 'string', oneOf: ['a', 'b'], desc: '', example: '' }, 'one of a, b'],
  ['text', { type: 'text', minLen: 1, maxLen: 64, desc: '', example: '' }, '1–64 characters; free text'],
  ['range words last', { type: 'string', maxLen: 64, range: 'from the catalog', desc: '', example: '' }, 'at most 64 characters; from the catalog'],
  ['list items', { type: 'string[]', maxItems: 7, item: { oneOf: ['0'] }, desc: '', example: '' }, 'at most 7 items; each one of 0'],
  ['engine name', { type: 'string', minLen: 1, maxLen: 64, engineName: true, desc: '', example: '' }, '1–64 characters; no 4-byte characters'],
];
for (const [name, spec, want] of RANGES) test(`describeRange: ${name}`, () => assert.equal(describeRange(spec), want));

test('flatParams names nested fields Parent.Child and List.N.Child', () => {
  assert.deepEqual(flatParams(SPECS).map((p) => p.name), ['Name', 'Count', 'Flag', 'Tags', 'Ops', 'Ops.N.Db', 'Extra', 'Extra.On']);
});
