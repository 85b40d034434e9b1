/** Read-only instances of an HA primary: rules of spec §4.19–§4.20, replication, failover following. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, statSync, statfsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { HA_1C2G, createParams, createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { homeNodes, pidAlive, writableNode } from '../support/ha.js';

let s: ServerHandle;
let primary: any;
let basic: any;
const PW = 'Ro-Pass-123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SMALL_RO = 15680; // a 1C1G read-only spec added by this test's catalog: smaller than the 1C2G primary

before(async () => {
  s = await startServer({
    config: {
      ha: { readOnlyMinCreatingMs: 3000, maxFailoversPerWindow: 20 },
      catalog: {
        readOnlySpecs: [
          { PaasGoodsId: SMALL_RO, ArchitectureType: 1, CPU: 1, RAM: 1 },
          { PaasGoodsId: 15686, ArchitectureType: 1, CPU: 2, RAM: 4 },
          { PaasGoodsId: 15688, ArchitectureType: 1, CPU: 4, RAM: 8 },
        ],
      },
    },
  });
  const [p, b] = await Promise.all([
    createRunning(s.client, { InstanceName: 'primary', PaasGoodsId: HA_1C2G, DiskValue: 200, Password: PW }),
    createRunning(s.client, { InstanceName: 'basic' }),
  ]);
  primary = p;
  basic = b;
  const c = await mysql.createConnection({ host: primary.IP, port: primary.Port, user: 'root', password: PW });
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))');
  await c.query("INSERT INTO app.t (v) VALUES ('before')");
  await c.end();
});
after(async () => { await s?.cleanup(); });

const roParams = (over: Record<string, unknown> = {}) => ({
  InstanceUuid: primary.InstanceUuid, InstanceName: 'ro', PaasGoodsId: 15686, DiskType: 'ssd_disk', DiskValue: 200, ...over,
});

const refusals: Array<[string, () => Record<string, unknown>, number, string, RegExp]> = [
  ['no InstanceUuid', () => roParams({ InstanceUuid: undefined }), 400, 'ArgMissing', /InstanceUuid/],
  ['unknown primary', () => roParams({ InstanceUuid: '00000000-0000-4000-8000-000000000000' }), 404, 'ResourceNotFound', /instance/],
  ['a basic primary', () => roParams({ InstanceUuid: basic.InstanceUuid }), 400, 'UnsupportedOperation', /basic/],
  ['no InstanceName', () => roParams({ InstanceName: undefined }), 400, 'ArgMissing', /InstanceName/],
  ['no PaasGoodsId', () => roParams({ PaasGoodsId: undefined }), 400, 'ArgMissing', /PaasGoodsId/],
  ['PaasGoodsId 0 (Terraform unset)', () => roParams({ PaasGoodsId: 0 }), 400, 'InvalidParameter', /PaasGoodsId/],
  ['PaasGoodsId smaller than the primary', () => roParams({ PaasGoodsId: SMALL_RO }), 400, 'InvalidParameter', /PaasGoodsId.*smaller/],
  ['PaasGoodsId not a number', () => roParams({ PaasGoodsId: 'big' }), 400, 'InvalidParameter', /PaasGoodsId/],
  ['DiskValue below the primary', () => roParams({ DiskValue: 100 }), 400, 'InvalidParameter', /DiskValue.*primary/],
  ['DiskValue not a multiple of the step', () => roParams({ DiskValue: 250 }), 400, 'InvalidParameter', /DiskValue/],
  ['unknown DiskType', () => roParams({ DiskType: 'tape' }), 400, 'InvalidParameter', /DiskType/],
  ['Amount 0', () => roParams({ Amount: 0 }), 400, 'InvalidParameter', /Amount/],
  ['Amount 4', () => roParams({ Amount: 4 }), 400, 'InvalidParameter', /Amount/],
  ['ServicePort 9100', () => roParams({ ServicePort: 9100 }), 400, 'InvalidParameter', /ServicePort/],
];
for (const [name, params, status, code, msg] of refusals) {
  test(`CreateReadOnlyDBInstance refuses: ${name}`, async () => {
    const r = await s.client.call('CreateReadOnlyDBInstance', params());
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.Code, code);
    assert.match(r.body.Message, msg);
  });
}

test('DescribeAvailableReadOnlyConfig lists only specs at least the primary, and refuses basic instances', async () => {
  const { data } = await s.client.ok('DescribeAvailableReadOnlyConfig', { InstanceUuid: primary.InstanceUuid }, { method: 'GET' });
  const std = data.ComputeRoles[0].Standards;
  assert.deepEqual(std.CpuRam.map((x: any) => x.PaasGoodsId).sort(), [15686, 15688]);
  assert.ok(std.CpuRam.every((x: any) => Number.isInteger(x.CPU) && Number.isInteger(x.RAM) && x.Name));
  assert.ok(std.AttachDisk.every((d: any) => d.DiskMin === 200), 'disks start at the primary size');
  assert.equal(typeof data.ComputeRoles[0].ComputeType, 'number');
  const b = await s.client.call('DescribeAvailableReadOnlyConfig', { InstanceUuid: basic.InstanceUuid }, { method: 'GET' });
  assert.equal(b.body.Code, 'UnsupportedOperation');
});

let ro: any;
test('a read-only instance is listed CREATING at once, then RUNNING, replicates within 1 s and refuses writes', async () => {
  const r = await s.client.ok('CreateReadOnlyDBInstance', roParams());
  assert.ok(r.taskId);
  const uuid = r.data.InstancesUuid[0];
  const d = await s.client.ok('DescribeDBInstances', { InstanceUuid: primary.InstanceUuid }, { method: 'GET' });
  const item = d.data[0].RoGroups.find((g: any) => g.ServiceId === uuid);
  assert.equal(item.Status, 'CREATING');
  for (const k of ['Progress', 'Port', 'Cpu', 'Ram']) assert.equal(Number.isInteger(item[k]), true, k);
  assert.equal(item.SvcType, 'mysql-readonly');
  ro = await s.client.waitStatus(uuid, 'RUNNING', 120_000);
  assert.equal(ro.MasterInfo, primary.InstanceUuid);
  assert.notEqual(ro.IP, primary.IP);
  const d2 = await s.client.ok('DescribeDBInstances', { InstanceUuid: primary.InstanceUuid }, { method: 'GET' });
  assert.equal(d2.data[0].RoGroups.find((g: any) => g.ServiceId === uuid).Status, 'RUNNING');

  const rc = await mysql.createConnection({ host: ro.IP, port: ro.Port, user: 'root', password: PW }); // the account replicated
  const pc = await mysql.createConnection({ host: primary.IP, port: primary.Port, user: 'root', password: PW });
  const [[seed]] = await rc.query("SELECT COUNT(*) AS n FROM app.t WHERE v = 'before'") as any;
  assert.equal(seed.n, 1, 'seeded from a copy that holds the existing data');
  const [ins] = await pc.query("INSERT INTO app.t (v) VALUES ('fresh')") as any;
  const t0 = Date.now();
  let seenAfter = -1;
  while (Date.now() - t0 < 1000) {
    const [rows] = await rc.query('SELECT id FROM app.t WHERE id = ?', [ins.insertId]) as any;
    if (rows.length) { seenAfter = Date.now() - t0; break; }
    await sleep(10);
  }
  assert.ok(seenAfter >= 0, 'the row reached the read-only instance within 1 s');
  await assert.rejects(rc.query("INSERT INTO app.t (v) VALUES ('no')"), /read-only/);
  await pc.end();
  await rc.end();

  // An account created on the primary works on the read-only instance too.
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: primary.InstanceUuid, AccountName: 'reader', Password: 'Read-Pass1', AccountType: 'Normal' });
  await sleep(300);
  const reader = await mysql.createConnection({ host: ro.IP, port: ro.Port, user: 'reader', password: 'Read-Pass1' });
  await reader.end();
  const direct = await s.client.call('CreatePrivilegedAccount', { InstanceUuid: ro.InstanceUuid, AccountName: 'x1', Password: 'Read-Pass1', AccountType: 'Normal' });
  assert.equal(direct.body.Code, 'UnsupportedOperation');
});

test('a read-only instance can be resized like any other, never below its primary', async () => {
  const u = ro.InstanceUuid;
  const describe = async (uuid: string) => (await s.client.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' })).data[0];
  assert.equal(ro.PaasGoodsId, 15686);

  // What it may move to: read-only specs only, at least the 1C2G primary, its own 2C4G excluded.
  const { data: m } = await s.client.ok('DescribeModifiableDBSpec', { InstanceUuid: u }, { method: 'GET' });
  assert.deepEqual(m.CpuRam.map((x: any) => x.PaasGoodsId), [15688]);
  assert.deepEqual(m.CpuRam[0], { CPU: 4, Name: '4C8G', N: '4C8G', PaasGoodsId: 15688, RAM: 8 });
  assert.equal(m.ProductName, 'MySQL 只读实例');
  assert.equal(m.AttachDisk.length, 1);
  assert.equal(m.AttachDisk[0].DiskValue, 'ssd_disk');
  assert.equal(m.AttachDisk[0].DiskMin, 300, 'grows from its 200 GB');

  // Refusals: below the primary, a normal (not read-only) spec, the same spec.
  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['smaller than the primary', { PaasGoodsId: SMALL_RO }, /PaasGoodsId.*smaller than its primary/],
    ['a normal HA spec', { PaasGoodsId: HA_1C2G }, /PaasGoodsId/],
    ['its own spec', { PaasGoodsId: 15686 }, /PaasGoodsId/],
  ];
  for (const [name, p, msg] of refusals) {
    const r = await s.client.call('ModifyDBInstanceSpec', { InstanceUuid: u, ...p });
    assert.equal(r.status, 400, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.Code, 'InvalidParameter', name);
    assert.match(r.body.Message, msg, name);
  }
  const still = await describe(u);
  assert.equal(still.Status, 'RUNNING', 'a refused call changes nothing');
  assert.equal(still.PaasGoodsId, 15686);

  // Up to 4C8G: MODIFYING before the call answers, then RUNNING with the new spec everywhere.
  const t0 = Date.now();
  const r = await s.client.ok('ModifyDBInstanceSpec', { InstanceUuid: u, PaasGoodsId: '15688' });
  assert.ok(r.taskId);
  assert.equal((await describe(u)).Status, 'MODIFYING');
  const inGroup = (await describe(primary.InstanceUuid)).RoGroups.find((g: any) => g.ServiceId === u);
  assert.equal(inGroup.Status, 'MODIFYING', 'the primary\'s RoGroups shows it too');
  const d = await s.client.waitStatus(u, 'RUNNING', 180_000);
  const resizeMs = Date.now() - t0;
  assert.equal(d.Cpu, 4);
  assert.equal(d.Ram, 8192);
  assert.equal(d.PaasGoodsId, 15688);
  assert.equal(d.Disks, 200);
  assert.equal(d.MasterInfo, primary.InstanceUuid);
  const g = (await describe(primary.InstanceUuid)).RoGroups.find((x: any) => x.ServiceId === u);
  assert.equal(g.Cpu, 4);
  assert.equal(g.Ram, 8192);
  assert.equal((await describe(primary.InstanceUuid)).Cpu, 1, 'the primary keeps its spec');
  const task = (await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' })).data;
  assert.equal(task.Status, 'FINISH');

  // The engine runs with the 4C8G memory plan (docs/engine-config.md): 60 % of 8 GB in 128 MB units, 200 connections per GB.
  const rc = await mysql.createConnection({ host: ro.IP, port: ro.Port, user: 'root', password: PW });
  const [[v]] = await rc.query('SELECT @@innodb_buffer_pool_size AS bp, @@max_connections AS mc, @@thread_cache_size AS tc, @@read_only AS ro') as any;
  assert.equal(Number(v.bp), 4864 * 1024 * 1024);
  assert.equal(Number(v.mc), 1600);
  assert.equal(Number(v.tc), 64);
  assert.equal(Number(v.ro), 1, 'still read-only after its restart');

  // It still replicates: a row written on the primary shows up within a few seconds.
  const pc = await mysql.createConnection({ host: primary.IP, port: primary.Port, user: 'root', password: PW });
  const [ins] = await pc.query("INSERT INTO app.t (v) VALUES ('resized')") as any;
  await pc.end();
  let found = false;
  for (const t1 = Date.now(); Date.now() - t1 < 5000 && !found;) {
    const [rows] = await rc.query('SELECT id FROM app.t WHERE id = ?', [ins.insertId]) as any;
    found = rows.length > 0;
    if (!found) await sleep(50);
  }
  assert.ok(found, 'a row written on the primary after the resize reached the read-only instance');
  await assert.rejects(rc.query("INSERT INTO app.t (v) VALUES ('no')"), /read-only/);
  await rc.end();

  // Disk only: grows online (no restart: same mariadbd pid).
  const node = homeNodes(s.home).find((n) => n.ip === ro.IP)!;
  const nodeDir = `${s.home}/nodes/${node.id}`;
  const img = `${nodeDir}/disk.img`;
  const imgBefore = existsSync(img) ? statSync(img).size : undefined;
  const t2 = Date.now();
  await s.client.ok('ModifyDBInstanceSpec', { InstanceUuid: u, DiskType: 'ssd_disk', DiskValue: 100 });
  assert.equal((await describe(u)).Status, 'MODIFYING');
  const d2 = await s.client.waitStatus(u, 'RUNNING', 60_000);
  const diskMs = Date.now() - t2;
  assert.equal(d2.Disks, 300);
  assert.equal(d2.PaasGoodsId, 15688, 'a disk change keeps the spec');
  const later = homeNodes(s.home).find((n) => n.id === node.id)!;
  assert.equal(later.pid, node.pid, 'disk growth does not restart the server');
  assert.ok(pidAlive(later.pid));
  if (imgBefore !== undefined) {
    // Loop-mounted volume (src/provisioner/local/volumes.ts): the image and the mounted filesystem grew.
    assert.equal(imgBefore, 200 * 1024 ** 3);
    assert.equal(statSync(img).size, 300 * 1024 ** 3);
    const fs = statfsSync(`${nodeDir}/disk`);
    assert.ok(fs.blocks * fs.bsize > 250 * 1024 ** 3, `mounted filesystem is ${fs.blocks * fs.bsize} bytes`);
  }
  const { data: m2 } = await s.client.ok('DescribeModifiableDBSpec', { InstanceUuid: u }, { method: 'GET' });
  assert.deepEqual(m2.CpuRam.map((x: any) => x.PaasGoodsId), [15686], 'back down to 2C4G is allowed, never below the primary');
  assert.equal(m2.AttachDisk[0].DiskMin, 400);
  console.log(`# read-only resize 2C4G → 4C8G: ${resizeMs} ms; +100 GB online: ${diskMs} ms (volume ${imgBefore === undefined ? 'watched' : 'loop-mounted'})`);
});

test('the primary cannot be deleted while it has read-only instances', async () => {
  const r = await s.client.call('DeleteDBInstance', { InstanceUuid: primary.InstanceUuid });
  assert.equal(r.status, 409);
  assert.equal(r.body.Code, 'ResourceInUse');
  assert.match(r.body.Message, /read-only/);
});

test('after a failover the read-only instance follows the new primary', async () => {
  const nodes = homeNodes(s.home).filter((n) => n.ip !== ro.IP);
  const old = (await writableNode(nodes, 'root', PW))!;
  process.kill(old.pid, 'SIGKILL');
  await sleep(300);
  await s.client.waitStatus(primary.InstanceUuid, 'RUNNING', 60_000);
  // The failover may not have started yet (detection takes a few monitor rounds): retry until a write lands.
  let id = 0;
  for (let i = 0; i < 300 && !id; i++) {
    try {
      const pc = await mysql.createConnection({ host: primary.IP, port: primary.Port, user: 'root', password: PW, connectTimeout: 1000 });
      try {
        const [r] = await pc.query("INSERT INTO app.t (v) VALUES ('after')") as any;
        id = r.insertId;
      } finally {
        pc.destroy();
      }
    } catch { await sleep(100); }
  }
  assert.ok(id > 0);
  const rc = await mysql.createConnection({ host: ro.IP, port: ro.Port, user: 'root', password: PW });
  const t0 = Date.now();
  let found = false;
  while (Date.now() - t0 < 15_000 && !found) {
    const [rows] = await rc.query('SELECT id FROM app.t WHERE id = ?', [id]) as any;
    found = rows.length > 0;
    if (!found) await sleep(100);
  }
  await rc.end();
  assert.ok(found, 'a row written after the failover reached the read-only instance');
});

test('deleting the read-only instance removes only it', async () => {
  await s.client.ok('DeleteDBInstance', { InstanceUuid: ro.InstanceUuid });
  await s.client.waitStatus(ro.InstanceUuid, 'gone');
  const d = await s.client.ok('DescribeDBInstances', { InstanceUuid: primary.InstanceUuid }, { method: 'GET' });
  assert.deepEqual(d.data[0].RoGroups, []);
  assert.notEqual(d.data[0].Status, 'DELETING');
  // The old primary of the failover test may still be repaired (REBUILDING): like Terraform, wait and retry.
  for (let i = 0; ; i++) {
    await s.client.waitStatus(primary.InstanceUuid, 'RUNNING', 60_000);
    const r = await s.client.call('DeleteDBInstance', { InstanceUuid: primary.InstanceUuid });
    if (r.body.Code === 'Success') break;
    assert.equal(r.body.Code, 'ResourceInUse', JSON.stringify(r.body));
    assert.ok(i < 30, 'the primary became deletable');
    await sleep(500);
  }
  await s.client.waitStatus(primary.InstanceUuid, 'gone');
});
