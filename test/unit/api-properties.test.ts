/**
 * Property-based tests of every action (issue 11, "habits"): parameters of every shape — missing,
 * wrong type, huge, characters of Unicode planes 0–16, control characters, injection strings,
 * mixed with values that are valid for the seeded store — sent signed through app.inject to the
 * real server and store, with hand-written Provisioner and Engine fakes (test/support/), so that
 * an input that happens to be valid runs in process and starts no database.
 *
 * Invariants, for every answer:
 * - it is the §2.1 envelope, its Code is Success or a code of the registry, and its HTTP status is
 *   that code's status;
 * - it is never a 5xx;
 * - when it is an error, nothing changed: every row of the store and the fakes' state are equal
 *   before and after.
 * Fixed seed, bounded runs (PROPERTY_RUNS, default 25 per action and method: about 40 s here).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ACTIONS } from '../../src/actions/index.js';
import { ERROR_CODES } from '../../src/api/errors.js';
import { adminTarget } from '../../src/instances/nodes.js';
import { startApiApp, type ApiApp } from '../support/api-app.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
const SEED = 20261201;

let a: ApiApp;
// Fixed ids, so a counterexample of the fixed seed names the same rows in every run.
const U_BASIC = '0b0b0b0b-0000-4000-8000-000000000001';
const U_HA = '0b0b0b0b-0000-4000-8000-000000000002';
const U_RO = '0b0b0b0b-0000-4000-8000-000000000003';
const U_OTHER_TENANT = '0b0b0b0b-0000-4000-8000-000000000004';
const BACKUP = '0b0b0b0b-0000-4000-8000-0000000000b1';
const TASK = '0b0b0b0b-0000-4000-8000-0000000000c1';
const UNKNOWN = '0b0b0b0b-0000-4000-8000-0000000000ff';

async function seed(): Promise<void> {
  const db = a.store.db;
  const now = Date.now();
  const inst = (uuid: string, tenant: string, over: Record<string, unknown>) => ({
    uuid, tenant_id: tenant, name: `seed-${uuid.slice(0, 4)}`, region_id: 'CN_Beijing_A', vdc_id: 'vdc-default', pipe_id: 'pipe-default',
    paas_goods_id: 27060, architecture: 0, cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100, ip: `127.10.0.${10 + Math.floor(Math.random() * 200)}`,
    port: 3306, time_zone: '+08:00', status: 'RUNNING', status_detail: '', version: '10.11', parent_uuid: null, created_at: now, updated_at: now,
    deleted_at: null, ...over,
  });
  await db.insertInto('instances').values([
    inst(U_BASIC, a.tenantId, { ip: '127.10.0.11' }),
    inst(U_HA, a.tenantId, { ip: '127.10.0.12', paas_goods_id: 17060, architecture: 1 }),
    inst(U_RO, a.tenantId, { ip: '127.10.0.13', paas_goods_id: 15686, architecture: 1, parent_uuid: U_HA }),
    inst(U_OTHER_TENANT, 'other-tenant', { ip: '127.10.0.14' }),
  ]).execute();
  const node = (id: string, uuid: string, role: string, ip: string, serverId: number) => ({
    id, instance_uuid: uuid, role, ip, port: 3306, server_id: serverId, desired: 'running', incarnation: null, last_seen_at: now, created_at: now,
  });
  await db.insertInto('nodes').values([
    node(`${U_BASIC}-0`, U_BASIC, 'primary', '127.10.0.11', 1),
    node(`${U_HA}-0`, U_HA, 'primary', '127.10.0.21', 2),
    node(`${U_HA}-1`, U_HA, 'standby', '127.10.0.22', 3),
    node(`${U_RO}-0`, U_RO, 'replica', '127.10.0.13', 4),
    node(`${U_OTHER_TENANT}-0`, U_OTHER_TENANT, 'primary', '127.10.0.14', 5),
  ]).execute();
  await db.insertInto('accounts').values([
    { instance_uuid: U_BASIC, name: 'app', type: 'Normal', description: '', password_hash: '*0', status: 'available', created_at: now },
    { instance_uuid: U_BASIC, name: 'boss', type: 'Super', description: '', password_hash: '*0', status: 'available', created_at: now },
    { instance_uuid: U_HA, name: 'app', type: 'Normal', description: '', password_hash: '*0', status: 'available', created_at: now },
  ]).execute();
  for (const [uuid, ip] of [[U_BASIC, '127.10.0.11'], [U_HA, '127.10.0.21']] as const) {
    const t = adminTarget(a.svc, { uuid }, { ip, port: 3306 });
    await a.engine.ensureAccount(t, { name: 'app', passwordHash: '*0', type: 'Normal' });
  }
  await db.insertInto('backups').values({
    id: BACKUP, tenant_id: a.tenantId, instance_uuid: U_BASIC, type: 'physical-backup', mode: 'manual', strategy: 'instance', db_list: '[]',
    description: '', status: 'finished', status_detail: '', task_id: TASK, file: `${BACKUP}.xb`, size_bytes: 10, sha256: 'x', gtid: '0-1-1',
    binlog_file: 'b.000001', binlog_pos: 4, source_node: `${U_BASIC}-0`, source_role: 'primary', slot_at: null, created_at: now,
    started_at: now, finished_at: now, updated_at: now,
  }).execute();
  await db.insertInto('tasks').values({
    id: TASK, group_id: TASK, tenant_id: a.tenantId, instance_uuid: BACKUP, type: 'CreateBackup', status: 'FINISH', step: 1, params: '{}',
    state: '{}', error: '', attempts: 1, lease_owner: null, lease_until: null, created_at: now, updated_at: now, finished_at: now,
  }).execute();
  a.engine.calls.length = 0;
}

/**
 * After a Success, as if the task runner had finished the work: mutating actions would otherwise
 * leave the seeded instances busy and every later run would stop at ResourceInUse.
 */
async function settle(): Promise<void> {
  const db = a.store.db;
  await db.updateTable('tasks').set({ status: 'FINISH', finished_at: Date.now() }).where('status', 'in', ['NEW', 'DOING']).execute();
  await db.updateTable('instances').set({ status: 'RUNNING' }).where('deleted_at', 'is', null).execute();
  await db.updateTable('backups').set({ status: 'failed' }).where('status', 'in', ['running', 'deleting']).where('id', '!=', BACKUP).execute();
  await db.updateTable('backups').set({ status: 'finished' }).where('id', '=', BACKUP).execute();
}

before(async () => {
  a = await startApiApp();
  await seed();
});
after(async () => { await a?.close(); });

test('a read-only instance: reads go to its own node, account changes are UnsupportedOperation (found by the property)', async () => {
  for (const action of ['DescribeDBParameter', 'DescribeDBAccount']) {
    const r = await a.call(action, { InstanceUuid: U_RO });
    assert.equal(r.status, 200, `${action}: ${r.text.slice(0, 300)}`);
  }
  const changes: Array<[string, Record<string, unknown>]> = [
    ['DeleteDBAccount', { AccountName: 'app' }],
    ['DeleteDbPrivilege', { AccountName: 'app', DBNames: ['shop'] }],
    ['ModifyDbPrivilege', { AccountName: 'app', Operations: [{ DBName: 'shop', Privilege: 'ReadOnly' }] }],
  ];
  await a.store.db.insertInto('accounts').values({ instance_uuid: U_RO, name: 'app', type: 'Normal', description: '', password_hash: '*0', status: 'available', created_at: Date.now() }).execute();
  try {
    for (const [action, params] of changes) {
      const r = await a.call(action, { InstanceUuid: U_RO, ...params });
      assert.equal(r.body?.Code, 'UnsupportedOperation', `${action}: ${r.text.slice(0, 300)}`);
      assert.match(r.body.Message, new RegExp(U_HA));
    }
  } finally {
    await a.store.deleteAccount(U_RO, 'app');
  }
});

// --- generators ---

const INJECTION = [
  "' OR '1'='1", "'; DROP TABLE instances; --", '" OR ""="', '`; SELECT 1; `', "root'@'%", "x\\' OR 1=1 #", '\\', '%', '_', '*', '%00', '\u0000',
  '../../../etc/passwd', '${jndi:ldap://x/a}', '{{7*7}}', '<script>alert(1)</script>', '$(id)', '|id', 'a\r\nSet-Cookie: x=1', '\uFEFF',
  '__proto__', 'constructor', 'toString', 'NaN', 'Infinity', '-0', '1e309', '0x10', ' 1 ', '１２３', 'null', 'true', '[]', '{}',
];

/** One character of plane `p` (0–16), lone surrogates and noncharacters included. */
const planeChar = fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 0xffff })).map(([p, o]) => String.fromCodePoint(p * 0x10000 + o));
const control = fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f).map((c) => String.fromCharCode(c));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTION),
  fc.string({ maxLength: 20 }),
  fc.array(planeChar, { minLength: 1, maxLength: 12 }).map((x) => x.join('')),
  fc.tuple(fc.string({ maxLength: 5 }), control, fc.string({ maxLength: 5 })).map(([x, c, y]) => x + c + y),
  fc.integer({ min: 65, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 17, max: 300 }).map((n) => '😀'.repeat(n)),
  fc.constant(''),
);

const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 53), 2 ** 64, 1.5, -0.0001, 1e308),
  fc.boolean(),
  fc.constant(null),
);

const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, hostileScalar, tie('list'), tie('object')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('Name', 'Value', 'DBName', 'Privilege', 'AllCreate', 'TimeSlot', 'DateList', 'Sign')), tie('value'), { maxKeys: 4 }),
})).value;

/** Values that are valid somewhere in the seeded store, per parameter name. */
const GOOD: Record<string, unknown[]> = {
  InstanceUuid: [U_BASIC, U_HA, U_RO, U_OTHER_TENANT, UNKNOWN, 'not-a-uuid'],
  AccountName: ['app', 'boss', 'root', 'openrds_admin', 'new_user', 'app2'],
  AccountType: ['Normal', 'Super'],
  Password: ['Good-Pass1', 'short', 'NoDigits-Here'],
  Description: ['ops team', '数据 😀'],
  RegionId: ['CN_Beijing_A', 'CN_Nowhere'],
  VdcId: ['vdc-default'], BasePipeId: ['pipe-default'],
  InstanceName: ['shop', '店 😀'],
  PaasGoodsId: [27060, 17060, 15686, 26704, '27060', 1],
  DiskType: ['ssd_disk', 'high_disk'], DiskValue: [100, 200, 0, 10, '100'], Amount: [1, 2, 3, 4],
  ServicePort: [3306, 9100, 80], TimeZone: ['+08:00', 'Mars/Base'], SubjectId: [1], TestGroupId: [0],
  DBName: ['shop', 'app_db', 'nope'], DBNames: [['shop'], ['nope'], []], DBList: [['shop'], ['app_db', 'shop'], []],
  Privilege: ['ReadWrite', 'ReadOnly', 'DMLOnly', 'DDLOnly', 'All'],
  Operations: [[{ DBName: 'shop', Privilege: 'ReadOnly' }], [{ DBName: 'app_db', Privilege: 'ReadWrite' }, { DBName: 'shop', Privilege: 'DDLOnly' }]],
  ExtraPrivilege: [{ AllCreate: 'true' }, { AllCreate: 'false' }],
  Parameters: [[{ Name: 'back_log', Value: '100' }], [{ Name: 'max_connections', Value: 500 }], [{ Name: 'datadir', Value: '/tmp' }]],
  BackupType: ['physical-backup', 'logical-backup'], BackupStrategy: ['instance', 'db'], Desc: ['nightly', '备份 😀'],
  BackupId: [BACKUP, UNKNOWN], TaskId: [TASK, UNKNOWN, 'x'],
  DataBackups: [{ TimeSlot: '02:00-03:00', DateList: ['0', '3'], Sign: 1 }, { TimeSlot: '23:00-24:00', DateList: ['6'], Sign: 0 }],
  MetricKey: ['mysql_cpu_usage', 'mysql_network_trffice', 'mysql_nope'],
  StartTime: ['2026-12-01 00:00:00', '2026-11-01 00:00:00'], EndTime: ['2026-12-01 01:00:00', '2026-12-31 00:00:00'],
  IP: ['127.10', '%'], TagName: ['x'],
  SelectTime: ['2026-12-01 00:00:00', '2026-02-30 00:00:00'], TemporaryInstanceName: ['tmp'], TemporaryInstanceUuid: [UNKNOWN],
};

/** Every parameter each action reads (src/actions/*), as its handler names them. */
const ACTION_PARAMS: Record<string, string[]> = {
  DescribeRegions: [], DescribeDbPrivileges: [],
  DescribeAvailableDBConfig: ['RegionId'],
  CreateDBInstance: ['RegionId', 'VdcId', 'BasePipeId', 'InstanceName', 'PaasGoodsId', 'DiskType', 'DiskValue', 'Password', 'Amount', 'ServicePort', 'TimeZone', 'SubjectId'],
  DescribeDBInstances: ['InstanceUuid', 'InstanceName', 'IP', 'TagName'],
  DeleteDBInstance: ['InstanceUuid'],
  CreatePrivilegedAccount: ['InstanceUuid', 'AccountName', 'Password', 'AccountType', 'Description'],
  DescribeTask: ['TaskId'],
  DescribeDBInstancePerformance: ['InstanceUuid', 'MetricKey', 'StartTime', 'EndTime'],
  DescribeAvailableReadOnlyConfig: ['InstanceUuid'],
  CreateReadOnlyDBInstance: ['InstanceUuid', 'InstanceName', 'PaasGoodsId', 'DiskType', 'DiskValue', 'Amount', 'ServicePort', 'TestGroupId', 'SubjectId'],
  DescribeDBAccount: ['InstanceUuid'],
  ModifyDbPrivilege: ['InstanceUuid', 'AccountName', 'Operations', 'ExtraPrivilege'],
  DeleteDbPrivilege: ['InstanceUuid', 'AccountName', 'DBNames'],
  DeleteDBAccount: ['InstanceUuid', 'AccountName'],
  DescribeDBParameter: ['InstanceUuid'],
  ModifyDBParameter: ['InstanceUuid', 'Parameters'],
  DescribeDBParameterModifyHistory: ['InstanceUuid', 'StartTime', 'EndTime'],
  DescribeModifiableDBSpec: ['InstanceUuid'],
  ModifyDBInstanceSpec: ['InstanceUuid', 'PaasGoodsId', 'DiskType', 'DiskValue'],
  CreateBackup: ['InstanceUuid', 'BackupType', 'BackupStrategy', 'DBList', 'Desc'],
  DescribeBackups: ['InstanceUuid'],
  DeleteBackup: ['InstanceUuid', 'BackupId'],
  DownloadBackup: ['InstanceUuid', 'BackupId'],
  ModifyDbBackupPolicy: ['InstanceUuid', 'DataBackups'],
  DescribeDbBackupPolicy: ['InstanceUuid'],
  StartBatchRollback: ['InstanceUuid', 'BackupId'],
  DescribeRollbackRangeTime: ['InstanceUuid'],
  StartBatchRollbackToTemporaryDBInstance: ['InstanceUuid', 'SelectTime', 'TemporaryInstanceName'],
  DescribeTemporaryDBInstances: ['InstanceUuid'],
  RegularizeTemporaryDBInstances: ['InstanceUuid', 'TemporaryInstanceUuid'],
  DeleteTemporaryDBInstances: ['InstanceUuid', 'TemporaryInstanceUuid'],
};

/** A parameter's value: absent, good for the seeded store, or hostile of any shape. */
function paramValue(name: string): fc.Arbitrary<unknown> {
  const good = GOOD[name] ?? [];
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    ...(good.length ? [{ arbitrary: fc.constantFrom(...good), weight: 5 }] : []),
    { arbitrary: hostileValue, weight: 3 },
  );
}

function paramsFor(action: string): fc.Arbitrary<Record<string, unknown>> {
  const names = ACTION_PARAMS[action]!;
  const known = fc.tuple(...names.map((n) => paramValue(n))).map((vals) => {
    const out: Record<string, unknown> = {};
    names.forEach((n, i) => { if (vals[i] !== undefined) out[n] = vals[i]; });
    return out;
  });
  // Sometimes extra unknown or oddly named keys, too.
  return fc.tuple(known, fc.option(fc.dictionary(fc.string({ maxLength: 10 }), hostileScalar, { maxKeys: 3 }), { nil: undefined }))
    .map(([k, extra]) => ({ ...(extra ?? {}), ...k }));
}

/** GET carries strings only: the SDK's flattening of every scalar. */
function asGetParams(p: Record<string, unknown>): Record<string, unknown> {
  const conv = (v: unknown): unknown => (Array.isArray(v) ? v.map(conv) : v !== null && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x)])) : v === null ? null : String(v));
  return conv(p) as Record<string, unknown>;
}

// --- the property ---

test('every action is covered by the property', () => {
  assert.deepEqual(Object.keys(ACTION_PARAMS).sort(), [...ACTIONS.keys()].sort());
});

const tally = { success: 0, error: 0, codes: new Map<string, number>() };

const ONLY = process.env.PROPERTY_ACTIONS?.split(',');
for (const action of Object.keys(ACTION_PARAMS).filter((x) => !ONLY || ONLY.includes(x))) {
  for (const method of ['POST', 'GET'] as const) {
    test(`property: ${action} over ${method}: an envelope with a documented code, never 5xx, no change on error`, async () => {
      await fc.assert(
        fc.asyncProperty(paramsFor(action), async (params) => {
          const before = await a.snapshot();
          const r = await a.call(action, method === 'GET' ? asGetParams(params) : params, { method });
          const where = `${action} ${method} ${JSON.stringify(params).slice(0, 300)} → ${r.status} ${r.text.slice(0, 300)}`;
          assert.ok(r.status < 500, `5xx: ${where}`);
          assert.ok(r.body && typeof r.body === 'object', `not JSON: ${where}`);
          assert.deepEqual(Object.keys(r.body).sort(), ['Code', 'Data', 'Message', 'RequestId', 'TaskId'], where);
          assert.equal(typeof r.body.TaskId, 'string', where);
          assert.equal(typeof r.body.Message, 'string', where);
          assert.match(r.body.RequestId, /^[0-9a-f-]{36}$/, where);
          const code: string = r.body.Code;
          tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
          if (code === 'Success') {
            assert.equal(r.status, 200, where);
            tally.success++;
            await settle();
            return;
          }
          tally.error++;
          assert.ok(Object.hasOwn(ERROR_CODES, code), `undocumented code: ${where}`);
          assert.equal(r.status, ERROR_CODES[code as keyof typeof ERROR_CODES].status, where);
          assert.equal(r.body.Data, null, where);
          assert.equal(await a.snapshot(), before, `an error changed the store: ${where}`);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
      );
    });
  }
}

test('the properties reached both outcomes (the generators are not all refused at the first check)', (t) => {
  t.diagnostic(`answers: ${tally.success} Success, ${tally.error} errors; by code ${JSON.stringify(Object.fromEntries(tally.codes))}; engine calls ${a.engine.calls.length}`);
  assert.ok(tally.success > 0, `no Success at all: ${JSON.stringify([...tally.codes])}`);
  assert.ok(tally.error > 0);
  for (const code of ['ArgMissing', 'InvalidParameter', 'ResourceNotFound']) assert.ok(tally.codes.has(code), `${code} never seen: ${JSON.stringify([...tally.codes])}`);
});
