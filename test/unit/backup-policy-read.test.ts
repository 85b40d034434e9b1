/**
 * DescribeDbBackupPolicy (openrds extension, docs/backups.md "Reading the policy"): what
 * ModifyDbBackupPolicy set comes back in the same shape, over GET and POST, per tenant; refusals
 * use the registry's codes. Real API server and SQLite store, fakes for the engine ports.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiApp, type ApiApp } from '../support/api-app.js';

let a: ApiApp;
const U = '0c0c0c0c-0000-4000-8000-000000000001';
const U_RO = '0c0c0c0c-0000-4000-8000-000000000002';
const U_OTHER = '0c0c0c0c-0000-4000-8000-000000000003';

before(async () => {
  a = await startApiApp();
  const now = Date.now();
  const inst = (uuid: string, tenant: string, over: Record<string, unknown>) => ({
    uuid, tenant_id: tenant, name: `p-${uuid.slice(-1)}`, region_id: 'CN_Beijing_A', vdc_id: 'vdc-default', pipe_id: 'pipe-default',
    paas_goods_id: 17060, architecture: 1, cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100, ip: `127.10.0.${uuid.slice(-1)}`,
    port: 3306, time_zone: '+08:00', status: 'RUNNING', status_detail: '', version: '10.11', parent_uuid: null, created_at: now, updated_at: now,
    deleted_at: null, ...over,
  });
  await a.store.db.insertInto('instances').values([
    inst(U, a.tenantId, {}), inst(U_RO, a.tenantId, { parent_uuid: U, paas_goods_id: 15686 }), inst(U_OTHER, 'other-tenant', {}),
  ]).execute();
});
after(async () => a.close());

test('no policy yet: DataBackups is null', async () => {
  const r = await a.call('DescribeDbBackupPolicy', { InstanceUuid: U }, { method: 'GET' });
  assert.equal(r.body.Code, 'Success', r.text);
  assert.deepEqual(r.body.Data, { InstanceUuid: U, DataBackups: null, TimeZone: '+08:00', UpdatedTime: '' });
});

const CASES: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['weekdays unsorted, on', { TimeSlot: '02:00-03:00', DateList: ['5', '1', '3'], Sign: 1 }, { TimeSlot: '02:00-03:00', DateList: ['1', '3', '5'], Sign: 1 }],
  ['every day, last slot', { TimeSlot: '23:00-24:00', DateList: ['0', '1', '2', '3', '4', '5', '6'], Sign: 1 }, { TimeSlot: '23:00-24:00', DateList: ['0', '1', '2', '3', '4', '5', '6'], Sign: 1 }],
  ['switched off', { TimeSlot: '00:00-01:00', DateList: ['0'], Sign: 0 }, { TimeSlot: '00:00-01:00', DateList: ['0'], Sign: 0 }],
];
for (const [name, set, want] of CASES) {
  for (const method of ['GET', 'POST'] as const) {
    test(`read back what was set (${name}, ${method})`, async () => {
      const m = await a.call('ModifyDbBackupPolicy', { InstanceUuid: U, DataBackups: set });
      assert.equal(m.body.Code, 'Success', m.text);
      const r = await a.call('DescribeDbBackupPolicy', { InstanceUuid: U }, { method });
      assert.equal(r.body.Code, 'Success', r.text);
      assert.deepEqual(r.body.Data.DataBackups, want);
      assert.match(r.body.Data.UpdatedTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      // The answer is a valid ModifyDbBackupPolicy parameter: sending it back succeeds and changes nothing.
      const again = await a.call('ModifyDbBackupPolicy', { InstanceUuid: U, DataBackups: r.body.Data.DataBackups });
      assert.equal(again.body.Code, 'Success', again.text);
      const r2 = await a.call('DescribeDbBackupPolicy', { InstanceUuid: U });
      assert.deepEqual(r2.body.Data.DataBackups, want);
    });
  }
}

const REFUSED: Array<[string, Record<string, unknown>, string, number]> = [
  ['no InstanceUuid', {}, 'ArgMissing', 400],
  ['unknown instance', { InstanceUuid: '0c0c0c0c-0000-4000-8000-0000000000ff' }, 'ResourceNotFound', 404],
  ["another tenant's instance", { InstanceUuid: U_OTHER }, 'ResourceNotFound', 404],
  ['a read-only instance', { InstanceUuid: U_RO }, 'UnsupportedOperation', 400],
];
for (const [name, params, code, status] of REFUSED) {
  test(`refused: ${name}`, async () => {
    const r = await a.call('DescribeDbBackupPolicy', params);
    assert.equal(r.body.Code, code, r.text);
    assert.equal(r.status, status);
  });
}
