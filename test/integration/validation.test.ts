/**
 * Parameter validation of every action of the basic lifecycle, table-driven, against the real
 * server: one named case per row, each checking the HTTP status, the Code and that the Message
 * names the parameter. Each row runs over POST (JSON body) and, unless it needs JSON types,
 * over GET (flattened query) too. Also: ResourceInUse while a task runs, and the shapes of
 * DescribeRegions (Appendix A) and DescribeAvailableDBConfig (spec §4.2).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BASIC_1C2G, HA_1C2G, createParams, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
before(async () => { s = await startServer(); });
after(async () => { await s?.cleanup(); });

interface Row {
  name: string;
  params: Record<string, unknown>;
  status: number;
  code: string;
  /** What the Message must name: the parameter (or the id that was not found). */
  mentions: RegExp;
  /** The value is a JSON type that a GET query cannot carry. */
  postOnly?: boolean;
}

const missing = (base: Record<string, unknown>, name: string) => {
  const p = { ...base };
  delete p[name];
  return p;
};

function runTable(action: string, rows: Row[]) {
  for (const r of rows) {
    for (const method of r.postOnly ? ['POST'] as const : ['POST', 'GET'] as const) {
      test(`${r.name} [${method}]`, async () => {
        const res = await s.client.call(action, r.params, { method });
        assert.equal(res.body.Code, r.code, `Code: ${JSON.stringify(res.body)}`);
        assert.equal(res.status, r.status, `HTTP status: ${JSON.stringify(res.body)}`);
        assert.equal(typeof res.body.Message, 'string');
        assert.match(res.body.Message, r.mentions);
        assert.equal(typeof res.body.TaskId, 'string', 'TaskId is a string');
        assert.equal('Response' in res.body, false);
      });
    }
  }
}

const ARG_MISSING = { status: 400, code: 'ArgMissing' };
const INVALID = { status: 400, code: 'InvalidParameter' };
const NOT_FOUND = { status: 404, code: 'ResourceNotFound' };

describe('CreateDBInstance validation', () => {
  const base = createParams({ InstanceName: 'must-not-be-created' });
  const required = ['RegionId', 'VdcId', 'BasePipeId', 'InstanceName', 'PaasGoodsId', 'DiskType', 'DiskValue'];
  const bad = (name: string, param: string, value: unknown, postOnly = false): Row =>
    ({ name, params: { ...base, [param]: value }, ...INVALID, mentions: new RegExp(`\\b${param}\\b`), postOnly });
  runTable('CreateDBInstance', [
    ...required.map((p): Row => ({ name: `missing ${p} → ArgMissing`, params: missing(base, p), ...ARG_MISSING, mentions: new RegExp(`\\b${p}\\b`) })),
    ...required.map((p): Row => ({ name: `empty ${p} → ArgMissing`, params: { ...base, [p]: '' }, ...ARG_MISSING, mentions: new RegExp(`\\b${p}\\b`) })),
    ...required.map((p): Row => ({ name: `null ${p} → ArgMissing`, params: { ...base, [p]: null }, ...ARG_MISSING, mentions: new RegExp(`\\b${p}\\b`), postOnly: true })),
    { name: 'no parameters at all → ArgMissing RegionId', params: {}, ...ARG_MISSING, mentions: /RegionId/ },
    bad('unknown RegionId', 'RegionId', 'CN_Nowhere_Z'),
    bad('RegionId in the wrong case', 'RegionId', 'cn_beijing_a'),
    bad('RegionId as an object', 'RegionId', { Id: 'CN_Beijing_A' }),
    bad('RegionId as a list', 'RegionId', ['CN_Beijing_A']),
    bad('RegionId as a boolean', 'RegionId', true, true),
    bad('unknown VdcId', 'VdcId', 'vdc-nope'),
    bad('unknown BasePipeId', 'BasePipeId', 'pipe-nope'),
    bad('unknown PaasGoodsId', 'PaasGoodsId', 99999),
    bad('PaasGoodsId of a read-only spec', 'PaasGoodsId', 15686),
    bad('PaasGoodsId "abc"', 'PaasGoodsId', 'abc'),
    bad('PaasGoodsId 1.5', 'PaasGoodsId', 1.5),
    bad('PaasGoodsId "27060.0"', 'PaasGoodsId', '27060.0'),
    bad('PaasGoodsId "2.706e4"', 'PaasGoodsId', '2.706e4'),
    bad('PaasGoodsId -1', 'PaasGoodsId', -1),
    bad('PaasGoodsId as a boolean', 'PaasGoodsId', true, true),
    bad('PaasGoodsId as a list', 'PaasGoodsId', [BASIC_1C2G]),
    bad('PaasGoodsId as an object', 'PaasGoodsId', { Id: BASIC_1C2G }),
    bad('PaasGoodsId beyond 2^53', 'PaasGoodsId', '99999999999999999999'),
    bad('unknown DiskType', 'DiskType', 'hdd_disk'),
    bad('DiskType in the wrong case', 'DiskType', 'SSD_DISK'),
    bad('DiskType as a list', 'DiskType', ['ssd_disk']),
    bad('DiskValue below the minimum (50)', 'DiskValue', 50),
    bad('DiskValue 0', 'DiskValue', 0),
    bad('DiskValue negative', 'DiskValue', -100),
    bad('DiskValue above the maximum (2100)', 'DiskValue', 2100),
    bad('DiskValue not a multiple of 100 (150)', 'DiskValue', 150),
    bad('DiskValue 100.5', 'DiskValue', 100.5),
    bad('DiskValue "abc"', 'DiskValue', 'abc'),
    bad('DiskValue as a boolean', 'DiskValue', true, true),
    bad('InstanceName longer than 64 characters', 'InstanceName', 'n'.repeat(65)),
    bad('InstanceName with a control character', 'InstanceName', 'bad\u0001name'),
    bad('InstanceName with a newline', 'InstanceName', 'bad\nname'),
    bad('InstanceName as an object', 'InstanceName', { a: 'b' }),
    bad('InstanceName as a list', 'InstanceName', ['a', 'b']),
    bad('Password too weak ("password")', 'Password', 'password'),
    bad('Password too short', 'Password', 'Ab1!'),
    bad('Password too long (33)', 'Password', 'Aa1!' + 'x'.repeat(29)),
    bad('Password with two character classes', 'Password', 'ALLUPPER123'),
    bad('Password with a space', 'Password', 'Str0ng Pass'),
    bad('Password with a quote', 'Password', "Str0ng'Pass"),
    bad('Password with a backslash', 'Password', 'Str0ng\\Pass'),
    bad('Password as an object', 'Password', { p: 'Str0ng-Pass' }),
    bad('Amount 0', 'Amount', 0),
    bad('Amount 4 (max is 3)', 'Amount', 4),
    bad('Amount -1', 'Amount', -1),
    bad('Amount "two"', 'Amount', 'two'),
    bad('TimeZone "+08:30"', 'TimeZone', '+08:30'),
    bad('TimeZone "Asia/Shanghai"', 'TimeZone', 'Asia/Shanghai'),
    bad('TimeZone "UTC"', 'TimeZone', 'UTC'),
    bad('TimeZone "8"', 'TimeZone', 8),
    bad('ServicePort 80', 'ServicePort', 80),
    bad('ServicePort 1023', 'ServicePort', 1023),
    bad('ServicePort 9100 (reserved)', 'ServicePort', 9100),
    bad('ServicePort 9101 (reserved)', 'ServicePort', 9101),
    bad('ServicePort 70000', 'ServicePort', 70000),
    bad('ServicePort "abc"', 'ServicePort', 'abc'),
    bad('SubjectId -1', 'SubjectId', -1),
    // HA specs (17060, 6704, …) create HA pairs now (test/integration/ha.test.ts); read-only specs are not for CreateDBInstance.
    bad('a read-only PaasGoodsId (15686)', 'PaasGoodsId', 15686),
  ]);

  test('no refused call left an instance behind', async () => {
    const r = await s.client.ok('DescribeDBInstances', { InstanceName: 'must-not-be-created' }, { method: 'GET' });
    assert.deepEqual(r.data, []);
  });
});

describe('DescribeAvailableDBConfig validation', () => {
  runTable('DescribeAvailableDBConfig', [
    { name: 'missing RegionId → ArgMissing', params: {}, ...ARG_MISSING, mentions: /RegionId/ },
    { name: 'empty RegionId → ArgMissing', params: { RegionId: '' }, ...ARG_MISSING, mentions: /RegionId/ },
    { name: 'unknown RegionId', params: { RegionId: 'CN_Nowhere_Z' }, ...INVALID, mentions: /RegionId/ },
    { name: 'RegionId as a list', params: { RegionId: ['CN_Beijing_A'] }, ...INVALID, mentions: /RegionId/ },
    { name: 'RegionId as a number', params: { RegionId: 1 }, ...INVALID, mentions: /RegionId/ },
  ]);
});

describe('DescribeDBInstances validation', () => {
  const unknown = randomUUID();
  runTable('DescribeDBInstances', [
    { name: 'unknown InstanceUuid → ResourceNotFound (not an empty list)', params: { InstanceUuid: unknown }, ...NOT_FOUND, mentions: new RegExp(unknown) },
    { name: 'unknown InstanceUuid plus a name filter → ResourceNotFound', params: { InstanceUuid: unknown, InstanceName: 'x' }, ...NOT_FOUND, mentions: new RegExp(unknown) },
    { name: 'InstanceUuid that is not a UUID → ResourceNotFound', params: { InstanceUuid: 'ins-123' }, ...NOT_FOUND, mentions: /ins-123/ },
    { name: 'InstanceUuid as an object', params: { InstanceUuid: { a: 'b' } }, ...INVALID, mentions: /InstanceUuid/ },
    { name: 'InstanceUuid longer than 64 characters', params: { InstanceUuid: 'u'.repeat(65) }, ...INVALID, mentions: /InstanceUuid/ },
    { name: 'InstanceName as a list', params: { InstanceName: ['a'] }, ...INVALID, mentions: /InstanceName/ },
    { name: 'IP as an object', params: { IP: { a: '1' } }, ...INVALID, mentions: /\bIP\b/ },
  ]);

  test('filters that match nothing, without InstanceUuid, give an empty list', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const r = await s.client.ok('DescribeDBInstances', { InstanceName: 'nothing-has-this-name', IP: '66.66' }, { method });
      assert.deepEqual(r.data, []);
    }
  });
});

describe('DeleteDBInstance validation', () => {
  const unknown = randomUUID();
  runTable('DeleteDBInstance', [
    { name: 'missing InstanceUuid → ArgMissing', params: {}, ...ARG_MISSING, mentions: /InstanceUuid/ },
    { name: 'empty InstanceUuid → ArgMissing', params: { InstanceUuid: '' }, ...ARG_MISSING, mentions: /InstanceUuid/ },
    { name: 'null InstanceUuid → ArgMissing', params: { InstanceUuid: null }, ...ARG_MISSING, mentions: /InstanceUuid/, postOnly: true },
    { name: 'unknown InstanceUuid → ResourceNotFound', params: { InstanceUuid: unknown }, ...NOT_FOUND, mentions: new RegExp(unknown) },
    { name: 'InstanceUuid as a list', params: { InstanceUuid: [unknown] }, ...INVALID, mentions: /InstanceUuid/ },
    { name: 'InstanceUuid as a boolean', params: { InstanceUuid: true }, ...INVALID, mentions: /InstanceUuid/, postOnly: true },
  ]);
});

describe('CreatePrivilegedAccount validation', () => {
  const unknown = randomUUID();
  const base = { InstanceUuid: unknown, AccountName: 'appuser', Password: 'Str0ng-Pass', AccountType: 'Normal' };
  const bad = (name: string, param: string, value: unknown, postOnly = false): Row =>
    ({ name, params: { ...base, [param]: value }, ...INVALID, mentions: new RegExp(`\\b${param}\\b`), postOnly });
  runTable('CreatePrivilegedAccount', [
    ...Object.keys(base).map((p): Row => ({ name: `missing ${p} → ArgMissing`, params: missing(base, p), ...ARG_MISSING, mentions: new RegExp(`\\b${p}\\b`) })),
    ...Object.keys(base).map((p): Row => ({ name: `empty ${p} → ArgMissing`, params: { ...base, [p]: '' }, ...ARG_MISSING, mentions: new RegExp(`\\b${p}\\b`) })),
    ...['Admin', 'super', 'normal', 'SUPER', 'ReadOnly'].map((t) => bad(`AccountType ${t}`, 'AccountType', t)),
    bad('AccountType as a list', 'AccountType', ['Super']),
    ...['root', 'mysql', 'openrds_admin', 'openrds_repl', 'openrds_monitor', 'openrds_x', 'mariadb_x'].map((n) => bad(`reserved AccountName ${n}`, 'AccountName', n)),
    ...['ROOT', 'Root', 'mariadb.sys', 'PUBLIC'].map((n) => bad(`reserved name in another spelling ${n}`, 'AccountName', n)),
    ...['1abc', 'a', '_abc', 'a-b', 'a b', 'a.b', 'Upper', 'x'.repeat(33), '名字', "ab';drop", 'ab%', 'ab@host'].map((n) => bad(`bad AccountName ${JSON.stringify(n)}`, 'AccountName', n)),
    bad('AccountName as an object', 'AccountName', { n: 'appuser' }),
    ...['short1A', 'alllowercase1', 'NoDigitsHere', 'ALLUPPER123', 'Aa1!' + 'x'.repeat(29), 'Str0ng Pass', "Str0ng'Pass", 'Str0ng"Pass', 'Str0ng\\Pass', 'Str0ng`Pass', 'Päss-w0rd'].map((pw) => bad(`weak or bad Password ${JSON.stringify(pw)}`, 'Password', pw)),
    bad('Password as a number', 'Password', 12345678, true),
    bad('Description longer than 256 characters', 'Description', 'd'.repeat(257)),
    bad('InstanceUuid as an object', 'InstanceUuid', { u: unknown }),
    { name: 'unknown instance → ResourceNotFound', params: base, ...NOT_FOUND, mentions: new RegExp(unknown) },
    { name: 'unknown instance, Super → ResourceNotFound', params: { ...base, AccountType: 'Super' }, ...NOT_FOUND, mentions: new RegExp(unknown) },
  ]);
});

describe('DescribeTask validation', () => {
  const unknown = randomUUID();
  runTable('DescribeTask', [
    { name: 'missing TaskId → ArgMissing', params: {}, ...ARG_MISSING, mentions: /TaskId/ },
    { name: 'empty TaskId → ArgMissing', params: { TaskId: '' }, ...ARG_MISSING, mentions: /TaskId/ },
    ...['123', '190982', 'not-a-uuid', `${unknown}x`, unknown.replace(/-/g, ''), '***'].map((id): Row => ({
      name: `malformed TaskId ${JSON.stringify(id)} → InvalidTaskID.Malformed`, params: { TaskId: id }, status: 400, code: 'InvalidTaskID.Malformed', mentions: /TaskId/,
    })),
    { name: 'TaskId as a number → InvalidTaskID.Malformed', params: { TaskId: 190982 }, status: 400, code: 'InvalidTaskID.Malformed', mentions: /TaskId/, postOnly: true },
    { name: 'TaskId as an object', params: { TaskId: { id: unknown } }, ...INVALID, mentions: /TaskId/ },
    { name: 'unknown TaskId → ResourceNotFound', params: { TaskId: unknown }, ...NOT_FOUND, mentions: new RegExp(unknown) },
    { name: 'unknown TaskId in upper case → ResourceNotFound', params: { TaskId: unknown.toUpperCase() }, ...NOT_FOUND, mentions: new RegExp(unknown, 'i') },
  ]);
});

describe('busy instances and accepted parameter forms (real instances)', () => {
  test('PaasGoodsId "27060" as a numeric string is accepted; mutating calls while a task runs → ResourceInUse 409', async () => {
    const c = s.client;
    const created = await c.call('CreateDBInstance', createParams({
      InstanceName: 'numeric-strings', PaasGoodsId: String(BASIC_1C2G), DiskValue: '200', Amount: '1', ServicePort: '3307', TimeZone: '+05:30', Foo: null,
    }));
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.Code, 'Success');
    assert.equal(typeof created.body.TaskId, 'string');
    assert.ok(created.body.TaskId.length > 0, 'CreateDBInstance answers a non-empty TaskId');
    assert.ok(Array.isArray(created.body.Data.InstancesUuid) && created.body.Data.InstancesUuid.length === 1);
    const uuid: string = created.body.Data.InstancesUuid[0];
    const taskId: string = created.body.TaskId;

    // The instance is CREATING: every mutating call is refused until it is RUNNING.
    const del = await c.call('DeleteDBInstance', { InstanceUuid: uuid });
    assert.equal(del.body.Code, 'ResourceInUse', JSON.stringify(del.body));
    assert.equal(del.status, 409);
    assert.match(del.body.Message, new RegExp(uuid));
    const acc = await c.call('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'early', Password: 'Str0ng-Pass', AccountType: 'Super' });
    assert.equal(acc.body.Code, 'ResourceInUse', JSON.stringify(acc.body));
    assert.equal(acc.status, 409);
    assert.match(acc.body.Message, new RegExp(uuid));

    const task = await c.ok('DescribeTask', { TaskId: taskId }, { method: 'GET' });
    assert.equal(task.taskId, taskId);
    assert.equal(task.data.ResourceId, uuid);
    assert.equal(task.data.TaskType, 'CreateDBInstance');
    assert.equal(typeof task.data.Status, 'string');
    assert.ok(['NEW', 'DOING', 'FINISH'].includes(task.data.Status), task.data.Status);

    const inst = await c.waitStatus(uuid, 'RUNNING');
    assert.equal(inst.Port, 3307);
    assert.equal(inst.Disks, 200);
    assert.equal(inst.PaasGoodsId, BASIC_1C2G);
    assert.equal(inst.Cpu, 1);
    assert.equal(inst.Ram, 2048);
    assert.equal(inst.TimeZone, '+05:30');
    assert.equal((await c.ok('DescribeTask', { TaskId: taskId }, { method: 'POST' })).data.Status, 'FINISH');

    // The failed account call left nothing behind: the same name can be created now.
    await c.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'early', Password: 'Str0ng-Pass', AccountType: 'Super' });
    // Conflicts with existing accounts name the parameter at fault.
    const dupName = await c.call('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'early', Password: 'Str0ng-Pass', AccountType: 'Normal' });
    assert.equal(dupName.body.Code, 'InvalidParameter', JSON.stringify(dupName.body));
    assert.equal(dupName.status, 400);
    assert.match(dupName.body.Message, /AccountName/);
    const secondSuper = await c.call('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'boss', Password: 'Str0ng-Pass', AccountType: 'Super' }, { method: 'GET' });
    assert.equal(secondSuper.body.Code, 'InvalidParameter', JSON.stringify(secondSuper.body));
    assert.equal(secondSuper.status, 400);
    assert.match(secondSuper.body.Message, /AccountType/);

    // Concurrent deletes: exactly one starts the task. The others are refused: ResourceInUse while
    // it runs, or ResourceNotFound if it already finished (deleting a stopped node takes milliseconds,
    // so DELETING cannot be observed reliably; the CREATING case above is the reliable 409).
    const dels = await Promise.all(Array.from({ length: 4 }, () => c.call('DeleteDBInstance', { InstanceUuid: uuid })));
    const winners = dels.filter((r) => r.body.Code === 'Success');
    assert.equal(winners.length, 1, `exactly one delete starts: ${JSON.stringify(dels.map((r) => r.body.Code))}`);
    for (const r of dels.filter((x) => x.body.Code !== 'Success')) {
      assert.ok(r.body.Code === 'ResourceInUse' || r.body.Code === 'ResourceNotFound', JSON.stringify(r.body));
      assert.equal(r.status, r.body.Code === 'ResourceInUse' ? 409 : 404);
    }
    const d = { taskId: winners[0]!.body.TaskId as string };
    assert.equal(typeof d.taskId, 'string');
    assert.ok(d.taskId.length > 0);
    const acc2 = await c.call('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'late', Password: 'Str0ng-Pass', AccountType: 'Normal' });
    assert.ok(acc2.body.Code === 'ResourceInUse' || acc2.body.Code === 'ResourceNotFound', JSON.stringify(acc2.body));
    await c.waitStatus(uuid, 'gone');
    const deleted = await c.ok('DescribeTask', { TaskId: d.taskId }, { method: 'GET' });
    assert.equal(deleted.data.Status, 'FINISH');
    assert.equal(deleted.data.TaskType, 'DeleteDBInstance');
    // Gone: every call on it is now ResourceNotFound.
    for (const [action, params] of [
      ['DescribeDBInstances', { InstanceUuid: uuid }],
      ['DeleteDBInstance', { InstanceUuid: uuid }],
      ['CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'after', Password: 'Str0ng-Pass', AccountType: 'Normal' }],
    ] as const) {
      const r = await c.call(action, params);
      assert.equal(r.body.Code, 'ResourceNotFound', `${action}: ${JSON.stringify(r.body)}`);
      assert.equal(r.status, 404);
    }
  });

  test('GET with flattened parameters creates an instance like POST', async () => {
    const c = s.client;
    const created = await c.call('CreateDBInstance', createParams({ InstanceName: 'via get', DiskValue: 300, DiskType: 'high_disk' }), { method: 'GET' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(typeof created.body.TaskId, 'string');
    const uuid: string = created.body.Data.InstancesUuid[0];
    const listed = await c.ok('DescribeDBInstances', { InstanceName: 'via g' }, { method: 'GET' });
    assert.deepEqual(listed.data.map((i: any) => i.InstanceUuid), [uuid]);
    assert.notEqual(listed.data[0].Status, 'RUNNING');
    const inst = await c.waitStatus(uuid, 'RUNNING');
    assert.equal(inst.InstanceName, 'via get');
    assert.equal(inst.Disks, 300);
    assert.equal(inst.DiskType, 'high_disk');
    assert.equal(inst.Port, 3306);
    await c.ok('DeleteDBInstance', { InstanceUuid: uuid }, { method: 'GET' });
    await c.waitStatus(uuid, 'gone');
  });
});

describe('response shapes', () => {
  const APPENDIX_A = `
CN_Beijing_A|北京1|北京|中国大陆|ea3ca775-306c-11e7-9796-0050569b4d9c
CN_Beijing_B|北京2|北京|中国大陆|ea3ca775-306c-11e7-9796-0050569b4d9c
CN_Beijing_C|北京3|北京|中国大陆|ea3ca775-306c-11e7-9796-0050569b4d9c
CN_Beijing_E|北京5|北京|中国大陆|ea3ca775-306c-11e7-9796-0050569b4d9c
CN_Beijing_H|北京8|北京|中国大陆|ea3ca775-306c-11e7-9796-0050569b4d9c
CN_Wuxi_A|无锡1|无锡|中国大陆|123d0d01-306d-11e7-9796-0050569b4d9c
CN_Guangzhou_A|广州1|广州|中国大陆|c11a5abe-3f7e-11e7-86b1-0242ac11000e
CN_Shanghai_A|上海1|上海|中国大陆|b44355d0-65e7-11e7-8ea9-0050569b651c
CN_Hongkong_A|香港1|香港|亚太地区|27b57297-306d-11e7-9796-0050569b4d9c
CN_Taipei_A|台北1|台北|亚太地区|713d3745-306d-11e7-9796-0050569b4d9c
APAC_Tokyo_A|东京1|东京|亚太地区|8737606f-306d-11e7-9796-0050569b4d9c
APAC_Singapore_A|新加坡1|新加坡|亚太地区|a8937b00-306d-11e7-9796-0050569b4d9c
APAC_Seoul_A|首尔1|首尔|亚太地区|87fcbbd6-be0a-11e7-9d6b-0242ac110004
US_LosAngeles_A|洛杉矶1|洛杉矶|北美地区|3082f45e-306e-11e7-9796-0050569b4d9c
US_NewYork_A|纽约1|纽约|北美地区|154ed19e-306e-11e7-9796-0050569b4d9c
US_Dallas_A|达拉斯1|达拉斯|北美地区|e48e2312-306d-11e7-9796-0050569b4d9c
EUR_Germany_A|德国1|法兰克福|欧洲地区|7b98a5d1-306e-11e7-9796-0050569b4d9c
EUR_Netherlands_A|荷兰1|阿姆斯特丹|欧洲地区|5c432e0e-306e-11e7-9796-0050569b4d9c`
    .trim().split('\n').map((l) => {
      const [RegionId, SiteName, CityName, RegionName, CityId] = l.split('|');
      return { CityId, CityName, IsSaling: 1, RegionId, RegionName, SiteName };
    });

  test('DescribeRegions is Appendix A: 18 regions, IsSaling the int 1', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const r = await s.client.ok('DescribeRegions', {}, { method });
      assert.ok(Array.isArray(r.data));
      assert.equal(r.data.length, 18);
      const byId = new Map(r.data.map((x: any) => [x.RegionId, x]));
      for (const want of APPENDIX_A) {
        const got = byId.get(want.RegionId) as Record<string, unknown> | undefined;
        assert.ok(got, `region ${want.RegionId} is listed`);
        for (const [k, v] of Object.entries(want)) assert.strictEqual(got[k], v, `${want.RegionId}.${k}`);
      }
    }
  });

  test('DescribeAvailableDBConfig matches spec §4.2 field by field, with JSON types the SDK decodes', async () => {
    const installed = /Ver (\d+\.\d+)\./.exec(execFileSync('/usr/sbin/mariadbd', ['--version'], { encoding: 'utf8' }))![1]!;
    for (const method of ['GET', 'POST'] as const) {
      const r = await s.client.call('DescribeAvailableDBConfig', { RegionId: 'CN_Hongkong_A' }, { method });
      assert.equal(r.status, 200);
      assert.equal(r.body.TaskId, '', 'TaskId is ""');
      const d = r.body.Data;
      assert.equal(d.ProductName, 'mysql');
      assert.equal(d.RegionId, 'CN_Hongkong_A');
      assert.ok(Array.isArray(d.Products) && d.Products.length >= 1);
      const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
      const isStr = (v: unknown) => typeof v === 'string';
      const offered = new Map<number, number>(); // PaasGoodsId → ArchitectureType
      for (const p of d.Products) {
        assert.ok(isStr(p.Version));
        assert.equal(p.Version, installed, 'Version is the installed MariaDB major.minor');
        assert.ok(Array.isArray(p.Architectures));
        assert.deepEqual(p.Architectures.map((a: any) => a.ArchitectureType).sort(), [0, 1], 'both ArchitectureType 0 and 1 are offered');
        for (const a of p.Architectures) {
          assert.ok(isInt(a.ArchitectureType));
          assert.ok(isStr(a.ArchitectureName) && a.ArchitectureName.length > 0);
          assert.ok(isStr(a.SubProductName) && !a.SubProductName.endsWith('\n'));
          assert.ok(Array.isArray(a.EnginesType), 'EnginesType is an array');
          assert.ok(Array.isArray(a.NetworkLinks) && a.NetworkLinks.length > 0);
          for (const l of a.NetworkLinks) for (const k of ['DescDetail', 'LinkType', 'Name']) assert.ok(isStr(l[k]), `NetworkLinks.${k}`);
          assert.ok(a.NetworkLinks.some((l: any) => l.LinkType === 'default_link'));
          assert.ok(Array.isArray(a.ComputeRoles) && a.ComputeRoles.length > 0);
          for (const role of a.ComputeRoles) {
            assert.ok(isStr(role.ComputeName));
            assert.strictEqual(role.ComputeType, 0);
            const disks = role.Standards.AttachDisk;
            assert.deepEqual(disks.map((x: any) => x.DiskValue).sort(), ['high_disk', 'ssd_disk']);
            for (const disk of disks) {
              for (const k of ['BasicIops', 'DiskName', 'DiskUnit', 'DiskValue']) assert.ok(isStr(disk[k]), `AttachDisk.${k} is a string`);
              for (const k of ['DiskMax', 'DiskMaxExpand', 'DiskMin', 'DiskStep']) assert.ok(isInt(disk[k]), `AttachDisk.${k} is an int`);
              assert.equal(disk.DiskUnit, 'G');
              assert.ok(disk.DiskMin <= disk.DiskMax && disk.DiskStep > 0);
            }
            assert.equal(disks.find((x: any) => x.DiskValue === 'high_disk').BasicIops, '3000');
            assert.ok(Array.isArray(role.Standards.CpuRam) && role.Standards.CpuRam.length > 0);
            for (const cr of role.Standards.CpuRam) {
              for (const k of ['CPU', 'PaasGoodsId', 'RAM']) assert.ok(isInt(cr[k]), `CpuRam.${k} is an int`);
              assert.equal(cr.Name, `${cr.CPU}C${cr.RAM}G`);
              assert.ok(!offered.has(cr.PaasGoodsId), `PaasGoodsId ${cr.PaasGoodsId} is offered once`);
              offered.set(cr.PaasGoodsId, a.ArchitectureType);
            }
          }
        }
      }
      assert.equal(offered.get(BASIC_1C2G), 0, 'basic 1C2G is offered as ArchitectureType 0');
      assert.equal(offered.get(HA_1C2G), 1, 'the seed\'s 17060 (1C2G) is ArchitectureType 1');
      // Nothing that Terraform dereferences is null anywhere.
      assert.equal(JSON.stringify(d).includes('null'), false, 'no null in Data');
    }
  });

  test('DescribeAvailableDBConfig answers for every region of DescribeRegions', async () => {
    const regions = (await s.client.ok('DescribeRegions')).data;
    for (const r of regions) {
      const cfg = await s.client.ok('DescribeAvailableDBConfig', { RegionId: r.RegionId }, { method: 'GET' });
      assert.equal(cfg.data.RegionId, r.RegionId);
    }
  });
});
