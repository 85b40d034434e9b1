/**
 * The instance-row cache of the store's hot path (getInstance / DescribeDBInstances by uuid), on
 * both backends: every way the row can change is seen at once — a write through the store, a
 * write inside a transaction, a write by another connection (a CLI command, another process or
 * node). SQLite caches under its change token; PostgreSQL has none, so it caches nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { STORE_BACKENDS, type FreshStore } from '../support/stores.js';

const U = '11111111-2222-3333-4444-555555555555';

for (const backend of STORE_BACKENDS) {
  describe(`instance reads on ${backend.name}`, () => {
    let f: FreshStore;
    let store: Store;
    before(async () => {
      f = await backend.fresh();
      store = f.store;
      const now = Date.now();
      await store.db.insertInto('instances').values({
        uuid: U, tenant_id: 't1', name: 'a', region_id: 'r', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 27060, architecture: 0, cpu: 1, ram_gb: 2,
        disk_type: 'ssd_disk', disk_gb: 100, ip: '10.0.0.1', port: 3306, time_zone: '+08:00', status: 'RUNNING', status_detail: '', version: 'x',
        parent_uuid: null, created_at: now, updated_at: now, deleted_at: null,
      }).execute();
    });
    after(async () => {
      await store?.close();
    });

    const status = async () => (await store.getInstance('t1', U))?.status;

    test('the backend caches only with a change token', () => {
      assert.equal(typeof store.backend.changeToken, backend.name === 'sqlite' ? 'function' : 'undefined');
    });

    test('a write through the store is seen at once', async () => {
      assert.equal(await status(), 'RUNNING');
      assert.equal(await status(), 'RUNNING'); // cached on SQLite
      await store.updateInstance(U, { status: 'MODIFYING' });
      assert.equal(await status(), 'MODIFYING');
    });

    test('a write inside a transaction is seen after it', async () => {
      await status();
      await store.db.transaction().execute(async (trx) => {
        await trx.updateTable('instances').set({ status: 'FAILOVER' }).where('uuid', '=', U).execute();
      });
      assert.equal(await status(), 'FAILOVER');
    });

    test('a write by another connection (another process) is seen', async () => {
      await status();
      const other = await f.another();
      await other.db.updateTable('instances').set({ status: 'RECOVERING' }).where('uuid', '=', U).execute();
      await other.close();
      assert.equal(await status(), 'RECOVERING');
    });

    test('a deleted instance disappears; another tenant never sees it; a changed copy does not leak back', async () => {
      const row = await store.getInstance('t1', U);
      row!.status = 'CHANGED-BY-CALLER';
      assert.equal(await status(), 'RECOVERING');
      assert.equal(await store.getInstance('t2', U), undefined);
      await store.updateInstance(U, { deleted_at: Date.now() });
      assert.equal(await store.getInstance('t1', U), undefined);
    });
  });
}
