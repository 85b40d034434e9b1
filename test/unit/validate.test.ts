/** ParamReader: every failure has a registry code and names the parameter (with its parents). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { mergeParams, type Params } from '../../src/api/params.js';
import { ParamReader } from '../../src/api/validate.js';

interface Case {
  name: string;
  params: Params;
  read: (r: ParamReader) => unknown;
  /** Expected result when the read succeeds. */
  out?: unknown;
  /** Expected error code and the parameter name its message must contain. */
  code?: 'ArgMissing' | 'InvalidParameter';
  param?: string;
}

const CASES: Case[] = [
  // str
  { name: 'str present', params: { A: 'x' }, read: (r) => r.str('A'), out: 'x' },
  { name: 'str optional missing', params: {}, read: (r) => r.str('A'), out: undefined },
  { name: 'str optional empty is absent', params: { A: '' }, read: (r) => r.str('A'), out: undefined },
  { name: 'str required missing', params: {}, read: (r) => r.str('InstanceUuid', { required: true }), code: 'ArgMissing', param: 'InstanceUuid' },
  { name: 'str required empty', params: { InstanceUuid: '' }, read: (r) => r.str('InstanceUuid', { required: true }), code: 'ArgMissing', param: 'InstanceUuid' },
  { name: 'str from number', params: { PaasGoodsId: 17060 }, read: (r) => r.str('PaasGoodsId'), out: '17060' },
  { name: 'str from boolean refused', params: { A: true }, read: (r) => r.str('A'), code: 'InvalidParameter', param: 'A' },
  { name: 'str from list refused', params: { A: ['x'] }, read: (r) => r.str('A'), code: 'InvalidParameter', param: 'A' },
  { name: 'str from object refused', params: { A: { B: 'x' } }, read: (r) => r.str('A'), code: 'InvalidParameter', param: 'A' },
  { name: 'str maxLen ok', params: { A: 'abcd' }, read: (r) => r.str('A', { maxLen: 4 }), out: 'abcd' },
  { name: 'str maxLen exceeded', params: { InstanceName: 'abcde' }, read: (r) => r.str('InstanceName', { maxLen: 4 }), code: 'InvalidParameter', param: 'InstanceName' },
  { name: 'str minLen ok', params: { A: 'ab' }, read: (r) => r.str('A', { minLen: 2 }), out: 'ab' },
  { name: 'str minLen short', params: { A: 'a' }, read: (r) => r.str('A', { minLen: 2 }), code: 'InvalidParameter', param: 'A' },
  { name: 'str oneOf ok', params: { DiskType: 'ssd_disk' }, read: (r) => r.str('DiskType', { oneOf: ['ssd_disk', 'high_disk'] }), out: 'ssd_disk' },
  { name: 'str oneOf refused', params: { DiskType: 'hdd' }, read: (r) => r.str('DiskType', { oneOf: ['ssd_disk', 'high_disk'] }), code: 'InvalidParameter', param: 'DiskType' },
  { name: 'str oneOf is case-sensitive', params: { AccountType: 'super' }, read: (r) => r.str('AccountType', { oneOf: ['Super', 'Normal'] }), code: 'InvalidParameter', param: 'AccountType' },
  { name: 'str pattern ok', params: { A: 'abc' }, read: (r) => r.str('A', { pattern: /^[a-z]+$/ }), out: 'abc' },
  { name: 'str pattern refused', params: { A: 'ABC' }, read: (r) => r.str('A', { pattern: /^[a-z]+$/ }), code: 'InvalidParameter', param: 'A' },
  // text: the one free-text rule (InstanceName, backup Desc, account Description)
  { name: 'text plain', params: { Desc: 'nightly copy' }, read: (r) => r.text('Desc', { maxLen: 256 }), out: 'nightly copy' },
  { name: 'text optional missing', params: {}, read: (r) => r.text('Desc', { maxLen: 256 }), out: undefined },
  { name: 'text required missing', params: {}, read: (r) => r.text('InstanceName', { required: true, maxLen: 64 }), code: 'ArgMissing', param: 'InstanceName' },
  { name: 'text CJK', params: { Desc: '数据库备份' }, read: (r) => r.text('Desc', { maxLen: 5 }), out: '数据库备份' },
  { name: 'text 4-byte characters accepted', params: { Desc: '😀𝄞🀄' }, read: (r) => r.text('Desc', { maxLen: 3 }), out: '😀𝄞🀄' },
  { name: 'text plane 16 character accepted', params: { Desc: '\u{10FFFD}' }, read: (r) => r.text('Desc', { maxLen: 1 }), out: '\u{10FFFD}' },
  { name: 'text length counts characters, not UTF-16 units', params: { Desc: '😀'.repeat(64) }, read: (r) => r.text('Desc', { maxLen: 64 }), out: '😀'.repeat(64) },
  { name: 'text one character over', params: { Description: '😀'.repeat(65) }, read: (r) => r.text('Description', { maxLen: 64 }), code: 'InvalidParameter', param: 'Description' },
  { name: 'text minLen', params: { InstanceName: 'a' }, read: (r) => r.text('InstanceName', { minLen: 2, maxLen: 64 }), code: 'InvalidParameter', param: 'InstanceName' },
  { name: 'text NUL refused', params: { Description: 'a\u0000b' }, read: (r) => r.text('Description', { maxLen: 256 }), code: 'InvalidParameter', param: 'Description' },
  { name: 'text LF refused', params: { Description: 'a\nb' }, read: (r) => r.text('Description', { maxLen: 256 }), code: 'InvalidParameter', param: 'Description' },
  { name: 'text CR refused', params: { Desc: 'a\rb' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text tab refused', params: { Desc: 'a\tb' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text DEL refused', params: { Desc: 'a\u007fb' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text C1 control refused', params: { Desc: 'a\u0085b' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text line separator refused', params: { Desc: 'a\u2028b' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text lone high surrogate refused', params: { Desc: 'a\ud800b' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text lone low surrogate refused', params: { Desc: '\udc00' }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text from number', params: { Desc: 42 }, read: (r) => r.text('Desc', { maxLen: 256 }), out: '42' },
  { name: 'text from list refused', params: { Desc: ['x'] }, read: (r) => r.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'Desc' },
  { name: 'text nested name', params: { A: { Desc: 'a\nb' } }, read: (r) => r.obj('A')!.text('Desc', { maxLen: 256 }), code: 'InvalidParameter', param: 'A.Desc' },
  // int
  { name: 'int from number', params: { Amount: 3 }, read: (r) => r.int('Amount'), out: 3 },
  { name: 'int zero', params: { Amount: 0 }, read: (r) => r.int('Amount'), out: 0 },
  { name: 'int from numeric string (GET)', params: { Amount: '3' }, read: (r) => r.int('Amount'), out: 3 },
  { name: 'int from negative string', params: { N: '-5' }, read: (r) => r.int('N'), out: -5 },
  { name: 'int optional missing', params: {}, read: (r) => r.int('Amount'), out: undefined },
  { name: 'int required missing', params: {}, read: (r) => r.int('PaasGoodsId', { required: true }), code: 'ArgMissing', param: 'PaasGoodsId' },
  { name: 'int required empty string', params: { PaasGoodsId: '' }, read: (r) => r.int('PaasGoodsId', { required: true }), code: 'ArgMissing', param: 'PaasGoodsId' },
  { name: 'int float refused', params: { DiskValue: 100.5 }, read: (r) => r.int('DiskValue'), code: 'InvalidParameter', param: 'DiskValue' },
  { name: 'int float string refused', params: { DiskValue: '100.0' }, read: (r) => r.int('DiskValue'), code: 'InvalidParameter', param: 'DiskValue' },
  { name: 'int exponent string refused', params: { DiskValue: '1e3' }, read: (r) => r.int('DiskValue'), code: 'InvalidParameter', param: 'DiskValue' },
  { name: 'int hex string refused', params: { DiskValue: '0x10' }, read: (r) => r.int('DiskValue'), code: 'InvalidParameter', param: 'DiskValue' },
  { name: 'int word refused', params: { Amount: 'three' }, read: (r) => r.int('Amount'), code: 'InvalidParameter', param: 'Amount' },
  { name: 'int boolean refused', params: { Amount: true }, read: (r) => r.int('Amount'), code: 'InvalidParameter', param: 'Amount' },
  { name: 'int list refused', params: { Amount: ['1'] }, read: (r) => r.int('Amount'), code: 'InvalidParameter', param: 'Amount' },
  { name: 'int beyond safe range refused', params: { Amount: '9007199254740993' }, read: (r) => r.int('Amount'), code: 'InvalidParameter', param: 'Amount' },
  { name: 'int at min', params: { Amount: 1 }, read: (r) => r.int('Amount', { min: 1, max: 10 }), out: 1 },
  { name: 'int at max', params: { Amount: 10 }, read: (r) => r.int('Amount', { min: 1, max: 10 }), out: 10 },
  { name: 'int below min', params: { Amount: 0 }, read: (r) => r.int('Amount', { min: 1, max: 10 }), code: 'InvalidParameter', param: 'Amount' },
  { name: 'int above max', params: { Amount: 11 }, read: (r) => r.int('Amount', { min: 1, max: 10 }), code: 'InvalidParameter', param: 'Amount' },
  { name: 'int string above max', params: { Amount: '11' }, read: (r) => r.int('Amount', { max: 10 }), code: 'InvalidParameter', param: 'Amount' },
  // bool
  { name: 'bool true', params: { B: true }, read: (r) => r.bool('B'), out: true },
  { name: 'bool false', params: { B: false }, read: (r) => r.bool('B'), out: false },
  { name: 'bool "true"', params: { B: 'true' }, read: (r) => r.bool('B'), out: true },
  { name: 'bool "false"', params: { B: 'false' }, read: (r) => r.bool('B'), out: false },
  { name: 'bool optional missing', params: {}, read: (r) => r.bool('B'), out: undefined },
  { name: 'bool required missing', params: {}, read: (r) => r.bool('B', { required: true }), code: 'ArgMissing', param: 'B' },
  { name: 'bool "ture" (doc typo) refused', params: { B: 'ture' }, read: (r) => r.bool('B'), code: 'InvalidParameter', param: 'B' },
  { name: 'bool "TRUE" refused', params: { B: 'TRUE' }, read: (r) => r.bool('B'), code: 'InvalidParameter', param: 'B' },
  { name: 'bool 1 refused', params: { B: 1 }, read: (r) => r.bool('B'), code: 'InvalidParameter', param: 'B' },
  // strList
  { name: 'strList JSON array', params: { DBList: ['a', 'b'] }, read: (r) => r.strList('DBList'), out: ['a', 'b'] },
  { name: 'strList single string (lenient)', params: { DBList: 'a' }, read: (r) => r.strList('DBList'), out: ['a'] },
  { name: 'strList numbers become strings', params: { DateList: [0, 1] }, read: (r) => r.strList('DateList'), out: ['0', '1'] },
  { name: 'strList optional missing', params: {}, read: (r) => r.strList('DBList'), out: undefined },
  { name: 'strList required missing', params: {}, read: (r) => r.strList('DBList', { required: true }), code: 'ArgMissing', param: 'DBList' },
  { name: 'strList required but empty', params: { DBList: [] }, read: (r) => r.strList('DBList', { required: true }), code: 'ArgMissing', param: 'DBList' },
  { name: 'strList optional empty', params: { DBList: [] }, read: (r) => r.strList('DBList'), out: [] },
  { name: 'strList number refused', params: { DBList: 5 }, read: (r) => r.strList('DBList'), code: 'InvalidParameter', param: 'DBList' },
  { name: 'strList object refused', params: { DBList: { a: 'b' } }, read: (r) => r.strList('DBList'), code: 'InvalidParameter', param: 'DBList' },
  { name: 'strList too many items', params: { DBList: ['a', 'b', 'c'] }, read: (r) => r.strList('DBList', { maxItems: 2 }), code: 'InvalidParameter', param: 'DBList' },
  { name: 'strList item not a string', params: { DBList: ['a', { x: 'y' }] }, read: (r) => r.strList('DBList'), code: 'InvalidParameter', param: 'DBList.1' },
  { name: 'strList item fails oneOf', params: { DateList: ['1', '9'] }, read: (r) => r.strList('DateList', { item: { oneOf: ['0', '1', '2', '3', '4', '5', '6'] } }), code: 'InvalidParameter', param: 'DateList.1' },
  // obj
  { name: 'obj reads nested fields', params: { E: { AllCreate: 'true' } }, read: (r) => r.obj('E')!.bool('AllCreate'), out: true },
  { name: 'obj optional missing', params: {}, read: (r) => r.obj('E'), out: undefined },
  { name: 'obj required missing', params: {}, read: (r) => r.obj('DataBackups', { required: true }), code: 'ArgMissing', param: 'DataBackups' },
  { name: 'obj string refused', params: { DataBackups: 'x' }, read: (r) => r.obj('DataBackups'), code: 'InvalidParameter', param: 'DataBackups' },
  { name: 'obj list refused', params: { DataBackups: [{}] }, read: (r) => r.obj('DataBackups'), code: 'InvalidParameter', param: 'DataBackups' },
  { name: 'obj nested missing int', params: { DataBackups: {} }, read: (r) => r.obj('DataBackups')!.int('Sign', { required: true }), code: 'ArgMissing', param: 'DataBackups.Sign' },
  { name: 'obj nested bad int', params: { DataBackups: { Sign: 'on' } }, read: (r) => r.obj('DataBackups')!.int('Sign'), code: 'InvalidParameter', param: 'DataBackups.Sign' },
  { name: 'obj nested int out of range', params: { DataBackups: { Sign: 2 } }, read: (r) => r.obj('DataBackups')!.int('Sign', { min: 0, max: 1 }), code: 'InvalidParameter', param: 'DataBackups.Sign' },
  { name: 'obj nested bad str', params: { DataBackups: { TimeSlot: 'noon' } }, read: (r) => r.obj('DataBackups')!.str('TimeSlot', { pattern: /^\d\d:00-\d\d:00$/ }), code: 'InvalidParameter', param: 'DataBackups.TimeSlot' },
  { name: 'obj nested bad bool', params: { ExtraPrivilege: { AllCreate: 'ture' } }, read: (r) => r.obj('ExtraPrivilege')!.bool('AllCreate'), code: 'InvalidParameter', param: 'ExtraPrivilege.AllCreate' },
  { name: 'obj nested list item', params: { DataBackups: { DateList: ['1', '7'] } }, read: (r) => r.obj('DataBackups')!.strList('DateList', { item: { oneOf: ['0', '1', '2', '3', '4', '5', '6'] } }), code: 'InvalidParameter', param: 'DataBackups.DateList.1' },
  { name: 'obj in obj: missing field', params: { A: { B: {} } }, read: (r) => r.obj('A')!.obj('B')!.str('C', { required: true }), code: 'ArgMissing', param: 'A.B.C' },
  { name: 'obj in obj: missing inner object', params: { A: {} }, read: (r) => r.obj('A')!.obj('B', { required: true }), code: 'ArgMissing', param: 'A.B' },
  { name: 'obj in obj: inner not an object', params: { A: { B: 'x' } }, read: (r) => r.obj('A')!.obj('B'), code: 'InvalidParameter', param: 'A.B' },
  // objList
  { name: 'objList reads each item', params: { Operations: [{ DBName: 'a' }, { DBName: 'b' }] }, read: (r) => r.objList('Operations')!.map((o) => o.str('DBName')), out: ['a', 'b'] },
  { name: 'objList optional missing', params: {}, read: (r) => r.objList('Operations'), out: undefined },
  { name: 'objList required missing', params: {}, read: (r) => r.objList('Operations', { required: true }), code: 'ArgMissing', param: 'Operations' },
  { name: 'objList required but empty', params: { Operations: [] }, read: (r) => r.objList('Operations', { required: true }), code: 'ArgMissing', param: 'Operations' },
  { name: 'objList object refused', params: { Operations: { DBName: 'a' } }, read: (r) => r.objList('Operations'), code: 'InvalidParameter', param: 'Operations' },
  { name: 'objList item not an object', params: { Operations: [{ DBName: 'a' }, 'b'] }, read: (r) => r.objList('Operations'), code: 'InvalidParameter', param: 'Operations.1' },
  { name: 'objList too many items', params: { Operations: [{}, {}, {}] }, read: (r) => r.objList('Operations', { maxItems: 2 }), code: 'InvalidParameter', param: 'Operations' },
  { name: 'objList item missing field', params: { Operations: [{ Privilege: 'ReadOnly' }] }, read: (r) => r.objList('Operations')!.map((o) => o.str('DBName', { required: true })), code: 'ArgMissing', param: 'Operations.0.DBName' },
  { name: 'objList second item bad field', params: { Operations: [{ Privilege: 'ReadOnly' }, { Privilege: 'All' }] }, read: (r) => r.objList('Operations')!.map((o) => o.str('Privilege', { oneOf: ['ReadWrite', 'DMLOnly', 'ReadOnly', 'DDLOnly'] })), code: 'InvalidParameter', param: 'Operations.1.Privilege' },
  { name: 'objList in obj: item missing field', params: { A: { Ops: [{}] } }, read: (r) => r.obj('A')!.objList('Ops')!.map((o) => o.str('DBName', { required: true })), code: 'ArgMissing', param: 'A.Ops.0.DBName' },
  { name: 'objList in obj: not a list', params: { A: { Ops: 'x' } }, read: (r) => r.obj('A')!.objList('Ops'), code: 'InvalidParameter', param: 'A.Ops' },
];

for (const c of CASES) {
  test(`ParamReader: ${c.name}`, () => {
    const r = new ParamReader(c.params);
    if (c.code === undefined) {
      assert.deepEqual(c.read(r), c.out);
      return;
    }
    assert.throws(
      () => c.read(r),
      (e: unknown) => {
        assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
        assert.equal(e.code, c.code);
        assert.equal(e.status, 400);
        // The parameter appears whole: `parameter X` followed by the end, a colon or a space.
        assert.match(e.message, new RegExp(`parameter ${c.param!.replace(/\./g, '\\.')}(:|$| )`), e.message);
        return true;
      },
    );
  });
}

const HAS_CASES: Array<{ name: string; params: Params; key: string; want: boolean }> = [
  { name: 'present', params: { A: 'x' }, key: 'A', want: true },
  { name: 'absent', params: {}, key: 'A', want: false },
  { name: 'empty string is absent', params: { A: '' }, key: 'A', want: false },
  { name: 'zero is present', params: { A: 0 }, key: 'A', want: true },
  { name: 'false is present', params: { A: false }, key: 'A', want: true },
];

for (const c of HAS_CASES) {
  test(`ParamReader.has: ${c.name}`, () => {
    assert.equal(new ParamReader(c.params).has(c.key), c.want);
  });
}

// End to end with the GET flattening: query pairs → mergeParams → ParamReader.
const GET_CASES: Array<{ name: string; query: Array<[string, string]>; read: (r: ParamReader) => unknown; out?: unknown; param?: string }> = [
  {
    name: 'DataBackups from GET',
    query: [['DataBackups.Sign', '1'], ['DataBackups.DateList.0', '1'], ['DataBackups.DateList.1', '3']],
    read: (r) => { const d = r.obj('DataBackups')!; return [d.int('Sign'), d.strList('DateList')]; },
    out: [1, ['1', '3']],
  },
  {
    name: 'Operations from GET',
    query: [['Operations.1.DBName', 'db2'], ['Operations.0.DBName', 'db1']],
    read: (r) => r.objList('Operations')!.map((o) => o.str('DBName')),
    out: ['db1', 'db2'],
  },
  { name: 'ExtraPrivilege from GET', query: [['ExtraPrivilege.AllCreate', 'true']], read: (r) => r.obj('ExtraPrivilege')!.bool('AllCreate'), out: true },
  { name: 'GET int in a nested object, wrong', query: [['DataBackups.Sign', 'yes']], read: (r) => r.obj('DataBackups')!.int('Sign'), param: 'DataBackups.Sign' },
  { name: 'GET struct list, missing field', query: [['Operations.0.Privilege', 'ReadOnly']], read: (r) => r.objList('Operations')!.map((o) => o.str('DBName', { required: true })), param: 'Operations.0.DBName' },
];

for (const c of GET_CASES) {
  test(`ParamReader over GET parameters: ${c.name}`, () => {
    const r = new ParamReader(mergeParams(c.query, undefined));
    if (c.param === undefined) assert.deepEqual(c.read(r), c.out);
    else assert.throws(() => c.read(r), (e: unknown) => e instanceof ApiError && e.message.includes(c.param!));
  });
}
