/** MetricsRepo on a real store of each backend: the upsert adds like addRows, queries, and retention. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { METRICS } from '../../src/metrics/definitions.js';
import { addRows, bucketStart, DAY, HOUR, pointValue, retentionCutoffs, sampleRows, type PointRow } from '../../src/metrics/rollup.js';
import { applyRetention } from '../../src/metrics/retention.js';
import type { Store } from '../../src/store/store.js';
import { STORE_BACKENDS } from '../support/stores.js';

let store: Store;
const NOW = Date.UTC(2024, 6, 1, 12, 0, 0);

async function addInstance(uuid: string, deletedAt: number | null = null): Promise<void> {
  await store.db.insertInto('instances').values({
    uuid, tenant_id: 't1', name: uuid, region_id: 'CN_Beijing_A', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 27060, architecture: 0,
    cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100, ip: `127.0.0.${Math.floor(Math.random() * 250) + 1}-${uuid}`, port: 3306,
    time_zone: '+08:00', status: deletedAt !== null ? 'DELETED' : 'RUNNING', status_detail: '', version: '10.11.0', parent_uuid: null,
    created_at: NOW, updated_at: NOW, deleted_at: deletedAt,
  }).execute();
}

// The suites run one after the other (node:test runs a file's tests in order), each on its own store.
for (const backend of STORE_BACKENDS) describe(`metrics on ${backend.name}`, () => {
  before(async () => {
    store = (await backend.fresh()).store;
  });
  after(async () => {
    await store?.close();
  });

  test('series ids are small, stable and per instance', async () => {
    const a = await store.metrics.seriesIds(['ia', 'ib'], NOW);
    const again = await store.metrics.seriesIds(['ib', 'ia', 'ic'], NOW);
    assert.equal(again.get('ia'), a.get('ia'));
    assert.equal(again.get('ib'), a.get('ib'));
    assert.deepEqual(new Set([again.get('ia'), again.get('ib'), again.get('ic')]), new Set([1, 2, 3]));
  });

  test('record adds into stored points exactly as addRows does, across calls (restarts)', async () => {
    await addInstance('up1');
    const id = (await store.metrics.seriesIds(['up1'], NOW)).get('up1')!;
    const samples = [
      { at: NOW, v: { mysql_cpu_usage: 10, mysql_sessions: 2 } },
      { at: NOW + 10_000, v: { mysql_cpu_usage: 20.5, mysql_slow_queries: 3 } },
      { at: NOW + 20_000, v: { mysql_sessions: 4, mysql_slow_queries: 1 } },
      { at: NOW + 30_000, v: { mysql_cpu_usage: 7 } },
    ];
    const reference = new Map<string, PointRow>();
    for (const s of samples) {
      const rows = sampleRows(s.at, s.v);
      addRows(reference, rows);
      await store.metrics.record(rows.map((r) => ({ ...r, series_id: id })), [{ node_id: 'n-up1', at: s.at, reading: '{}' }]);
    }
    const stored = await store.db.selectFrom('metric_points').selectAll().where('series_id', '=', id).execute();
    assert.equal(stored.length, reference.size);
    for (const r of stored) {
      const want = reference.get(`${r.period}:${r.ts}`)!;
      const { series_id: _s, ...got } = r;
      assert.deepEqual(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, Number(v)])), want);
    }
    const cpu30 = await store.metrics.points('up1', 30, NOW, NOW + HOUR, 'cpu', 'avg');
    assert.deepEqual(cpu30, [{ ts: NOW, value: 15.25 }, { ts: NOW + 30_000, value: 7 }]);
    const sessions30 = await store.metrics.points('up1', 30, NOW, NOW + HOUR, 'sessions', 'avg');
    assert.deepEqual(sessions30, [{ ts: NOW, value: 3 }], 'a bucket without the metric is absent, not 0');
    const slow60 = await store.metrics.points('up1', 60, NOW, NOW, 'slow', 'sum');
    assert.deepEqual(slow60, [{ ts: NOW, value: 4 }]);
    // The store's value agrees with the pure rollup's for every row and metric.
    for (const r of reference.values()) {
      for (const key of ['mysql_cpu_usage', 'mysql_sessions', 'mysql_slow_queries'] as const) {
        const { column, report } = METRICS[key];
        const want = pointValue(r, key);
        const got = (await store.metrics.points('up1', r.period, r.ts, r.ts, column, report))[0]?.value;
        assert.equal(got, want, `${key} ${r.period} ${r.ts}`);
      }
    }
    assert.deepEqual(await store.metrics.points('nobody', 30, NOW, NOW + HOUR, 'cpu', 'avg'), []);
    assert.equal((await store.metrics.lastReadings()).find((r) => r.node_id === 'n-up1')?.at, NOW + 30_000, 'last reading replaced');
    await assert.rejects(store.metrics.points('up1', 30, 0, NOW, 'cpu; DROP TABLE x', 'avg'), /unknown metric column/);
  });

  test('retention removes the points each series keeps too long, the series of deleted instances and stale readings', async () => {
    await addInstance('ret1');
    await addInstance('gone1', NOW - 2 * 60_000);
    await addInstance('just-gone', NOW - 10_000);
    const ids = await store.metrics.seriesIds(['ret1', 'gone1', 'just-gone', 'never-existed'], NOW - 5 * 60_000);
    const fresh = await store.metrics.seriesIds(['fresh-unknown'], NOW);
    const rows: Array<PointRow & { series_id: number }> = [];
    // One point per period at many ages, for a live and a deleted instance.
    const ages = [0, HOUR, DAY - 30_000, DAY + HOUR, 14 * DAY, 16 * DAY, 30 * DAY, 32 * DAY, 61 * DAY, 63 * DAY, 90 * DAY];
    for (const uuid of ['ret1', 'gone1']) {
      for (const age of ages) {
        for (const r of sampleRows(NOW - age, { mysql_cpu_usage: 1 })) rows.push({ ...r, series_id: ids.get(uuid)! });
      }
    }
    const dedup = new Map(rows.map((r) => [`${r.series_id}:${r.period}:${r.ts}`, r]));
    await store.metrics.record([...dedup.values()], [{ node_id: 'no-such-node', at: NOW, reading: '{}' }]);

    const res = await applyRetention(store, NOW);
    assert.ok(res.series >= 1, 'the deleted instance\'s series is dropped (and the instance-less ones of the first test)');
    assert.ok(res.readings >= 1, 'readings of unknown nodes are dropped');
    const left = (await store.metrics.listSeries()).map((s) => s.instance_uuid);
    assert.equal(left.includes('gone1'), false, 'deleted 2 min ago: dropped');
    assert.equal(left.includes('never-existed'), false, 'no instance at all: dropped');
    assert.equal(left.includes('just-gone'), true, 'deleted 10 s ago: kept a little longer (a round may be writing)');
    assert.equal(left.includes('fresh-unknown'), true, 'a series made a moment ago is left alone');
    assert.ok(fresh.get('fresh-unknown'));
    assert.equal((await store.db.selectFrom('metric_points').select('ts').where('series_id', '=', ids.get('gone1')!).execute()).length, 0);

    const kept = await store.db.selectFrom('metric_points').select(['period', 'ts']).where('series_id', '=', ids.get('ret1')!).execute();
    const cut = new Map(retentionCutoffs(NOW).map((c) => [c.period, c.before]));
    for (const p of [30, 60, 300, 3600] as const) {
      const got = kept.filter((r) => r.period === p).map((r) => Number(r.ts)).sort((a, b) => a - b);
      const want = [...new Set(ages.map((a) => bucketStart(NOW - a, p)))].filter((ts) => ts >= cut.get(p)!).sort((a, b) => a - b);
      assert.deepEqual(got, want, `period ${p}`);
    }
    // Concretely: 30 s keeps < 1 d, 60 s keeps 14 d but not 16 d, 300 s keeps 30 d but not 32 d, 3600 s keeps 61 d but not 63 d.
    const has = (p: number, age: number) => kept.some((r) => r.period === p && Number(r.ts) === bucketStart(NOW - age, p as 30));
    assert.equal(has(30, DAY - 30_000), true);
    assert.equal(has(30, DAY + HOUR), false);
    assert.equal(has(60, 14 * DAY), true);
    assert.equal(has(60, 16 * DAY), false);
    assert.equal(has(300, 30 * DAY), true);
    assert.equal(has(300, 32 * DAY), false);
    assert.equal(has(3600, 61 * DAY), true);
    assert.equal(has(3600, 63 * DAY), false);

    const second = await applyRetention(store, NOW);
    assert.deepEqual(second, { points: 0, series: 0, readings: 0 }, 'a second pass at the same time deletes nothing');
    const later = await applyRetention(store, NOW + 2 * DAY);
    assert.ok(later.points > 0, 'time passing makes more points old');
  });

  // 300,000 upserted rows: ~20 s on SQLite, ~60 s on PostgreSQL here. Its SQL (record, the retention
  // deletes) is the same on both and covered on PostgreSQL by the tests above, so it runs on SQLite only.
  if (backend.name === 'sqlite') test('storage stays bounded: 64 simulated days of full series with a daily retention pass', async () => {
    await addInstance('bounded');
    const id = (await store.metrics.seriesIds(['bounded'], NOW)).get('bounded')!;
    const start = NOW - 64 * DAY;
    const counts: number[] = [];
    for (let day = start; day < NOW; day += DAY) {
      // Every bucket of every series of this day holds a point, as with a collector that never missed a round.
      const rows: Array<PointRow & { series_id: number }> = [];
      for (const p of [30, 60, 300, 3600] as const) {
        for (let ts = day; ts < day + DAY; ts += p * 1000) {
          rows.push({ ...sampleRows(ts, { mysql_cpu_usage: 5 }).find((r) => r.period === p)!, series_id: id });
        }
      }
      await store.metrics.record(rows, []);
      await applyRetention(store, day + DAY);
      const n = await store.db.selectFrom('metric_points').select((e) => e.fn.countAll<number>().as('n')).where('series_id', '=', id).executeTakeFirstOrThrow();
      counts.push(Number(n.n));
    }
    // Steady state per instance: 2880 + 15·1440 + 31·288 + 62·24 = 34,896 points, plus the bucket each keeps at its edge.
    const steady = 2880 + 15 * 1440 + 31 * 288 + 62 * 24;
    assert.ok(Math.max(...counts) <= steady + 4, `max ${Math.max(...counts)} > ${steady + 4}`);
    assert.equal(counts.at(-1), counts.at(-2), 'flat once every series is full');
    assert.ok(counts.at(-1)! >= steady, 'every series still covers its whole retention');
  });
});
