/**
 * The store on both backends (a real SQLite file and a real scratch PostgreSQL): store URLs,
 * migrations run twice, numeric columns come back as numbers, the DescribeDBInstances filters
 * treat `_`, `%`, `!` and `\` literally and ignore case, the one-active-task rule, and claiming.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { parseStoreUrl, redactUrl } from '../../src/store/open-store.js';
import { TaskConflictError, type Store } from '../../src/store/store.js';
import { newTaskRow } from '../../src/tasks/new-task.js';
import { scratchPostgres } from '../support/postgres.js';
import { STORE_BACKENDS, type FreshStore } from '../support/stores.js';

describe('parseStoreUrl', () => {
  const HOME_DB = '/home/x/openrds.db';
  const cases: Array<[string, string, ReturnType<typeof parseStoreUrl> | RegExp]> = [
    ['empty is the home file', '', { backend: 'sqlite', file: HOME_DB }],
    ['blank is the home file', '  ', { backend: 'sqlite', file: HOME_DB }],
    ['sqlite alone is the home file', 'sqlite', { backend: 'sqlite', file: HOME_DB }],
    ['sqlite with an absolute path', 'sqlite:/var/lib/o.db', { backend: 'sqlite', file: '/var/lib/o.db' }],
    ['sqlite with a relative path resolves it', 'sqlite:o.db', { backend: 'sqlite', file: `${process.cwd()}/o.db` }],
    ['sqlite: without a path', 'sqlite:', /needs a file path/],
    ['postgres URL', 'postgres://u:p@h:5433/db', { backend: 'postgres', url: 'postgres://u:p@h:5433/db' }],
    ['postgresql URL', 'postgresql://h/db?sslmode=disable', { backend: 'postgres', url: 'postgresql://h/db?sslmode=disable' }],
    ['upper-case scheme', 'POSTGRES://h/db', { backend: 'postgres', url: 'POSTGRES://h/db' }],
    ['postgres without a host', 'postgres://', /must be postgres/],
    ['mysql URL', 'mysql://h/db', /must be postgres/],
    ['a bare path', '/var/lib/o.db', /must be postgres/],
    ['the error hides the password', 'pgsql://u:secret@h/db', /u:\*\*\*@h/],
  ];
  for (const [name, url, want] of cases) {
    test(name, () => {
      if (want instanceof RegExp) {
        assert.throws(() => parseStoreUrl(url, HOME_DB), want);
        if (url.includes('secret')) assert.throws(() => parseStoreUrl(url, HOME_DB), (e: Error) => !e.message.includes('secret'));
      } else assert.deepEqual(parseStoreUrl(url, HOME_DB), want);
    });
  }
  test('redactUrl', () => {
    assert.equal(redactUrl('postgres://u:p%40ss@h:1/db'), 'postgres://u:***@h:1/db');
    assert.equal(redactUrl('postgres://u@h/db'), 'postgres://u@h/db');
    assert.equal(redactUrl('postgres://h/db'), 'postgres://h/db');
  });
});

describe('store URL precedence: --store, then OPENRDS_STORE_URL, then store.url in the config file', () => {
  const FLAG = 'postgres://flag/db';
  const ENV = 'postgres://env/db';
  const FILE = 'postgres://file/db';
  const cases: Array<[string, { flag?: string; env?: string; file?: string }, string]> = [
    ['nothing set: empty (the home SQLite file)', {}, ''],
    ['file only', { file: FILE }, FILE],
    ['env beats file', { env: ENV, file: FILE }, ENV],
    ['flag beats env and file', { flag: FLAG, env: ENV, file: FILE }, FLAG],
    ['flag alone', { flag: FLAG }, FLAG],
    ['an empty flag still wins (back to SQLite)', { flag: '', env: ENV, file: FILE }, ''],
    ['an empty env var still wins over the file', { env: '', file: FILE }, ''],
  ];
  for (const [name, c, want] of cases) {
    test(name, () => {
      const home = mkdtempSync(join(tmpdir(), 'openrds-cfg-'));
      const saved = process.env.OPENRDS_STORE_URL;
      try {
        if (c.file !== undefined) writeFileSync(join(home, 'config.json'), JSON.stringify({ store: { url: c.file } }));
        if (c.env === undefined) delete process.env.OPENRDS_STORE_URL;
        else process.env.OPENRDS_STORE_URL = c.env;
        assert.equal(loadConfig({ home, store: c.flag }).store.url, want);
      } finally {
        if (saved === undefined) delete process.env.OPENRDS_STORE_URL;
        else process.env.OPENRDS_STORE_URL = saved;
        rmSync(home, { recursive: true, force: true });
      }
    });
  }
});

const NOW = 1_733_000_000_000; // epoch ms beyond 2^31: an int8 on PostgreSQL

/** A finished backup row of `instance` (the fields the placement test needs are its id and instance). */
function backupRow(id: string, instance: string) {
  return {
    id, tenant_id: 't1', instance_uuid: instance, type: 'physical-backup', mode: 'manual', strategy: 'instance', db_list: '[]', description: '',
    status: 'finished', status_detail: '', task_id: 'tk', file: '', size_bytes: 0, sha256: '', gtid: '', binlog_file: '', binlog_pos: 0,
    source_node: '', source_role: '', slot_at: null, created_at: NOW, started_at: null, finished_at: null, updated_at: NOW,
  };
}

function instanceRow(uuid: string, name: string, ip: string, over: Record<string, unknown> = {}) {
  return {
    uuid, tenant_id: 't1', name, region_id: 'r', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 27060, architecture: 0, cpu: 1, ram_gb: 2,
    disk_type: 'ssd_disk', disk_gb: 100, ip, port: 3306, time_zone: '+08:00', status: 'RUNNING', status_detail: '', version: '10.11',
    parent_uuid: null, created_at: NOW, updated_at: NOW, deleted_at: null, ...over,
  };
}

for (const backend of STORE_BACKENDS) {
  describe(`store on ${backend.name}`, () => {
    let f: FreshStore;
    let store: Store;
    before(async () => {
      f = await backend.fresh();
      store = f.store;
    });
    after(async () => {
      await store?.close();
    });

    test('nonces, group-committed: one winner per nonce in a batch, replays lose, an expired row is taken over', async () => {
      const t = 1_000_000;
      const first = await Promise.all(Array.from({ length: 40 }, (_, i) => store.useNonce('K1', i % 10 === 0 ? 'dup' : `n${i}`, t + 1000, t)));
      assert.equal(first.filter((x, i) => x && i % 10 === 0).length, 1, 'one of the four callers with the same nonce wins');
      assert.equal(first.filter((x, i) => x && i % 10 !== 0).length, 36);
      const again = await Promise.all([store.useNonce('K1', 'dup', t + 1500, t + 500), store.useNonce('K1', 'n1', t + 1500, t + 500), store.useNonce('K2', 'n1', t + 1500, t + 500)]);
      assert.deepEqual(again, [false, false, true], 'replays lose; the same nonce of another key wins');
      assert.equal(await store.useNonce('K1', 'n1', t + 3000, t + 1000), true, 'expired at its expiry: taken over');
      assert.equal(await store.useNonce('K1', 'n1', t + 3000, t + 1001), false);
    });

    test('advanceCaughtUp: RightBorderTimes of many streams in one write, forward only, only on the run given', async () => {
      const row = (uuid: string, run: number, caught: number | null) => ({
        instance_uuid: uuid, timeline: 1, run, source_node: 'n', server_id: 2 ** 31 + 7, start_file: 'mysql-bin.000001', start_gtid: '', archived_gtid: '',
        archived_event_at: null, caught_up_at: caught, status: 'streaming', status_detail: '', close_requested_at: null, updated_at: 1,
      });
      assert.ok(await store.recovery.createStream(row('cu-a', 1, null), 1));
      assert.ok(await store.recovery.createStream(row('cu-b', 1, 9_000), 1));
      assert.ok(await store.recovery.createStream(row('cu-c', 2, 5_000), 1));
      assert.ok(await store.recovery.createStream(row('cu-d', 1, 20_000), 1));
      await store.recovery.advanceCaughtUp([
        { instanceUuid: 'cu-a', run: 1, at: 10_000 }, { instanceUuid: 'cu-b', run: 1, at: 10_000 },
        { instanceUuid: 'cu-c', run: 1, at: 10_000 }, // its run moved on (2): left alone
        { instanceUuid: 'cu-d', run: 1, at: 11_000 }, // already later: never back
      ], 77);
      const got = Object.fromEntries((await store.recovery.listStreams()).filter((r) => r.instance_uuid.startsWith('cu-')).map((r) => [r.instance_uuid, [Number(r.caught_up_at), Number(r.updated_at)]]));
      assert.deepEqual(got, { 'cu-a': [10_000, 77], 'cu-b': [10_000, 77], 'cu-c': [5_000, 1], 'cu-d': [20_000, 1] });
      await store.recovery.advanceCaughtUp([], 78); // nothing to write: no statement
      for (const id of ['cu-a', 'cu-b', 'cu-c', 'cu-d']) await store.recovery.deleteStream(id);
    });

    test('migrations run again (another store, then the same one) and change nothing', async () => {
      const before = await store.db.selectFrom('kysely_migration' as any).select('name' as any).orderBy('name' as any).execute();
      assert.ok(before.length >= 6);
      const other = await f.another(); // opening migrates
      await other.migrate();
      await other.close();
      await store.migrate();
      const after = await store.db.selectFrom('kysely_migration' as any).select('name' as any).orderBy('name' as any).execute();
      assert.deepEqual(after, before);
      assert.equal(await store.countKeys(), 0);
    });

    test('the first access key: several stores (serve nodes starting at once on PostgreSQL) make exactly one', async () => {
      const others = [await f.another(), await f.another(), await f.another()];
      try {
        const first = (s: Store, i: number) => s.insertFirstKey('default', `tenant-${i}`, { id: `AKRACE${i}`, secret: 's', enabled: 1, created_at: 1000 + i });
        // PostgreSQL: all at once, as several nodes start. SQLite allows one serve per home (the
        // serve lock), so its stores take turns; the rule is the same.
        const all = [store, ...others];
        const made = backend.name === 'postgres' ? await Promise.all(all.map(first)) : await all.reduce(async (acc, s, i) => [...(await acc), await first(s, i)], Promise.resolve([] as boolean[]));
        assert.equal(made.filter(Boolean).length, 1, `made: ${made}`);
        assert.equal(await store.countKeys(), 1);
        assert.equal((await store.listKeys())[0]!.tenant, 'default');
        // Once a key exists, nobody makes another.
        assert.equal(await others[0]!.insertFirstKey('default', 'tenant-x', { id: 'AKLATE', secret: 's', enabled: 1, created_at: 2000 }), false);
        assert.equal(await store.countKeys(), 1);
      } finally {
        for (const o of others) await o.close();
        await store.db.deleteFrom('access_keys').execute();
        await store.db.deleteFrom('tenants').where('name', '=', 'default').execute();
        await store.db.deleteFrom('loop_state').where('loop', '=', 'bootstrap').execute();
      }
    });

    test('patchHaState changes only what the caller changes, on the row as it is now (a stale copy never overwrites)', async () => {
      await store.db.insertInto('instances').values(instanceRow('ha-patch', 'h', '10.9.0.7')).execute();
      const stale = (await store.getInstance('t1', 'ha-patch'))!.ha_state; // what the HA monitor read
      await store.updateInstance('ha-patch', { ha_state: JSON.stringify({ promotedAt: '0-1-9', rejoins: 2, failovers: [5] }) }); // a failover task meanwhile
      await Promise.all([1, 2, 3].map((i) => store.patchHaState('ha-patch', (cur) => JSON.stringify({ ...JSON.parse(cur), [`k${i}`]: i }))));
      await store.patchHaState('ha-patch', (cur) => JSON.stringify({ ...JSON.parse(cur), semiSync: true }));
      assert.equal(stale, '{}');
      assert.deepEqual(JSON.parse((await store.getInstance('t1', 'ha-patch'))!.ha_state), { promotedAt: '0-1-9', rejoins: 2, failovers: [5], k1: 1, k2: 2, k3: 3, semiSync: true });
      await store.patchHaState('no-such-instance', () => '{"x":1}'); // nothing to patch: no row made
      assert.equal(await store.getInstanceAnyTenant('no-such-instance'), undefined);
    });

    test('numeric columns are numbers: bigint, integer, real, double, count(*) and sums', async () => {
      await store.db.insertInto('instances').values({ ...instanceRow('num-1', 'n', '10.9.0.1'), disk_used_pct: 95.5 }).execute();
      const inst = await store.getInstance('t1', 'num-1');
      assert.ok(inst);
      for (const k of ['paas_goods_id', 'architecture', 'cpu', 'ram_gb', 'disk_gb', 'port', 'created_at', 'updated_at', 'disk_read_only', 'disk_used_pct'] as const) {
        assert.equal(typeof inst[k], 'number', `${k} is ${typeof inst[k]}`);
      }
      assert.equal(inst.created_at, NOW);
      assert.equal(inst.disk_used_pct, 95.5);
      const big = 5 * 1024 ** 4; // 5 TiB in bytes: needs int8
      await store.db.insertInto('backups').values({
        id: 'b-num', tenant_id: 't1', instance_uuid: 'num-1', type: 'physical-backup', mode: 'manual', strategy: 'instance', db_list: '[]',
        description: '', status: 'finished', status_detail: '', task_id: 'x', file: 'f', size_bytes: big, sha256: '', gtid: '',
        binlog_file: '', binlog_pos: 2 ** 40, source_node: '', source_role: '', slot_at: null, created_at: NOW, started_at: NOW,
        finished_at: NOW + 1, updated_at: NOW,
      }).execute();
      const b = await store.backups.get('b-num');
      assert.deepEqual([b?.size_bytes, b?.binlog_pos, b?.finished_at, b?.slot_at], [big, 2 ** 40, NOW + 1, null]);
      const agg = await store.db.selectFrom('backups').select((e) => [e.fn.countAll().as('n'), e.fn.sum('size_bytes').as('s'), e.fn.max('created_at').as('m')]).executeTakeFirstOrThrow();
      assert.deepEqual(agg, { n: 1, s: big, m: NOW }, 'count(*) is int8, sum(bigint) numeric on PostgreSQL');
      await store.insertTask(newTaskRow({ tenantId: 't1', instanceUuid: 'num-1', type: 'X', now: NOW }));
      assert.deepEqual(await store.countTasksByStatus(), { NEW: 1 });
      const ids = await store.metrics.seriesIds(['num-1'], NOW);
      assert.equal(typeof ids.get('num-1'), 'number');
    });

    test('node and instance writes of the tasks go through named methods: countNodeRestart, swapPrimary, forgetInstance', async () => {
      const node = (id: string, uuid: string, role: string, ip: string) => ({
        id, instance_uuid: uuid, role, ip, port: 3306, server_id: 1, desired: 'running', incarnation: null, last_seen_at: null, created_at: NOW,
      });
      await store.db.insertInto('instances').values([instanceRow('ha-1', 'ha', '10.8.0.1', { architecture: 1 }), instanceRow('ha-2', 'other', '10.8.0.9')]).execute();
      await store.db.insertInto('nodes').values([node('na', 'ha-1', 'primary', '10.8.0.2'), node('nb', 'ha-1', 'standby', '10.8.0.3'), node('nc', 'ha-2', 'primary', '10.8.0.9')]).execute();
      await store.db.insertInto('accounts').values([
        { instance_uuid: 'ha-1', name: 'u', type: 'Normal', description: '', password_hash: '*X', status: 'available', created_at: NOW },
        { instance_uuid: 'ha-2', name: 'u', type: 'Normal', description: '', password_hash: '*X', status: 'available', created_at: NOW },
      ]).execute();
      await store.parameters.setValues('ha-1', { back_log: '100' }, NOW);

      await store.countNodeRestart('na');
      await store.countNodeRestart('na');
      const restarts = async () => Object.fromEntries((await store.listAllNodes()).map((n) => [n.id, n.restarts]));
      assert.deepEqual(await restarts(), { na: 2, nb: 0, nc: 0 });

      await store.swapPrimary('ha-1', 'na', 'nb', { ha_state: '{"switchovers":1}', updated_at: NOW + 5 });
      assert.deepEqual((await store.listNodes('ha-1')).map((n) => [n.id, n.role]), [['na', 'standby'], ['nb', 'primary']]);
      const inst = await store.getInstanceAnyTenant('ha-1');
      assert.deepEqual([inst?.ha_state, inst?.updated_at], ['{"switchovers":1}', NOW + 5]);
      assert.equal((await store.listNodes('ha-2'))[0]?.role, 'primary', 'another instance is untouched');

      await store.forgetInstance('ha-1', NOW + 9);
      assert.deepEqual(await store.listNodes('ha-1'), []);
      assert.deepEqual(await store.listAccounts('ha-1'), []);
      assert.deepEqual(await store.parameters.values('ha-1'), {});
      const gone = await store.getInstanceAnyTenant('ha-1');
      assert.deepEqual([gone?.status, gone?.deleted_at, gone?.updated_at], ['DELETED', NOW + 9, NOW + 9]);
      await store.forgetInstance('ha-1', NOW + 20); // again: the deleted row keeps its first deletion time
      assert.equal((await store.getInstanceAnyTenant('ha-1'))?.deleted_at, NOW + 9);
      assert.equal((await store.listNodes('ha-2')).length, 1, 'another instance keeps its nodes');
      assert.equal((await store.listAccounts('ha-2')).length, 1, 'and its accounts');
    });

    describe('name and IP filters: substrings, literal wildcards, any case', () => {
      const NAMES = ['a_b', 'axb', 'a%b', 'aXXb', 'a\\b', 'a\\\\b', 'a!b', 'Shop-DB', 'shop_db', 'SHOPPING', '100%', 'plain'];
      const IPS = ['10.1.0.1', '10.1.0.12', '10.1.1.0', '10.1.10.1'];
      before(async () => {
        for (const [i, name] of NAMES.entries()) {
          await store.db.insertInto('instances').values(instanceRow(`like-${i}`, name, IPS[i % IPS.length]!, { tenant_id: 'tl', pipe_id: `p${i}` })).execute();
        }
        await store.db.insertInto('instances').values(instanceRow('like-gone', 'a_b', '10.1.0.1', { tenant_id: 'tl', pipe_id: 'px', deleted_at: NOW })).execute();
      });
      const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name).sort();
      const reference = (q: string) => NAMES.filter((n) => n.toLowerCase().includes(q.toLowerCase())).sort();
      for (const q of ['_', '%', '\\', '\\\\', '!', 'a_b', 'a%b', 'a\\b', 'a!b', '_b', 'shop', 'SHOP', 'ShOp-d', 'op_d', '0%', 'x', 'zzz', '']) {
        test(`name contains ${JSON.stringify(q)}`, async () => {
          const got = names(await store.listInstances('tl', { name: q }));
          assert.deepEqual(got, reference(q));
          if (q === '_') assert.deepEqual(got, ['a_b', 'shop_db']);
        });
      }
      for (const q of ['10.1.0.1', '0.1', '.1', '1.1', '_', '%']) {
        test(`ip contains ${JSON.stringify(q)}`, async () => {
          const got = (await store.listInstances('tl', { ip: q })).map((r) => r.ip).sort();
          const want = NAMES.map((_, i) => IPS[i % IPS.length]!).filter((ip) => ip.includes(q)).sort();
          assert.deepEqual(got, want);
        });
      }
      test('name and ip together, another tenant sees nothing', async () => {
        assert.deepEqual(names(await store.listInstances('tl', { name: 'a', ip: '10.1.0.12' })), NAMES.filter((n, i) => n.toLowerCase().includes('a') && IPS[i % 4] === '10.1.0.12').sort());
        assert.deepEqual(await store.listInstances('other', { name: 'a' }), []);
      });
    });

    test('one unfinished task per instance: TaskConflictError from insertTask and startTask, free again once finished', async () => {
      await store.db.insertInto('instances').values(instanceRow('tc-1', 'tc', '10.2.0.1', { pipe_id: 'ptc' })).execute();
      const first = newTaskRow({ tenantId: 't1', instanceUuid: 'tc-1', type: 'A', now: NOW });
      await store.insertTask(first);
      await assert.rejects(store.insertTask(newTaskRow({ tenantId: 't1', instanceUuid: 'tc-1', type: 'B', now: NOW })), TaskConflictError);
      await assert.rejects(store.startTask(newTaskRow({ tenantId: 't1', instanceUuid: 'tc-1', type: 'C', now: NOW }), { status: 'MODIFYING' }), TaskConflictError);
      assert.equal((await store.getInstance('t1', 'tc-1'))?.status, 'RUNNING', 'the failed startTask changed nothing');
      await store.db.updateTable('tasks').set({ status: 'FINISH', finished_at: NOW }).where('id', '=', first.id!).execute();
      await store.startTask(newTaskRow({ tenantId: 't1', instanceUuid: 'tc-1', type: 'D', now: NOW }), { status: 'MODIFYING' });
      assert.equal((await store.activeTask('tc-1'))?.type, 'D');
      assert.equal((await store.getInstance('t1', 'tc-1'))?.status, 'MODIFYING');
    });

    test('concurrent inserts of one account name: one ok, the rest exists', async () => {
      const other = await f.another();
      try {
        const acct = (k: number) => ({ instance_uuid: 'acct-1', name: 'app', type: 'Normal', description: `#${k}`, password_hash: '*X', status: 'available', created_at: NOW });
        // SQLite: one writer process; a second connection's read-then-write transaction would get
        // SQLITE_BUSY (BEGIN DEFERRED), so there the inserts overlap on one connection.
        const second = backend.name === 'postgres' ? other : store;
        const results = await Promise.all([0, 1, 2, 3, 4, 5].map((k) => (k % 2 ? second : store).insertAccount(acct(k))));
        assert.deepEqual(results.filter((r) => r === 'ok').length, 1, results.join());
        assert.deepEqual(results.filter((r) => r === 'exists').length, 5, results.join());
        assert.equal((await store.listAccounts('acct-1')).length, 1);
      } finally {
        await other.close();
      }
    });

    test('claiming: oldest first, one owner per task until its lease runs out (database clock), a new token per claim', async () => {
      await store.db.deleteFrom('tasks').execute();
      const rows = [2, 0, 1].map((k) => newTaskRow({ tenantId: 't1', instanceUuid: `cl-${k}`, type: 'X', now: NOW + k }));
      for (const r of rows) await store.insertTask(r);
      const before = await store.cluster.now();
      const a = await store.claimTasks('owner-a', 'h1', 60_000, 10, NOW);
      const after = await store.cluster.now();
      assert.deepEqual(a.map((t) => t.instance_uuid), ['cl-0', 'cl-1', 'cl-2']);
      assert.ok(Math.abs(before - Date.now()) < 5000, 'the database clock is epoch ms');
      for (const t of a) {
        assert.equal(t.status, 'DOING');
        assert.equal(t.lease_owner, 'owner-a');
        assert.equal(t.lease_token, 1);
        assert.ok(t.lease_until! >= before + 60_000 && t.lease_until! <= after + 60_000, `lease on the database clock: ${t.lease_until} in [${before}, ${after}] + 60 s`);
      }
      assert.deepEqual(await store.claimTasks('owner-b', 'h1', 60_000, 10, NOW), [], 'leases still held');
      // Two leases run out (as a dead owner's would).
      await store.db.updateTable('tasks').set({ lease_until: before - 1 }).where('instance_uuid', 'in', ['cl-0', 'cl-1']).execute();
      const limited = await store.claimTasks('owner-b', 'h1', 60_000, 1, NOW);
      assert.deepEqual(limited.map((t) => [t.instance_uuid, t.lease_token]), [['cl-0', 2]], 'expired leases, oldest first, limit respected, token +1');
      const t0 = limited[0]!;
      assert.equal(await store.renewLease(t0.id, 'owner-a', 1, 60_000), false, 'the old owner lost it');
      assert.equal(await store.saveTaskProgress(t0.id, 'owner-a', 1, { step: 1 }), false, 'and cannot write progress');
      assert.equal(await store.holdsTask(t0.id, 'owner-a', 1, 0), false, 'nor pass the fence');
      assert.equal(await store.renewLease(t0.id, 'owner-b', 2, 60_000), true);
      assert.equal(await store.holdsTask(t0.id, 'owner-b', 2, 30_000), true);
      assert.equal(await store.holdsTask(t0.id, 'owner-b', 2, 120_000), false, 'less than the margin left');
      assert.equal(await store.saveTaskProgress(t0.id, 'owner-b', 1, { step: 1 }), false, 'the right owner with a stale token is refused too');
      assert.equal(await store.saveTaskProgress(a[2]!.id, 'owner-a', 1, { step: 1 }), true, 'cl-2 is still owner-a\'s');
      assert.equal(await store.releaseTaskLeases('owner-a'), 2, 'cl-1 (expired, unclaimed) and cl-2');
      assert.equal(await store.holdsTask(a[2]!.id, 'owner-a', 1, 0), false, 'a released lease fails the fence');
      assert.deepEqual((await store.claimTasks('owner-c', 'h1', 60_000, 10, NOW)).map((t) => [t.instance_uuid, t.lease_token]), [['cl-1', 2], ['cl-2', 2]]);
    });

    test('placement: a task whose nodes run on another host is claimed only by a serve of that host', async () => {
      await store.db.deleteFrom('tasks').execute();
      const node = (id: string, instance: string, host: string) => ({
        id, instance_uuid: instance, role: 'primary', ip: `10.9.0.${id.charCodeAt(1)}`, port: 3306, server_id: 1, desired: 'running', incarnation: null, last_seen_at: null, created_at: NOW, host_id: host,
      });
      await store.db.insertInto('nodes').values([node('pa', 'pl-a', 'host-a'), node('pb', 'pl-b', 'host-b'), node('px', 'pl-x', '')]).execute();
      // A read-only clone on host-a whose parent runs on host-b, and a backup of the host-b instance.
      await store.db.insertInto('instances').values({ ...instanceRow('pl-ro', 'x', '10.7.7.7', { pipe_id: 'ppl' }), parent_uuid: 'pl-b' }).execute();
      await store.db.insertInto('nodes').values(node('pr', 'pl-ro', 'host-a')).execute();
      await store.db.insertInto('backups').values(backupRow('bk-b', 'pl-b')).execute();
      for (const [k, inst] of ['pl-a', 'pl-b', 'pl-x', 'pl-none', 'pl-ro', 'bk-b'].entries()) {
        await store.insertTask(newTaskRow({ tenantId: 't1', instanceUuid: inst, type: 'X', now: NOW + k }));
      }
      const onA = (await store.claimTasks('serve-a', 'host-a', 60_000, 10, NOW)).map((t) => t.instance_uuid);
      assert.deepEqual(onA, ['pl-a', 'pl-x', 'pl-none'], 'host-a: its own, hostless and nodeless tasks; not the clone of a host-b parent, not a host-b backup');
      const onB = (await store.claimTasks('serve-b', 'host-b', 60_000, 10, NOW)).map((t) => t.instance_uuid);
      assert.deepEqual(onB, ['pl-b', 'bk-b']);
      assert.deepEqual(await store.claimTasks('serve-c', 'host-c', 60_000, 10, NOW), [], 'nothing left for a third host');
      assert.ok(await store.adoptHostlessNodes('host-a') >= 1);
      assert.equal((await store.db.selectFrom('nodes').select('host_id').where('id', '=', 'px').executeTakeFirstOrThrow()).host_id, 'host-a', 'a hostless node adopted');
      await store.db.deleteFrom('nodes').where('id', 'in', ['pa', 'pb', 'px', 'pr']).execute();
      await store.db.deleteFrom('instances').where('uuid', '=', 'pl-ro').execute();
      await store.db.deleteFrom('backups').where('id', '=', 'bk-b').execute();
    });

    test('concurrent claimers on two connections take disjoint tasks and miss none', async () => {
      await store.db.deleteFrom('tasks').execute();
      const N = 40;
      for (let i = 0; i < N; i++) await store.insertTask(newTaskRow({ tenantId: 't1', instanceUuid: `cc-${i}`, type: 'X', now: NOW + i }));
      const other = await f.another();
      try {
        const got: string[][] = [[], []];
        const claimers = [store, other].map(async (s, k) => {
          for (let round = 0; round < 30; round++) {
            for (const t of await s.claimTasks(`owner-${k}`, 'h1', 60_000, 3, NOW)) got[k]!.push(t.id);
          }
        });
        await Promise.all(claimers);
        const all = [...got[0]!, ...got[1]!];
        assert.equal(new Set(all).size, all.length, 'no task claimed twice');
        assert.equal(all.length, N, 'every task claimed');
        const owners = await store.db.selectFrom('tasks').select(['id', 'lease_owner']).execute();
        for (const o of owners) assert.equal(o.lease_owner, got[0]!.includes(o.id) ? 'owner-0' : 'owner-1');
      } finally {
        await other.close();
      }
    });

    // Last: it restarts the file's cluster under every store of this process.
    if (backend.name === 'postgres') test('a crash and restart of PostgreSQL: no process crash, the pool reconnects', async () => {
      await store.countKeys(); // a pooled idle connection the crash will cut
      (await scratchPostgres()).restart();
      let failures = 0;
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          assert.equal(await store.countKeys(), 0);
          break;
        } catch (e) {
          failures++;
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(failures <= 10, `${failures} failed queries before the pool recovered`);
      await store.db.updateTable('tasks').set({ lease_until: 0 }).execute();
      assert.equal((await store.claimTasks('after-restart', 'h1', 1000, 100, NOW)).length, 40, 'and writes work');
    });
  });
}
