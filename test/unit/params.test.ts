/** Rebuilding the Go SDK's GET flattening (spec §1.3), null handling and query/body merging. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMON_PARAMS, dropNulls, mergeParams, unflatten } from '../../src/api/params.js';

type Pairs = Array<[string, string]>;

const UNFLATTEN_CASES: Array<{ name: string; in: Pairs; out: unknown }> = [
  { name: 'nothing', in: [], out: {} },
  { name: 'plain scalar', in: [['InstanceUuid', 'abc']], out: { InstanceUuid: 'abc' } },
  { name: 'values stay strings', in: [['Amount', '3'], ['Flag', 'true']], out: { Amount: '3', Flag: 'true' } },
  { name: 'empty value kept as empty string', in: [['IP', '']], out: { IP: '' } },
  { name: 'list DBList.0', in: [['DBList.0', 'db1']], out: { DBList: ['db1'] } },
  { name: 'list of two', in: [['DBList.0', 'db1'], ['DBList.1', 'db2']], out: { DBList: ['db1', 'db2'] } },
  { name: 'list nested in object DataBackups.DateList.0', in: [['DataBackups.DateList.0', '1']], out: { DataBackups: { DateList: ['1'] } } },
  {
    name: 'object with a list and a scalar',
    in: [['DataBackups.DateList.0', '1'], ['DataBackups.DateList.1', '3'], ['DataBackups.Sign', '1'], ['DataBackups.TimeSlot', '01:00-02:00']],
    out: { DataBackups: { DateList: ['1', '3'], Sign: '1', TimeSlot: '01:00-02:00' } },
  },
  { name: 'list of structs Parameters.0.Name', in: [['Parameters.0.Name', 'back_log']], out: { Parameters: [{ Name: 'back_log' }] } },
  {
    name: 'list of structs with two fields each',
    in: [['Parameters.0.Name', 'back_log'], ['Parameters.0.Value', '100'], ['Parameters.1.Name', 'max_connections'], ['Parameters.1.Value', '500']],
    out: { Parameters: [{ Name: 'back_log', Value: '100' }, { Name: 'max_connections', Value: '500' }] },
  },
  {
    name: 'list of structs Operations.0.DBName',
    in: [['Operations.0.DBName', 'db1'], ['Operations.0.Privilege', 'ReadWrite']],
    out: { Operations: [{ DBName: 'db1', Privilege: 'ReadWrite' }] },
  },
  { name: 'nested struct ExtraPrivilege.AllCreate', in: [['ExtraPrivilege.AllCreate', 'true']], out: { ExtraPrivilege: { AllCreate: 'true' } } },
  { name: 'out-of-order indexes are sorted', in: [['DBList.1', 'b'], ['DBList.0', 'a'], ['DBList.2', 'c']], out: { DBList: ['a', 'b', 'c'] } },
  { name: 'indexes sorted numerically, not as text', in: [['L.10', 'k'], ['L.2', 'c'], ['L.1', 'b'], ['L.0', 'a']], out: { L: ['a', 'b', 'c', 'k'] } },
  { name: 'sparse indexes compacted in order', in: [['DBList.5', 'f'], ['DBList.2', 'c']], out: { DBList: ['c', 'f'] } },
  {
    name: 'out-of-order struct list',
    in: [['Operations.1.DBName', 'db2'], ['Operations.0.DBName', 'db1']],
    out: { Operations: [{ DBName: 'db1' }, { DBName: 'db2' }] },
  },
  { name: 'duplicate scalar: first wins', in: [['IP', 'first'], ['IP', 'second']], out: { IP: 'first' } },
  { name: 'duplicate list item: first wins', in: [['DBList.0', 'first'], ['DBList.0', 'second']], out: { DBList: ['first'] } },
  { name: 'duplicate nested field: first wins', in: [['ExtraPrivilege.AllCreate', 'false'], ['ExtraPrivilege.AllCreate', 'true']], out: { ExtraPrivilege: { AllCreate: 'false' } } },
  {
    name: 'common parameters excluded',
    in: [
      ['Action', 'DescribeDBInstances'], ['AccessKeyId', 'AK'], ['Signature', 's'], ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureNonce', 'n'], ['SignatureVersion', '1.0'], ['Timestamp', 't'], ['Version', '2019-08-08'], ['IP', '1.2.3.4'],
    ],
    out: { IP: '1.2.3.4' },
  },
  { name: 'only common parameters', in: [['Action', 'DescribeRegions'], ['Version', '2019-08-08']], out: {} },
  { name: 'mixed object keys are not an array', in: [['X.0', 'a'], ['X.Name', 'b']], out: { X: { 0: 'a', Name: 'b' } } },
  { name: 'keys named like Object.prototype members are kept', in: [['toString', 'x'], ['constructor', 'y']], out: { toString: 'x', constructor: 'y' } },
  { name: '__proto__ keys are dropped', in: [['__proto__.polluted', 'yes'], ['A.__proto__.b', 'c'], ['IP', '1']], out: { IP: '1' } },
];

for (const c of UNFLATTEN_CASES) {
  test(`unflatten: ${c.name}`, () => {
    assert.deepEqual(unflatten(c.in), c.out);
  });
}

test('unflatten: a __proto__ key does not pollute Object.prototype', () => {
  unflatten([['__proto__.openrdsPolluted', 'yes'], ['__proto__', 'x']]);
  assert.equal((({}) as Record<string, unknown>).openrdsPolluted, undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
});

test('COMMON_PARAMS lists exactly the 7 common parameters plus Signature (spec §1.2)', () => {
  assert.deepEqual(
    [...COMMON_PARAMS].sort(),
    ['AccessKeyId', 'Action', 'Signature', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version'],
  );
});

const DROP_NULLS_CASES: Array<{ name: string; in: unknown; out: unknown }> = [
  { name: 'scalar string untouched', in: 'x', out: 'x' },
  { name: 'scalar number untouched', in: 0, out: 0 },
  { name: 'false untouched', in: false, out: false },
  { name: 'null at top stays null', in: null, out: null },
  { name: 'empty object', in: {}, out: {} },
  { name: 'null fields dropped', in: { InstanceUuid: 'abc', InstanceName: null, IP: null }, out: { InstanceUuid: 'abc' } },
  { name: 'falsy values kept', in: { A: 0, B: '', C: false }, out: { A: 0, B: '', C: false } },
  { name: 'nested nulls dropped', in: { D: { Sign: null, TimeSlot: '01:00-02:00' } }, out: { D: { TimeSlot: '01:00-02:00' } } },
  { name: 'nulls removed from lists', in: { L: ['a', null, 'b'] }, out: { L: ['a', 'b'] } },
  { name: 'objects in lists cleaned', in: { Ops: [{ DBName: 'db1', Privilege: null }] }, out: { Ops: [{ DBName: 'db1' }] } },
  { name: 'undefined fields dropped', in: { A: undefined, B: 1 }, out: { B: 1 } },
  {
    name: 'the V2 CreateDBInstance body of spec §1.7',
    in: { RegionId: 'CN_Beijing_A', VdcId: null, BasePipeId: null, InstanceName: null, PaasGoodsId: 17060, DiskType: null, DiskValue: 100, Password: null, Amount: null },
    out: { RegionId: 'CN_Beijing_A', PaasGoodsId: 17060, DiskValue: 100 },
  },
];

for (const c of DROP_NULLS_CASES) {
  test(`dropNulls: ${c.name}`, () => {
    assert.deepEqual(dropNulls(c.in), c.out);
  });
}

test('dropNulls does not modify its input', () => {
  const input = { A: null, B: { C: null } };
  dropNulls(input);
  assert.deepEqual(input, { A: null, B: { C: null } });
});

test('dropNulls: a JSON __proto__ key does not become the prototype', () => {
  const out = dropNulls(JSON.parse('{"__proto__":{"evil":1},"A":1}')) as Record<string, unknown>;
  assert.equal(out.evil, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(out, { A: 1 });
});

const MERGE_CASES: Array<{ name: string; query: Pairs; body: unknown; out: unknown }> = [
  { name: 'nothing at all', query: [], body: undefined, out: {} },
  { name: 'query only (GET)', query: [['Action', 'X'], ['IP', '1.2.3.4']], body: undefined, out: { IP: '1.2.3.4' } },
  { name: 'body only (SDK POST)', query: [['Action', 'X']], body: { InstanceUuid: 'abc' }, out: { InstanceUuid: 'abc' } },
  { name: 'DescribeRegions empty body', query: [['Action', 'DescribeRegions']], body: {}, out: {} },
  { name: 'both, distinct keys', query: [['IP', '1.2.3.4']], body: { InstanceUuid: 'abc' }, out: { IP: '1.2.3.4', InstanceUuid: 'abc' } },
  { name: 'body wins on conflict', query: [['InstanceName', 'from-query']], body: { InstanceName: 'from-body' }, out: { InstanceName: 'from-body' } },
  { name: 'body null is absent: query value stays', query: [['InstanceName', 'from-query']], body: { InstanceName: null }, out: { InstanceName: 'from-query' } },
  { name: 'body null with nothing in the query disappears', query: [], body: { IP: null, InstanceUuid: 'u' }, out: { InstanceUuid: 'u' } },
  { name: 'body types are kept (numbers stay numbers)', query: [], body: { PaasGoodsId: 17060, DiskValue: 100 }, out: { PaasGoodsId: 17060, DiskValue: 100 } },
  { name: 'flattened query lists are rebuilt', query: [['DBList.0', 'a'], ['DBList.1', 'b']], body: {}, out: { DBList: ['a', 'b'] } },
  { name: 'body list replaces a query list as a whole', query: [['DBList.0', 'a'], ['DBList.1', 'b']], body: { DBList: ['c'] }, out: { DBList: ['c'] } },
  { name: 'array body ignored', query: [['IP', '1']], body: ['x'], out: { IP: '1' } },
  { name: 'null body ignored', query: [['IP', '1']], body: null, out: { IP: '1' } },
  { name: 'string body ignored', query: [['IP', '1']], body: 'IP=2', out: { IP: '1' } },
  { name: 'common params in the query never become business params', query: [['Action', 'A'], ['Signature', 's']], body: { B: 1 }, out: { B: 1 } },
];

for (const c of MERGE_CASES) {
  test(`mergeParams: ${c.name}`, () => {
    assert.deepEqual(mergeParams(c.query, c.body), c.out);
  });
}
