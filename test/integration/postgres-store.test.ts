/**
 * `serve --store postgres://…` against a real scratch PostgreSQL: the metadata lives there and
 * nowhere else (the home holds no SQLite file), an instance comes up RUNNING, a restarted serve
 * on the same store sees it, `keys create --store` adds a working key, the API's name filter
 * takes `_` literally, and deletion runs through.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { TestClient } from '../support/cds-client.js';
import { createRunning, newKey, startServer, type ServerHandle } from '../support/harness.js';
import { scratchPostgres } from '../support/postgres.js';

let s: ServerHandle;
let url: string;
before(async () => {
  url = await (await scratchPostgres()).createDatabase();
  s = await startServer({ store: url });
});
after(async () => { await s?.cleanup(); });

async function pgCount(table: string, where = 'TRUE'): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).rows[0].n);
  } finally {
    await c.end();
  }
}

test('an instance on a PostgreSQL store: RUNNING, seen after a restart of serve, new keys, filters, deletion', async () => {
  const c = s.client;
  assert.equal(existsSync(join(s.home, 'openrds.db')), false, 'no SQLite file: the store is PostgreSQL');
  assert.equal(await pgCount('access_keys'), 2, 'the default tenant\'s key and the harness\'s, both in PostgreSQL');

  const inst = await createRunning(c, { InstanceName: 'pg_shop', Password: 'Shop-Pass1' });
  assert.equal(await pgCount('instances', `uuid = '${inst.InstanceUuid}' AND status = 'RUNNING'`), 1);
  assert.equal(await pgCount('tasks', `instance_uuid = '${inst.InstanceUuid}' AND status = 'FINISH'`), 1);
  const conn = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: 'Shop-Pass1' });
  assert.equal((await conn.query('SELECT 1 + 1 AS two'))[0] instanceof Array, true);
  await conn.end();

  // The name filter: `_` is a literal underscore (not "any character"), case does not matter.
  const byName = async (n: string) => (await c.ok('DescribeDBInstances', { InstanceName: n }, { method: 'GET' })).data.map((i: any) => i.InstanceUuid);
  assert.deepEqual(await byName('PG_SH'), [inst.InstanceUuid]);
  assert.deepEqual(await byName('pg_'), [inst.InstanceUuid]);
  assert.deepEqual(await byName('pgx'), []);

  await s.stop();
  await s.restart();
  const again = await c.ok('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.equal(again.data.length, 1, 'the restarted serve reads the same store');
  assert.equal(again.data[0].Status, 'RUNNING');
  assert.equal(again.data[0].IP, inst.IP);

  const other = new TestClient(s.url, newKey(s.home, 'tenant-b', s.store));
  assert.equal(await pgCount('access_keys'), 3, 'keys create --store wrote to PostgreSQL');
  const seen = await other.ok('DescribeDBInstances', {}, { method: 'GET' });
  assert.deepEqual(seen.data, [], 'the new key works, and its tenant sees none of tenant-a\'s instances');

  await c.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
  await c.waitStatus(inst.InstanceUuid, 'gone');
  assert.equal(await pgCount('instances', `uuid = '${inst.InstanceUuid}' AND deleted_at IS NOT NULL`), 1);
});
