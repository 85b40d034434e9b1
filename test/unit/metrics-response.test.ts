/**
 * DescribeDBInstancePerformance: every parameter rule, and the response under the SDK's
 * decoding rules (spec §2.2): Value a JSON integer literal (never 12.5, never 12.0),
 * MonitorType a string, DateTime the key, Period an int; on both store backends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { describeDbInstancePerformance, parseApiTime, presentPerformance } from '../../src/actions/describe-db-instance-performance.js';
import { ApiError } from '../../src/api/errors.js';
import { mergeParams } from '../../src/api/params.js';
import { ParamReader } from '../../src/api/validate.js';
import { DEFAULT_CATALOG } from '../../src/catalog/defaults.js';
import { METRIC_KEYS } from '../../src/metrics/definitions.js';
import { addRows, DAY, HOUR, sampleRows } from '../../src/metrics/rollup.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { STORE_BACKENDS } from '../support/stores.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
let store: Store;
let svc: Services;

async function addInstance(uuid: string, tenant: string, architecture = 0): Promise<void> {
  await store.db.insertInto('instances').values({
    uuid, tenant_id: tenant, name: uuid, region_id: 'CN_Beijing_A', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 27060, architecture,
    cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100, ip: `ip-${uuid}`, port: 3306, time_zone: '+08:00', status: 'RUNNING',
    status_detail: '', version: '10.11.0', parent_uuid: null, created_at: NOW, updated_at: NOW, deleted_at: null,
  }).execute();
}

// One suite per backend (the points come from the store), one after the other.
for (const backend of STORE_BACKENDS) describe(`DescribeDBInstancePerformance on ${backend.name}`, () => {
  before(async () => {
    store = (await backend.fresh()).store;
    svc = { config: { catalog: DEFAULT_CATALOG }, store, clock: { now: () => NOW } } as unknown as Services;
    await addInstance('inst-a', 't1');
    await addInstance('inst-ha', 't1', 1);
    await addInstance('inst-other', 't2');
    // Values with fractions, so that rounding matters: 10.4, 10.6, 33.333…, 0.49, and slow-query sums.
    const id = (await store.metrics.seriesIds(['inst-a'], NOW)).get('inst-a')!;
    const m = new Map();
    const t = NOW - 2 * HOUR;
    addRows(m, sampleRows(t, { mysql_cpu_usage: 10.4, mysql_sessions: 1, mysql_slow_queries: 2, mysql_network_trffice: 0.49, mysql_mem_usage: 5.5 }));
    addRows(m, sampleRows(t + 30_000, { mysql_cpu_usage: 10.6, mysql_sessions: 2, mysql_slow_queries: 1, mysql_mem_usage: 6.5 }));
    addRows(m, sampleRows(t + 40_000, { mysql_cpu_usage: 100 / 3, mysql_sessions: 2, mysql_slow_queries: 0, mysql_space_usage: 12.5 }));
    await store.metrics.record([...m.values()].map((r) => ({ ...r, series_id: id })), []);
  });
  after(async () => {
    await store?.close();
  });

  async function call(params: Record<string, unknown>, tenantId = 't1') {
    const p = new ParamReader(mergeParams([], params));
    return describeDbInstancePerformance.handler({ tenantId, requestId: 'r', svc, log: undefined as never }, p);
  }

  const base = { InstanceUuid: 'inst-a', MetricKey: 'mysql_cpu_usage', StartTime: '2024-05-01 09:00:00', EndTime: '2024-05-01 11:00:00' };

  interface Bad { name: string; params: Record<string, unknown>; code: string; param?: RegExp; tenant?: string }
  const BAD: Bad[] = [
    { name: 'InstanceUuid missing', params: { ...base, InstanceUuid: undefined }, code: 'ArgMissing', param: /InstanceUuid/ },
    { name: 'InstanceUuid empty', params: { ...base, InstanceUuid: '' }, code: 'ArgMissing', param: /InstanceUuid/ },
    { name: 'MetricKey missing', params: { ...base, MetricKey: undefined }, code: 'ArgMissing', param: /MetricKey/ },
    { name: 'StartTime missing', params: { ...base, StartTime: undefined }, code: 'ArgMissing', param: /StartTime/ },
    { name: 'EndTime missing', params: { ...base, EndTime: undefined }, code: 'ArgMissing', param: /EndTime/ },
    { name: 'MetricKey unknown', params: { ...base, MetricKey: 'mysql_qps' }, code: 'InvalidParameter', param: /MetricKey/ },
    { name: 'MetricKey with the typo fixed is unknown', params: { ...base, MetricKey: 'mysql_network_traffic' }, code: 'InvalidParameter', param: /MetricKey/ },
    { name: 'MetricKey wrong case', params: { ...base, MetricKey: 'MYSQL_CPU_USAGE' }, code: 'InvalidParameter', param: /MetricKey/ },
    { name: 'MetricKey a list', params: { ...base, MetricKey: ['mysql_cpu_usage'] }, code: 'InvalidParameter', param: /MetricKey/ },
    { name: 'StartTime ISO with T', params: { ...base, StartTime: '2024-05-01T09:00:00' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime with Z', params: { ...base, StartTime: '2024-05-01 09:00:00Z' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime date only', params: { ...base, StartTime: '2024-05-01' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime without seconds', params: { ...base, StartTime: '2024-05-01 09:00' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime epoch number', params: { ...base, StartTime: 1714554000 }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime 30 February', params: { ...base, StartTime: '2024-02-30 09:00:00' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime hour 24', params: { ...base, StartTime: '2024-05-01 24:00:00' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime minute 60', params: { ...base, StartTime: '2024-05-01 09:60:00' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'StartTime single-digit month', params: { ...base, StartTime: '2024-5-01 09:00:00' }, code: 'InvalidParameter', param: /StartTime/ },
    { name: 'EndTime garbage', params: { ...base, EndTime: 'yesterday' }, code: 'InvalidParameter', param: /EndTime/ },
    { name: 'EndTime slash date', params: { ...base, EndTime: '2024/05/01 11:00:00' }, code: 'InvalidParameter', param: /EndTime/ },
    { name: 'EndTime before StartTime', params: { ...base, EndTime: '2024-05-01 08:59:59' }, code: 'InvalidParameter', param: /EndTime.*StartTime/ },
    { name: 'span over 30 days', params: { ...base, StartTime: '2024-03-01 00:00:00', EndTime: '2024-04-01 00:00:00' }, code: 'InvalidParameter', param: /EndTime.*30 days/ },
    { name: 'span of 30 days and 1 s', params: { ...base, StartTime: '2024-04-01 00:00:00', EndTime: '2024-05-01 00:00:01' }, code: 'InvalidParameter', param: /EndTime/ },
    { name: 'unknown instance', params: { ...base, InstanceUuid: 'no-such' }, code: 'ResourceNotFound', param: /no-such/ },
    { name: 'another tenant\'s instance', params: { ...base, InstanceUuid: 'inst-other' }, code: 'ResourceNotFound', param: /inst-other/ },
  ];

  for (const c of BAD) {
    test(`refused: ${c.name}`, async () => {
      await assert.rejects(call(c.params, c.tenant), (e: unknown) => {
        assert.ok(e instanceof ApiError, String(e));
        assert.equal(e.code, c.code);
        if (c.param) assert.match(e.message, c.param);
        return true;
      });
    });
  }

  test('accepted: exactly 30 days, StartTime = EndTime, and GET-style string params', async () => {
    const r30 = await call({ ...base, StartTime: '2024-04-01 00:00:00', EndTime: '2024-05-01 00:00:00' });
    assert.equal((r30.data as any).Period, 3600);
    const r0 = await call({ ...base, StartTime: '2024-05-01 10:00:00', EndTime: '2024-05-01 10:00:00' });
    assert.equal((r0.data as any).Period, 30);
    assert.equal((r0.data as any).DataPoints[0].Values.length, 1, 'the bucket holding the instant');
  });

  test('response: the shape and JSON types of §4.21; Values are rounded integers', async () => {
    const r = await call(base);
    const text = JSON.stringify({ Code: 'Success', Message: 'Success', Data: r.data, TaskId: '' });
    const d = JSON.parse(text).Data;
    assert.deepEqual(Object.keys(d).sort(), ['DataPoints', 'EndTime', 'InstanceUuid', 'MetricKey', 'Period', 'ProductType', 'StartTime'].sort());
    assert.equal(d.InstanceUuid, 'inst-a');
    assert.equal(d.MetricKey, 'mysql_cpu_usage');
    assert.equal(d.Period, 30);
    assert.ok(Number.isInteger(d.Period));
    assert.equal(d.StartTime, base.StartTime);
    assert.equal(d.EndTime, base.EndTime);
    assert.equal(typeof d.ProductType, 'string');
    assert.equal(d.DataPoints.length, 1);
    const dp = d.DataPoints[0];
    assert.deepEqual(Object.keys(dp).sort(), ['MetricName', 'MetricType', 'MonitorType', 'Unit', 'Values']);
    assert.equal(dp.MetricName, 'cpu_usage');
    assert.equal(dp.MetricType, 'gauge');
    assert.equal(dp.MonitorType, 'resources');
    assert.equal(typeof dp.MonitorType, 'string');
    assert.equal(dp.Unit, '%');
    // 10:00:00 bucket: 10.4 → 10; 10:00:30 bucket: (10.6 + 33.33) / 2 = 21.97 → 22
    assert.deepEqual(dp.Values, [{ DateTime: '2024-05-01 10:00:00', Value: 10 }, { DateTime: '2024-05-01 10:00:30', Value: 22 }]);
    for (const v of dp.Values) {
      assert.deepEqual(Object.keys(v), ['DateTime', 'Value']);
      assert.ok(Number.isInteger(v.Value));
    }
    // The raw JSON: every Value is an integer literal (no `.`, no exponent).
    const literals = [...text.matchAll(/"Value":([^,}]*)/g)].map((m) => m[1]!);
    assert.equal(literals.length, 2);
    for (const l of literals) assert.match(l, /^-?\d+$/);
  });

  test('response: every metric key, its MetricName, MonitorType and Unit; rounding of small values', async () => {
    const want: Record<string, [string, string, string, string, number[]]> = {
      mysql_cpu_usage: ['cpu_usage', 'gauge', 'resources', '%', [10, 22]],
      mysql_mem_usage: ['mem_usage', 'gauge', 'resources', '%', [6, 7]], // 5.5 → 6, 6.5 → 7 (half up)
      mysql_space_usage: ['space_usage', 'gauge', 'resources', '%', [13]],
      mysql_network_trffice: ['network_trffice', 'gauge', 'resources', 'MB/s', [0]], // 0.49 → 0, a measured value
      mysql_sessions: ['sessions', 'gauge', 'engine', '个', [1, 2]],
      mysql_slow_queries: ['slow_queries', 'counter', 'engine', '次', [2, 1]], // per-period sums
    };
    assert.deepEqual(Object.keys(want).sort(), [...METRIC_KEYS].sort());
    for (const key of METRIC_KEYS) {
      const r = await call({ ...base, MetricKey: key });
      const text = JSON.stringify(r.data);
      assert.doesNotMatch(text, /"Value":-?\d+\./, key);
      const dp = JSON.parse(text).DataPoints[0];
      const [name, type, monitor, unit, values] = want[key]!;
      assert.equal(dp.MetricName, name, key);
      assert.equal(dp.MetricType, type, key);
      assert.equal(dp.MonitorType, monitor, key);
      assert.equal(dp.Unit, unit, key);
      assert.deepEqual(dp.Values.map((v: any) => v.Value), values, key);
    }
  });

  test('response: no points is an empty Values list, never null; ProductType follows the architecture', async () => {
    const empty = (await call({ ...base, InstanceUuid: 'inst-ha' })).data as any;
    assert.deepEqual(empty.DataPoints[0].Values, []);
    assert.equal(empty.ProductType, 'mysql-replication');
    const basic = (await call(base)).data as any;
    assert.equal(basic.ProductType, 'mysql-basic');
  });

  test('response: a span of 2 days is answered by the 60 s series', async () => {
    const r = (await call({ ...base, StartTime: '2024-04-29 12:00:00', EndTime: '2024-05-01 12:00:00' })).data as any;
    assert.equal(r.Period, 60);
    assert.deepEqual(r.DataPoints[0].Values, [{ DateTime: '2024-05-01 10:00:00', Value: 18 }]); // (10.4 + 10.6 + 33.3) / 3
  });

  test('presentPerformance rounds every value to an integer literal, half up, and -0 to 0', () => {
    const q = { instanceUuid: 'i', productType: 'p', key: 'mysql_cpu_usage' as const, period: 30 as const, startTime: 's', endTime: 'e' };
    const pts = [0.5, 1.49999, 2.5, 99.99, 12.0, -0.2, 1e-9].map((v, i) => ({ ts: NOW + i * 30_000, value: v }));
    const d = presentPerformance(q, pts);
    assert.deepEqual(d.DataPoints[0]!.Values.map((v) => v.Value), [1, 1, 3, 100, 12, 0, 0]);
    const text = JSON.stringify(d);
    assert.doesNotMatch(text, /"Value":-?\d*\./);
    assert.doesNotMatch(text, /"Value":-0/);
  });

  test('parseApiTime: UTC, strict', () => {
    const cases: Array<[string, number | undefined]> = [
      ['2024-05-01 08:30:00', Date.UTC(2024, 4, 1, 8, 30, 0)],
      ['1970-01-01 00:00:00', 0],
      ['2024-02-29 23:59:59', Date.UTC(2024, 1, 29, 23, 59, 59)],
      ['2023-02-29 00:00:00', undefined],
      ['2024-13-01 00:00:00', undefined],
      ['2024-05-01 08:30:60', undefined],
      [' 2024-05-01 08:30:00', undefined],
      ['2024-05-01  08:30:00', undefined],
      ['', undefined],
    ];
    for (const [s, want] of cases) assert.equal(parseApiTime(s), want, JSON.stringify(s));
  });

  test('the 30 s series is answered for a 4 h span in the last day; days-old 1 h spans fall back to 60 s', async () => {
    const fresh = (await call({ ...base, StartTime: '2024-05-01 08:00:00', EndTime: '2024-05-01 12:00:00' })).data as any;
    assert.equal(fresh.Period, 30);
    const old = (await call({ ...base, StartTime: '2024-04-28 08:00:00', EndTime: '2024-04-28 09:00:00' })).data as any;
    assert.equal(old.Period, 60);
    assert.equal(NOW - Date.UTC(2024, 3, 28, 8) > DAY, true);
  });

  test('apiTimeFormatter agrees with apiTime on runs of times across days, months and years', async () => {
    const { apiTimeFormatter } = await import('../../src/actions/describe-db-instance-performance.js');
    const { apiTime } = await import('../../src/actions/present.js');
    const fmt = apiTimeFormatter();
    const starts = [0, Date.UTC(2024, 1, 28, 23, 0, 0), Date.UTC(2023, 11, 31, 23, 59, 30), NOW - 30 * DAY];
    for (const start of starts) {
      for (let t = start; t < start + 3 * DAY; t += 30 * 60_000 + 30_000) assert.equal(fmt(t), apiTime(t));
    }
    for (let i = 0; i < 2000; i++) {
      const t = Math.floor(Math.random() * 4e12 / 1000) * 1000;
      assert.equal(fmt(t), apiTime(t));
    }
  });
});
