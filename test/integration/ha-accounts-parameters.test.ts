/**
 * Accounts, grants and parameters on an HA instance (primary + semi-sync standby): grants made
 * through the API are the same on both nodes, parameters run on both nodes, a restart-only one
 * restarts both (standby first), and after a failover the grants and the parameters are still
 * there. A deleted account can log in on neither node. One HA instance for the whole file.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { HA_1C2G, createParams, startServer, type ServerHandle } from '../support/harness.js';
import { homeNodes, pidAlive, writableNode } from '../support/ha.js';

let s: ServerHandle;
let inst: any;
let uuid: string;
const PW = 'Ha-Pass-123';
const APP_PW = 'App-Pass1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ER_TABLEACCESS_DENIED = 1142;

before(async () => {
  s = await startServer({ config: { ha: { maxFailoversPerWindow: 20, semiSyncTimeoutMs: 1500, readOnlyMinCreatingMs: 0 } } });
  const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'ha-acc', PaasGoodsId: HA_1C2G, Password: PW }));
  uuid = r.data.InstancesUuid[0];
  inst = await s.client.waitStatus(uuid, 'RUNNING', 180_000);
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  await c.query('CREATE DATABASE db1');
  await c.query('CREATE TABLE db1.t (id INT PRIMARY KEY)');
  await c.query('INSERT INTO db1.t VALUES (1)');
  await c.end();
});
after(async () => { await s?.cleanup(); });

/** RUNNING, both nodes up, semi-sync ON (and `also`, e.g. a failover counted). */
async function waitHealthy(timeoutMs = 120_000, also: (d: any) => boolean = () => true): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const r = await s.client.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    const d = r.body.Data?.[0];
    const nodes = homeNodes(s.home);
    if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && nodes.length === 2 && nodes.every((n) => pidAlive(n.pid)) && also(d)) return d;
    if (Date.now() - t0 > timeoutMs) throw new Error(`not healthy: ${JSON.stringify(d)?.slice(0, 400)}`);
    await sleep(200);
  }
}

/** Runs `sql` on one node directly (not through the endpoint), retrying while replication catches up. */
async function onNode(ip: string, user: string, password: string, sql: string, until: (r: { ok: boolean; errno?: number; rows?: any[] }) => boolean) {
  let last: { ok: boolean; errno?: number; rows?: any[] } = { ok: false };
  for (let i = 0; i < 50; i++) {
    try {
      const c = await mysql.createConnection({ host: ip, port: 3306, user, password, connectTimeout: 2000 });
      try {
        const [rows] = await c.query(sql);
        last = { ok: true, rows: rows as any[] };
      } catch (e) {
        last = { ok: false, errno: (e as { errno: number }).errno };
      } finally {
        await c.end();
      }
    } catch (e) {
      last = { ok: false, errno: (e as { errno: number }).errno };
    }
    if (until(last)) return last;
    await sleep(100);
  }
  assert.fail(`${sql} on ${ip} as ${user}: ${JSON.stringify(last)}`);
}

async function variables(ip: string, ...names: string[]): Promise<Record<string, string>> {
  const c = await mysql.createConnection({ host: ip, port: 3306, user: 'root', password: PW, connectTimeout: 2000 });
  try {
    const [rows] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`);
    return Object.fromEntries((rows as any[]).map((r) => [r.Variable_name, String(r.Value)]));
  } finally {
    await c.end();
  }
}

test('a grant made through the API holds on the primary and on the standby', async () => {
  await waitHealthy();
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: 'app', Password: APP_PW, AccountType: 'Normal' });
  await s.client.ok('ModifyDbPrivilege', { InstanceUuid: uuid, AccountName: 'app', Operations: [{ DBName: 'db1', Privilege: 'ReadOnly' }] });
  const nodes = homeNodes(s.home);
  const primary = (await writableNode(nodes, 'root', PW))!;
  const grants = async (ip: string) => (await onNode(ip, 'root', PW, "SHOW GRANTS FOR 'app'@'%'", (r) => r.ok && r.rows!.length === 2)).rows!.map((x) => Object.values(x)[0]);
  const onPrimary = await grants(primary.ip);
  assert.ok(onPrimary.some((g) => /^GRANT SELECT, LOCK TABLES, SHOW VIEW ON `db1`\.\* TO `app`@`%`$/.test(String(g))), JSON.stringify(onPrimary));
  for (const n of nodes) {
    assert.deepEqual(await grants(n.ip), onPrimary, `grants on ${n.id}`);
    await onNode(n.ip, 'app', APP_PW, 'SELECT id FROM db1.t', (r) => r.ok && r.rows!.length === 1);
  }
  // On the primary the grant is what refuses the write (the standby refuses every write anyway).
  await onNode(primary.ip, 'app', APP_PW, 'INSERT INTO db1.t VALUES (2)', (r) => !r.ok && r.errno === ER_TABLEACCESS_DENIED);
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' });
  assert.deepEqual(data.find((a: any) => a.AccountName === 'app').DatabasePrivileges.map((p: any) => [p.DBName, p.AccountPrivilegeType]), [['db1', 'ReadOnly']]);
});

test('parameters run on both nodes; a restart-only one restarts the standby first, then hands over by a switchover', async () => {
  const before = await waitHealthy();
  const nodes = homeNodes(s.home);
  const primary = (await writableNode(nodes, 'root', PW))!;
  const standby = nodes.find((n) => n.id !== primary.id)!;
  const r = await s.client.ok('ModifyDBParameter', { InstanceUuid: uuid, Parameters: [{ Name: 'wait_timeout', Value: '600' }, { Name: 'back_log', Value: '120' }] });
  assert.equal((await s.client.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' })).data[0].Status, 'MODIFYING_PARAMETERS');
  const after = await waitHealthy();
  assert.equal((await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' })).data.Status, 'FINISH');
  assert.equal(after.HaFailoverCount, before.HaFailoverCount, 'a controlled restart is not a failover');
  assert.equal(after.HaSwitchoverCount, before.HaSwitchoverCount + 1, 'the primary handed over by a switchover');
  const now = homeNodes(s.home);
  for (const n of now) {
    assert.deepEqual(await variables(n.ip, 'wait_timeout', 'back_log'), { wait_timeout: '600', back_log: '120' }, n.id);
    assert.notEqual(n.pid, nodes.find((x) => x.id === n.id)!.pid, `${n.id} was restarted`);
  }
  // HA rolling restart: the old standby is the primary now, the old primary restarted as the standby.
  assert.equal((await writableNode(now, 'root', PW))?.id, standby.id, 'the restarted standby took over');
  // The standby replicates again after both restarts.
  const w = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  await w.query('INSERT INTO db1.t VALUES (10)');
  await w.end();
  await onNode(primary.ip, 'root', PW, 'SELECT id FROM db1.t WHERE id = 10', (x) => x.ok && x.rows!.length === 1);
  const { data } = await s.client.ok('DescribeDBParameterModifyHistory', {
    InstanceUuid: uuid, StartTime: '2000-01-01 00:00:00', EndTime: '2100-01-01 00:00:00',
  }, { method: 'GET' });
  assert.deepEqual(data.map((h: any) => [h.ParameterName, h.IsValid]).sort(), [['back_log', true], ['wait_timeout', true]]);
});

test('after a failover the grants and the parameters are still there', async () => {
  const before = await waitHealthy();
  const primary = (await writableNode(homeNodes(s.home), 'root', PW))!;
  process.kill(primary.pid, 'SIGKILL');
  await waitHealthy(180_000, (d) => d.HaFailoverCount > before.HaFailoverCount);
  const nodes = homeNodes(s.home);
  const newPrimary = (await writableNode(nodes, 'root', PW))!;
  assert.notEqual(newPrimary.id, primary.id);
  // Through the endpoint (now the new primary) and on each node directly.
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'app', password: APP_PW });
  const [rows] = await c.query('SELECT id FROM db1.t');
  assert.deepEqual(rows, [{ id: 1 }, { id: 10 }]);
  await assert.rejects(c.query('INSERT INTO db1.t VALUES (3)'), (e: any) => e.errno === ER_TABLEACCESS_DENIED);
  await c.end();
  for (const n of nodes) {
    await onNode(n.ip, 'app', APP_PW, 'SELECT id FROM db1.t', (r) => r.ok);
    assert.deepEqual(await variables(n.ip, 'wait_timeout', 'back_log'), { wait_timeout: '600', back_log: '120' }, n.id);
  }
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' });
  assert.deepEqual(data.find((a: any) => a.AccountName === 'app').DatabasePrivileges.map((p: any) => [p.DBName, p.AccountPrivilegeType]), [['db1', 'ReadOnly']]);
  const ps = await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(ps.data.Parameters.find((p: any) => p.Name === 'back_log').CurrentValue, '120');
});

test('a deleted account can log in on no node', async () => {
  await waitHealthy();
  await s.client.ok('DeleteDBAccount', { InstanceUuid: uuid, AccountName: 'app' });
  for (const n of homeNodes(s.home)) {
    await onNode(n.ip, 'app', APP_PW, 'SELECT 1', (r) => !r.ok && r.errno === 1045);
  }
  await assert.rejects(mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'app', password: APP_PW }), /Access denied/);
});
