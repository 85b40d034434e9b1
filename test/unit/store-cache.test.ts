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

    // SQLite only (PostgreSQL has no token): what may leave it alone (writes that cannot change a cached row).
    if (backend.name === 'sqlite') test('a write that changed no row, or only other tables, keeps a table\'s token; a real change moves it', async () => {
      const token = () => store.backend.changeToken!(['instances', 'tenants']);
      const t0 = token();
      await store.db.updateTable('instances').set({ status: 'X' }).where('uuid', '=', 'no-such-instance').execute();
      await store.db.deleteFrom('tasks').where('id', '=', 'no-such-task').execute();
      assert.equal(token(), t0, 'a write that matched nothing');
      await store.db.insertInto('members').values({ id: 'm1', host_id: 'h', pid: 1, listen: '', started_at: 1, heartbeat_at: 1 }).execute();
      await store.db.updateTable('members').set({ heartbeat_at: 2 }).where('id', '=', 'm1').execute();
      assert.equal(token(), t0, 'a heartbeat');
      const all = store.backend.changeToken!();
      await store.db.insertInto('archive_streams').values({ instance_uuid: 'token-test', timeline: 1, run: 1, source_node: 'n', server_id: 1, start_file: 'f', start_gtid: '', archived_gtid: '', archived_event_at: null, caught_up_at: null, status: 'starting', status_detail: '', close_requested_at: null, updated_at: 1 } as any).execute();
      await store.db.updateTable('archive_streams').set({ caught_up_at: 2 }).where('instance_uuid', '=', 'token-test').execute();
      assert.equal(token(), t0, 'the archiver\'s stream rows');
      assert.notEqual(store.backend.changeToken!(), all, 'the token of every table moved');
      await store.db.updateTable('instances').set({ status_detail: 'x' }).where('uuid', '=', U).execute();
      const t1 = token();
      assert.notEqual(t1, t0, 'an instance row changed');
      await store.db.insertInto('tenants').values({ id: 'tk', name: 'token-test', created_at: 1 }).returning('id').execute();
      assert.notEqual(token(), t1, 'an INSERT … RETURNING that returned a row');
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
