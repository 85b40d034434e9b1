/**
 * Backups end to end (issue 5, docs/backups.md): real MariaDB, the real server, real HTTP
 * downloads through the signed URLs, and restores run with exactly the commands of
 * docs/backups.md, compared with CHECKSUM TABLE at the backup's GTID.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { deriveUrlKey, signedPath } from '../../src/backups/signed-url.js';
import { HA_1C2G, createRunning, newKey, startServer, type ServerHandle } from '../support/harness.js';
import { TestClient } from '../support/cds-client.js';
import {
  Restored, backupNow, docBlock, freePort, pidsByArgv, runDocBlock, seqOf, sha256, sha256File, waitBackup,
} from '../support/backups.js';

const PW = 'Backup-Pass1';
const ROWS = 100_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let s: ServerHandle;
let inst: any;
let work: string;
const cfg = () => ({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
const restored: Restored[] = [];

before(async () => {
  s = await startServer();
  work = mkdtempSync(join(tmpdir(), 'openrds-bk-'));
  inst = await createRunning(s.client, { InstanceName: 'bk', Password: PW });
  const c = await mysql.createConnection({ ...cfg(), multipleStatements: true });
  await c.query('CREATE DATABASE app; CREATE DATABASE other');
  await c.changeUser({ database: 'app' }); // the seq_1_to_N tables need a current database
  for (const t of ['t1', 't2', 't3']) {
    await c.query(`CREATE TABLE app.${t} (id INT PRIMARY KEY, a INT NOT NULL, b VARCHAR(16) NOT NULL)`);
    await c.query(`INSERT INTO app.${t} SELECT seq, (seq * 7919) % 10007, CONCAT('${t}-', seq) FROM seq_1_to_${ROWS}`);
  }
  await c.query('CREATE TABLE app.live (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)');
  await c.query("CREATE TABLE other.kv (k VARCHAR(10) PRIMARY KEY, v INT); INSERT INTO other.kv VALUES ('x', 1), ('y', 2)");
  await c.end();
});
after(async () => {
  for (const r of restored) r.destroy();
  await s?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Inserts into app.live one row per transaction and records the GTID each insert got. */
class GtidWriter {
  readonly rows: Array<{ id: number; seq: number }> = [];
  private stopFlag = false;
  private readonly done: Promise<void>;
  constructor() {
    this.done = (async () => {
      const c = await mysql.createConnection(cfg());
      let id = 0;
      while (!this.stopFlag) {
        id++;
        await c.query({ sql: 'INSERT INTO app.live (id, v) VALUES (?, ?)', timeout: 30_000 }, [id, id * 3]);
        const [r] = await c.query({ sql: 'SELECT @@last_gtid AS g', timeout: 30_000 });
        this.rows.push({ id, seq: seqOf(String((r as any[])[0].g)) });
      }
      await c.end();
    })();
  }
  async stop(): Promise<void> {
    this.stopFlag = true;
    await this.done;
  }
}

async function checksums(tables: string[]): Promise<Record<string, string>> {
  const c = await mysql.createConnection(cfg());
  const [rows] = await c.query(`CHECKSUM TABLE ${tables.join(', ')}`);
  await c.end();
  return Object.fromEntries((rows as any[]).map((r) => [r.Table, String(r.Checksum)]));
}

function restoredChecksums(r: Restored, tables: string[]): Record<string, string> {
  return Object.fromEntries(r.sql(`CHECKSUM TABLE ${tables.join(', ')}`).split('\n').map((l) => l.split('\t') as [string, string]));
}

async function download(url: string, file: string): Promise<Buffer> {
  const res = await fetch(url);
  assert.equal(res.status, 200, await res.clone().text().catch(() => ''));
  const buf = Buffer.from(await res.arrayBuffer());
  writeFileSync(file, buf);
  return buf;
}

async function restore(kind: 'physical' | 'logical', file: string): Promise<Restored> {
  const dir = mkdtempSync(join(work, `restore-${kind}-`));
  rmSync(dir, { recursive: true }); // the docs commands make it
  const r = new Restored(dir);
  restored.push(r);
  runDocBlock(docBlock({ marker: `restore:${kind}` }), { BACKUP: file, DIR: dir, PORT: String(await freePort()) }, 300_000, dir);
  return r;
}

/**
 * The rows of app.live the source had at `gtid`: the writer is the only writer while backups
 * run, so they are exactly the inserts whose own GTID is not after it.
 */
function liveAt(w: GtidWriter, gtid: string): number[] {
  const at = seqOf(gtid);
  return w.rows.filter((r) => r.seq <= at).map((r) => r.id);
}

/** CHECKSUM TABLE of the source's app.live restricted to `ids`, in a scratch copy of the table. */
async function liveChecksumOf(ids: number[], name: string): Promise<string> {
  const c = await mysql.createConnection({ ...cfg(), multipleStatements: true });
  await c.query(`CREATE DATABASE IF NOT EXISTS scratch; DROP TABLE IF EXISTS scratch.${name}; CREATE TABLE scratch.${name} LIKE app.live`);
  if (ids.length) await c.query(`INSERT INTO scratch.${name} SELECT * FROM app.live WHERE id <= ?`, [Math.max(...ids)]);
  const [rows] = await c.query(`CHECKSUM TABLE scratch.${name}`);
  await c.end();
  return String((rows as any[])[0].Checksum);
}

const STATIC = ['app.t1', 'app.t2', 'app.t3'];
let physical: any;
let logical: any;
let writer: GtidWriter;

test('round trip: physical and logical backups while a table is written, downloaded, checked, restored, equal at the GTID', async () => {
  const c = s.client;
  const source = await checksums(STATIC);
  writer = new GtidWriter();
  await sleep(300);

  // Physical: listed at once as running; the instance stays RUNNING (spec §5, first option).
  const p = await c.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup', Desc: 'round trip' });
  assert.ok(p.taskId);
  const listed = await c.ok('DescribeBackups', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.equal(listed.data[0].BackupId, p.data.BackupId);
  assert.equal(listed.data[0].Status, 'running');
  const during = await c.ok('DescribeDBInstances', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.equal(during.data[0].Status, 'RUNNING');
  physical = await waitBackup(c, inst.InstanceUuid, p.data.BackupId);
  assert.equal(physical.Status, 'finished', physical.StatusDetail);
  const task = await c.ok('DescribeTask', { TaskId: p.taskId }, { method: 'GET' });
  assert.equal(task.data.Status, 'FINISH');
  assert.equal(task.data.TaskType, 'CreateBackup');

  // Logical, whole instance, still under writes.
  const l = await c.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'logical-backup' });
  logical = await waitBackup(c, inst.InstanceUuid, l.data.BackupId);
  assert.equal(logical.Status, 'finished', logical.StatusDetail);
  await sleep(200);
  await writer.stop();

  // §4.15 fields in their JSON types.
  for (const b of [physical, logical]) {
    assert.ok(Number.isInteger(b.BackupSize) && b.BackupSize > 0, 'BackupSize is an int of bytes');
    assert.equal(b.BackupMode, 'manual');
    assert.equal(b.BackupStrategy, 'instance');
    assert.equal(b.InstanceId, inst.InstanceUuid);
    assert.match(b.StartTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(b.EndTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(b.BackupFinishTime, b.EndTime);
    assert.match(b.Sha256, /^[0-9a-f]{64}$/);
    assert.match(b.Gtid, /^0-\d+-\d+$/);
    assert.equal(b.SourceRole, 'primary');
    assert.ok(Number.isInteger(b.BinlogPos));
  }
  assert.equal(physical.Desc, 'round trip');
  assert.equal(logical.Desc, '');

  for (const [b, kind, suffix] of [[physical, 'physical', '.xb.zst'], [logical, 'logical', '.sql.zst']] as const) {
    const d = await c.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: b.BackupId }, { method: 'GET' });
    assert.equal(d.taskId, '');
    assert.equal(d.data.BackupSize, b.BackupSize);
    assert.match(d.data.BackupDownloadUrl, /^http:\/\/127\.0\.0\.1:\d+\/backups\/download\//);
    assert.ok(d.data.BackupIntranetDownloadUrl.includes(`/backups/download/${b.BackupId}/`));
    const file = join(work, `${b.BackupId}${suffix}`);
    const buf = await download(d.data.BackupDownloadUrl, file);
    assert.equal(buf.length, b.BackupSize);
    assert.equal(sha256(buf), b.Sha256, 'the downloaded file has the recorded sha256');

    const r = await restore(kind, file);
    assert.deepEqual(restoredChecksums(r, STATIC), source, `${kind}: the static tables are equal`);
    const want = liveAt(writer, b.Gtid);
    const got = r.sql('SELECT id FROM app.live ORDER BY id').split('\n').filter(Boolean).map(Number);
    assert.deepEqual(got, want, `${kind}: app.live holds exactly the rows committed up to ${b.Gtid}`);
    assert.ok(want.length > 0 && want.length < writer.rows.length, `${kind}: the writer ran across the backup (${want.length} of ${writer.rows.length})`);
    assert.equal(restoredChecksums(r, ['app.live'])['app.live'], await liveChecksumOf(want, `live_${kind}`), `${kind}: CHECKSUM TABLE app.live equals the source at the GTID`);
    assert.equal(r.sql("SELECT v FROM other.kv WHERE k = 'y'"), '2');
  }
});

test('a logical backup of the databases in DBList holds those and nothing else', async () => {
  const r = await s.client.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'logical-backup', DBList: ['other'] });
  const b = await waitBackup(s.client, inst.InstanceUuid, r.data.BackupId);
  assert.equal(b.Status, 'finished', b.StatusDetail);
  assert.equal(b.BackupStrategy, 'db');
  assert.deepEqual(b.DBList, ['other']);
  const d = await s.client.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: b.BackupId }, { method: 'GET' });
  const file = join(work, 'dblist.sql.zst');
  await download(d.data.BackupIntranetDownloadUrl, file);
  const rs = await restore('logical', file);
  assert.equal(rs.sql("SELECT GROUP_CONCAT(k ORDER BY k) FROM other.kv"), 'x,y');
  assert.equal(rs.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app'"), '0');
  rs.destroy();
});

test('a download broken off half-way resumes with Range (curl -C - as documented) and the sha256 matches', async () => {
  const d = await s.client.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: physical.BackupId }, { method: 'GET' });
  const url: string = d.data.BackupDownloadUrl;
  const file = join(work, 'resumed.xb.zst');
  // Break the download off after about half of the body.
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const reader = res.body!.getReader();
  const parts: Buffer[] = [];
  let n = 0;
  while (n < physical.BackupSize / 2) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
    n += value.length;
  }
  ac.abort();
  await reader.cancel().catch(() => {});
  writeFileSync(file, Buffer.concat(parts));
  assert.ok(n < physical.BackupSize, 'the first part is incomplete');
  runDocBlock(docBlock({ contains: 'curl' }), { URL: url, BACKUP: file, SHA256: physical.Sha256 });
  assert.equal(sha256File(file), physical.Sha256);

  // Range by hand: 206 with Content-Range, a suffix range, If-Range, 416 past the end, HEAD.
  const mid = Math.floor(physical.BackupSize / 3);
  const r1 = await fetch(url, { headers: { range: `bytes=${mid}-${mid + 99}` } });
  assert.equal(r1.status, 206);
  assert.equal(r1.headers.get('content-range'), `bytes ${mid}-${mid + 99}/${physical.BackupSize}`);
  assert.deepEqual(Buffer.from(await r1.arrayBuffer()), readFileSync(file).subarray(mid, mid + 100));
  const r2 = await fetch(url, { headers: { range: 'bytes=-10' } });
  assert.equal(r2.status, 206);
  assert.deepEqual(Buffer.from(await r2.arrayBuffer()), readFileSync(file).subarray(physical.BackupSize - 10));
  const r3 = await fetch(url, { headers: { range: `bytes=${physical.BackupSize}-` } });
  assert.equal(r3.status, 416);
  assert.equal(r3.headers.get('content-range'), `bytes */${physical.BackupSize}`);
  await r3.arrayBuffer();
  const r4 = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': '"not-the-etag"' } });
  assert.equal(r4.status, 200, 'If-Range with another ETag gets the whole file');
  await r4.body?.cancel();
  const h = await fetch(url, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('content-length'), String(physical.BackupSize));
  assert.equal(h.headers.get('accept-ranges'), 'bytes');
  assert.equal(h.headers.get('etag'), `"${physical.Sha256}"`);
});

test('expired, tampered and cross-tenant URLs are refused with 403', async () => {
  const d = await s.client.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: physical.BackupId }, { method: 'GET' });
  const url = new URL(d.data.BackupDownloadUrl);
  const expire = Date.parse(d.data.DownloadUrlExpireTime.replace(' ', 'T') + 'Z');
  const ttl = (expire - Date.now()) / 3600_000;
  assert.ok(ttl > 5.9 && ttl <= 6, `default lifetime is 6 h (${ttl})`);
  const get = async (u: URL | string) => {
    const r = await fetch(u);
    const body = await r.text();
    return { status: r.status, body: body.startsWith('{') ? JSON.parse(body) : body };
  };
  const withParam = (k: string, v: string) => {
    const u = new URL(url);
    u.searchParams.set(k, v);
    return u;
  };
  const sig = url.searchParams.get('Signature')!;
  const key = deriveUrlKey(Buffer.from(readFileSync(join(s.home, 'secrets/master.key'), 'utf8').trim(), 'hex'));
  const tenant = url.searchParams.get('Tenant')!;
  const file = `${physical.BackupId}.xb.zst`;
  const cases: Array<[string, URL | string]> = [
    // Correctly signed with the home's key, but expired.
    ['expired', `${url.origin}${signedPath(key, { tenantId: tenant, backupId: physical.BackupId, file, expires: Math.floor(Date.now() / 1000) - 1 })}`],
    ['signature altered', withParam('Signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1))],
    ['expiry pushed later', withParam('Expires', String(Number(url.searchParams.get('Expires')) + 86400))],
    ['tenant swapped', withParam('Tenant', 'another-tenant')],
    ['signature missing', (() => { const u = new URL(url); u.searchParams.delete('Signature'); return u; })()],
    ['another backup of the same tenant', `${url.origin}${url.pathname.replaceAll(physical.BackupId, logical.BackupId).replace('.xb.zst', '.sql.zst')}${url.search}`],
    // A valid signature for another tenant on this backup (as if that tenant's key had signed it).
    ['signed for another tenant', `${url.origin}${signedPath(key, { tenantId: 'another-tenant', backupId: physical.BackupId, file, expires: Math.floor(Date.now() / 1000) + 600 })}`],
  ];
  for (const [name, u] of cases) {
    const r = await get(u);
    assert.equal(r.status, 403, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.Code, 'InvalidSignedUrl', name);
  }
  assert.equal((await get(url)).status, 200, 'the original URL still works');

  // Another tenant's API calls see nothing of these backups.
  const other = new TestClient(s.url, newKey(s.home, 'tenant-b'));
  for (const action of ['DescribeBackups', 'DownloadBackup', 'DeleteBackup']) {
    const r = await other.call(action, { InstanceUuid: inst.InstanceUuid, BackupId: physical.BackupId });
    assert.equal(r.body.Code, 'ResourceNotFound', action);
  }
  const r = await other.call('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup' });
  assert.equal(r.body.Code, 'ResourceNotFound');
});

// ---- parameter rules ------------------------------------------------------------------------

const NO_INSTANCE = '00000000-0000-4000-8000-000000000000';
type Case = [name: string, action: string, params: () => Record<string, unknown>, code: string, msg: RegExp];
const cb = (over: Record<string, unknown>) => () => ({ InstanceUuid: inst.InstanceUuid, BackupType: 'logical-backup', ...over });
const pol = (over: Record<string, unknown>) => () => ({ InstanceUuid: inst.InstanceUuid, DataBackups: { TimeSlot: '02:00-03:00', DateList: ['1', '3'], Sign: 1, ...over } });
const CASES: Case[] = [
  ['CreateBackup without InstanceUuid', 'CreateBackup', () => ({ BackupType: 'physical-backup' }), 'ArgMissing', /InstanceUuid/],
  ['CreateBackup of an unknown instance', 'CreateBackup', () => ({ InstanceUuid: NO_INSTANCE, BackupType: 'physical-backup' }), 'ResourceNotFound', /instance/],
  ['CreateBackup without BackupType', 'CreateBackup', cb({ BackupType: undefined }), 'ArgMissing', /BackupType/],
  ['CreateBackup with BackupType full-backup', 'CreateBackup', cb({ BackupType: 'full-backup' }), 'InvalidParameter', /BackupType/],
  ['CreateBackup with a Desc over 256 characters', 'CreateBackup', cb({ Desc: 'x'.repeat(257) }), 'InvalidParameter', /Desc/],
  ['CreateBackup with a control character in Desc', 'CreateBackup', cb({ Desc: 'a\u0001b' }), 'InvalidParameter', /Desc/],
  ['CreateBackup with an unknown BackupStrategy', 'CreateBackup', cb({ BackupStrategy: 'table' }), 'InvalidParameter', /BackupStrategy/],
  ['physical backup with DBList', 'CreateBackup', cb({ BackupType: 'physical-backup', DBList: ['app'] }), 'InvalidParameter', /DBList.*physical/],
  ['physical backup with BackupStrategy db', 'CreateBackup', cb({ BackupType: 'physical-backup', BackupStrategy: 'db' }), 'InvalidParameter', /BackupStrategy/],
  ['BackupStrategy db without DBList', 'CreateBackup', cb({ BackupStrategy: 'db' }), 'ArgMissing', /DBList/],
  ['BackupStrategy db with an empty DBList', 'CreateBackup', cb({ BackupStrategy: 'db', DBList: [] }), 'ArgMissing', /DBList/],
  ['BackupStrategy instance with DBList', 'CreateBackup', cb({ BackupStrategy: 'instance', DBList: ['app'] }), 'InvalidParameter', /DBList/],
  ['DBList with a system database', 'CreateBackup', cb({ DBList: ['app', 'mysql'] }), 'InvalidParameter', /DBList\.1.*system/],
  ['DBList with a database twice', 'CreateBackup', cb({ DBList: ['app', 'app'] }), 'InvalidParameter', /DBList\.1.*twice/],
  ['DBList with a missing database', 'CreateBackup', cb({ DBList: ['app', 'nosuchdb'] }), 'InvalidParameter', /DBList\.1.*does not exist/],
  ['DBList with 101 names', 'CreateBackup', cb({ DBList: Array.from({ length: 101 }, (_, i) => `d${i}`) }), 'InvalidParameter', /DBList/],
  ['DBList with an empty name', 'CreateBackup', cb({ DBList: ['app', ''] }), 'InvalidParameter', /DBList\.1/],
  ['DBList as a comma string (Terraform style)', 'CreateBackup', cb({ DBList: 'app,other' }), 'InvalidParameter', /DBList\.0.*does not exist/],
  ['DescribeBackups without InstanceUuid', 'DescribeBackups', () => ({}), 'ArgMissing', /InstanceUuid/],
  ['DescribeBackups of an unknown instance', 'DescribeBackups', () => ({ InstanceUuid: NO_INSTANCE }), 'ResourceNotFound', /instance/],
  ['DeleteBackup without BackupId', 'DeleteBackup', () => ({ InstanceUuid: inst.InstanceUuid }), 'ArgMissing', /BackupId/],
  ['DeleteBackup without InstanceUuid', 'DeleteBackup', () => ({ BackupId: physical.BackupId }), 'ArgMissing', /InstanceUuid/],
  ['DeleteBackup with a malformed BackupId', 'DeleteBackup', () => ({ InstanceUuid: inst.InstanceUuid, BackupId: '12345' }), 'InvalidParameter', /BackupId/],
  ['DeleteBackup of an unknown BackupId', 'DeleteBackup', () => ({ InstanceUuid: inst.InstanceUuid, BackupId: 'bk-00000000000000000000' }), 'ResourceNotFound', /bk-0000/],
  ['DeleteBackup of an unknown instance', 'DeleteBackup', () => ({ InstanceUuid: NO_INSTANCE, BackupId: physical.BackupId }), 'ResourceNotFound', /instance/],
  ['DownloadBackup without BackupId', 'DownloadBackup', () => ({ InstanceUuid: inst.InstanceUuid }), 'ArgMissing', /BackupId/],
  ['DownloadBackup of an unknown BackupId', 'DownloadBackup', () => ({ InstanceUuid: inst.InstanceUuid, BackupId: 'bk-00000000000000000000' }), 'ResourceNotFound', /bk-0000/],
  ['DownloadBackup with a malformed BackupId', 'DownloadBackup', () => ({ InstanceUuid: inst.InstanceUuid, BackupId: '../../etc/passwd' }), 'InvalidParameter', /BackupId/],
  ['ModifyDbBackupPolicy without InstanceUuid', 'ModifyDbBackupPolicy', () => ({ DataBackups: { TimeSlot: '02:00-03:00', DateList: ['1'], Sign: 1 } }), 'ArgMissing', /InstanceUuid/],
  ['ModifyDbBackupPolicy of an unknown instance', 'ModifyDbBackupPolicy', () => ({ ...pol({})(), InstanceUuid: NO_INSTANCE }), 'ResourceNotFound', /instance/],
  ['ModifyDbBackupPolicy without DataBackups', 'ModifyDbBackupPolicy', () => ({ InstanceUuid: inst.InstanceUuid }), 'ArgMissing', /DataBackups/],
  ['DataBackups not an object', 'ModifyDbBackupPolicy', () => ({ InstanceUuid: inst.InstanceUuid, DataBackups: 'daily' }), 'InvalidParameter', /DataBackups/],
  ['without TimeSlot', 'ModifyDbBackupPolicy', pol({ TimeSlot: undefined }), 'ArgMissing', /DataBackups\.TimeSlot/],
  ['TimeSlot of two hours', 'ModifyDbBackupPolicy', pol({ TimeSlot: '02:00-04:00' }), 'InvalidParameter', /DataBackups\.TimeSlot/],
  ['TimeSlot not on the hour', 'ModifyDbBackupPolicy', pol({ TimeSlot: '02:30-03:30' }), 'InvalidParameter', /DataBackups\.TimeSlot/],
  ['TimeSlot without leading zero', 'ModifyDbBackupPolicy', pol({ TimeSlot: '2:00-3:00' }), 'InvalidParameter', /DataBackups\.TimeSlot/],
  ['TimeSlot 24:00-25:00', 'ModifyDbBackupPolicy', pol({ TimeSlot: '24:00-25:00' }), 'InvalidParameter', /DataBackups\.TimeSlot/],
  ['without DateList', 'ModifyDbBackupPolicy', pol({ DateList: undefined }), 'ArgMissing', /DataBackups\.DateList/],
  ['empty DateList', 'ModifyDbBackupPolicy', pol({ DateList: [] }), 'ArgMissing', /DataBackups\.DateList/],
  ['DateList day 7', 'ModifyDbBackupPolicy', pol({ DateList: ['1', '7'] }), 'InvalidParameter', /DataBackups\.DateList\.1/],
  ['DateList like Terraform\'s example (da1,db2)', 'ModifyDbBackupPolicy', pol({ DateList: 'da1,db2,db3' }), 'InvalidParameter', /DataBackups\.DateList\.0/],
  ['DateList with a day twice', 'ModifyDbBackupPolicy', pol({ DateList: ['2', '2'] }), 'InvalidParameter', /DataBackups\.DateList\.1.*twice/],
  ['DateList with 8 days', 'ModifyDbBackupPolicy', pol({ DateList: ['0', '1', '2', '3', '4', '5', '6', '0'] }), 'InvalidParameter', /DataBackups\.DateList/],
  ['without Sign', 'ModifyDbBackupPolicy', pol({ Sign: undefined }), 'ArgMissing', /DataBackups\.Sign/],
  ['Sign 2', 'ModifyDbBackupPolicy', pol({ Sign: 2 }), 'InvalidParameter', /DataBackups\.Sign/],
  ['Sign on', 'ModifyDbBackupPolicy', pol({ Sign: 'on' }), 'InvalidParameter', /DataBackups\.Sign/],
  ['Sign true', 'ModifyDbBackupPolicy', pol({ Sign: true }), 'InvalidParameter', /DataBackups\.Sign/],
];
for (const [name, action, params, code, msg] of CASES) {
  test(`${action} refuses: ${name}`, async () => {
    const r = await s.client.call(action, params());
    assert.equal(r.body.Code, code, JSON.stringify(r.body));
    assert.equal(r.status, code === 'ResourceNotFound' ? 404 : 400);
    assert.match(r.body.Message, msg);
    assert.equal(r.body.TaskId, '');
  });
}

test('ModifyDbBackupPolicy accepts a valid policy over POST and GET (SDK flattening), Sign 0 included', async () => {
  const ok = await s.client.ok('ModifyDbBackupPolicy', pol({})());
  assert.deepEqual(ok.data, {});
  await s.client.ok('ModifyDbBackupPolicy', pol({ TimeSlot: '23:00-24:00', DateList: ['0', '6'], Sign: 0 })(), { method: 'GET' });
  await s.client.ok('ModifyDbBackupPolicy', pol({ TimeSlot: '00:00-01:00', DateList: ['0', '1', '2', '3', '4', '5', '6'], Sign: '1' })());
});

test('DeleteBackup and DownloadBackup of a running backup: ResourceInUse; a backup that cannot complete ends failed with the reason', async () => {
  const c = s.client;
  const conn = await mysql.createConnection(cfg());
  await conn.query('CREATE DATABASE doomed');
  await conn.query('CREATE TABLE doomed.t (i INT)');
  const first = await c.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup' });
  // Queued behind the first backup, then its database disappears before its turn.
  const second = await c.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'logical-backup', DBList: ['doomed'] });
  await conn.query('DROP DATABASE doomed');
  await conn.end();
  for (const action of ['DeleteBackup', 'DownloadBackup']) {
    const r = await c.call(action, { InstanceUuid: inst.InstanceUuid, BackupId: first.data.BackupId });
    assert.equal(r.body.Code, 'ResourceInUse', `${action}: ${JSON.stringify(r.body)}`);
    assert.equal(r.status, 409);
  }
  // The instance is RUNNING and other calls go on meanwhile (no ResourceInUse because of the backup).
  await c.ok('ModifyDbBackupPolicy', pol({})());
  await c.ok('CreatePrivilegedAccount', { InstanceUuid: inst.InstanceUuid, AccountName: 'during', Password: 'During-Pass1', AccountType: 'Normal' });
  const f = await waitBackup(c, inst.InstanceUuid, first.data.BackupId);
  assert.equal(f.Status, 'finished', f.StatusDetail);
  const failed = await waitBackup(c, inst.InstanceUuid, second.data.BackupId);
  assert.equal(failed.Status, 'failed');
  assert.match(failed.StatusDetail, /doomed/);
  assert.equal(failed.BackupSize, 0);
  assert.equal(failed.BackupFinishTime, '');
  const dl = await c.call('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: failed.BackupId });
  assert.equal(dl.body.Code, 'UnsupportedOperation');
  assert.equal(readdirSync(join(s.home, 'backups', inst.InstanceUuid)).filter((x) => x.includes(failed.BackupId)).length, 0, 'a failed backup leaves no file');
  // A failed backup can be deleted.
  const del = await c.ok('DeleteBackup', { InstanceUuid: inst.InstanceUuid, BackupId: failed.BackupId });
  assert.ok(del.taskId);
});

test('at most 3 unfinished backups per instance; a 4th is ResourceInUse, and they run one after the other', async () => {
  const c = s.client;
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await c.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup' })).data.BackupId);
  const fourth = await c.call('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup' });
  assert.equal(fourth.body.Code, 'ResourceInUse');
  const done = await Promise.all(ids.map((id) => waitBackup(c, inst.InstanceUuid, id)));
  assert.ok(done.every((b) => b.Status === 'finished'), JSON.stringify(done.map((b) => b.StatusDetail)));
  // One at a time: each started after the previous one ended.
  const order = done.sort((a, b) => a.StartTime.localeCompare(b.StartTime));
  for (let i = 1; i < order.length; i++) assert.ok(order[i].StartTime >= order[i - 1].EndTime, 'backups of one instance do not overlap');
  for (const id of ids) await c.ok('DeleteBackup', { InstanceUuid: inst.InstanceUuid, BackupId: id });
});

test('DeleteBackup removes the file and the record; its URL then gives 404', async () => {
  const c = s.client;
  const b = await backupNow(c, inst.InstanceUuid);
  const d = await c.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: b.BackupId }, { method: 'GET' });
  const file = join(s.home, 'backups', inst.InstanceUuid, `${b.BackupId}.xb.zst`);
  assert.ok(existsSync(file));
  const del = await c.ok('DeleteBackup', { InstanceUuid: inst.InstanceUuid, BackupId: b.BackupId });
  assert.ok(del.taskId);
  const again = await c.call('DeleteBackup', { InstanceUuid: inst.InstanceUuid, BackupId: b.BackupId });
  assert.ok(['ResourceInUse', 'ResourceNotFound'].includes(again.body.Code), JSON.stringify(again.body));
  for (let i = 0; ; i++) {
    const t = await c.ok('DescribeTask', { TaskId: del.taskId }, { method: 'GET' });
    if (t.data.Status === 'FINISH') break;
    assert.ok(i < 100, 'delete task finished');
    await sleep(100);
  }
  const list = await c.ok('DescribeBackups', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.equal(list.data.find((x: any) => x.BackupId === b.BackupId), undefined);
  assert.equal(existsSync(file), false);
  const r = await fetch(d.data.BackupDownloadUrl);
  assert.equal(r.status, 404);
  assert.equal((await r.json()).Code, 'ResourceNotFound');
  const gone = await c.call('DeleteBackup', { InstanceUuid: inst.InstanceUuid, BackupId: b.BackupId });
  assert.equal(gone.body.Code, 'ResourceNotFound');
});

test('kill -9 of serve during a backup: after the restart it completes, no orphan process or temp file, and the next backup works', async () => {
  const c = s.client;
  const r = await c.ok('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup' });
  const id: string = r.data.BackupId;
  const workDir = join(s.home, 'backup-work', id);
  const staging = join(s.home, 'backups', inst.InstanceUuid, `.${id}.xb.zst.partial`);
  for (let i = 0; pidsByArgv(`${workDir}/`).length === 0; i++) {
    assert.ok(i < 6000, 'the backup tool started');
    await sleep(5);
  }
  await s.kill9();
  const orphans = [...pidsByArgv(`${workDir}/`), ...pidsByArgv(staging)];
  await s.restart();
  const b = await waitBackup(c, inst.InstanceUuid, id);
  assert.ok(['finished', 'failed'].includes(b.Status));
  assert.equal(b.Status, 'finished', `resumed and completed (${b.StatusDetail})`);
  for (const pid of orphans) assert.equal(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(id), false, `process ${pid} of the killed run is gone`);
  assert.deepEqual([...pidsByArgv(`${workDir}/`), ...pidsByArgv(staging)], [], 'no backup process left');
  assert.equal(existsSync(workDir), false, 'no private folder left');
  assert.equal(existsSync(staging), false, 'no staging file left');
  assert.deepEqual(readdirSync(join(s.home, 'backups', inst.InstanceUuid)).filter((f) => f.endsWith('.partial')), []);
  const d = await c.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: id }, { method: 'GET' });
  const buf = Buffer.from(await (await fetch(d.data.BackupDownloadUrl)).arrayBuffer());
  assert.equal(sha256(buf), b.Sha256);
  const next = await backupNow(c, inst.InstanceUuid);
  assert.equal(next.Status, 'finished', next.StatusDetail);
});

test('deleting the instance keeps its backups listed, downloadable and deletable (docs/backups.md)', async () => {
  const c = s.client;
  const del = await c.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
  assert.ok(del.taskId);
  await c.waitStatus(inst.InstanceUuid, 'gone');
  const list = await c.ok('DescribeBackups', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.ok(list.data.some((b: any) => b.BackupId === physical.BackupId));
  const d = await c.ok('DownloadBackup', { InstanceUuid: inst.InstanceUuid, BackupId: physical.BackupId }, { method: 'GET' });
  const res = await fetch(d.data.BackupDownloadUrl, { method: 'HEAD' });
  assert.equal(res.status, 200);
  const cr = await c.call('CreateBackup', { InstanceUuid: inst.InstanceUuid, BackupType: 'physical-backup' });
  assert.equal(cr.body.Code, 'ResourceNotFound', 'no new backup of a deleted instance');
  const p = await c.call('ModifyDbBackupPolicy', pol({})());
  assert.equal(p.body.Code, 'ResourceNotFound');
  await c.ok('DeleteBackup', { InstanceUuid: inst.InstanceUuid, BackupId: logical.BackupId });
});

// ---- a full backup folder ---------------------------------------------------------------------

test('a full backup folder (5 MB tmpfs): the backup fails cleanly, leaves nothing, and the instance keeps running', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openrds-bkfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=5M', 'tmpfs', dir]);
  let s2: ServerHandle | undefined;
  t.after(async () => {
    await s2?.cleanup();
    try { execFileSync('umount', [dir]); } catch { /* not mounted */ }
    rmSync(dir, { recursive: true, force: true });
  });
  s2 = await startServer({ config: { backups: { dir } } });
  const small = await createRunning(s2.client, { InstanceName: 'full', Password: PW });
  const conn = await mysql.createConnection({ host: small.IP, port: small.Port, user: 'root', password: PW, database: 'mysql' });
  await conn.query('CREATE DATABASE big');
  await conn.query('CREATE TABLE big.t (id INT PRIMARY KEY, h VARCHAR(128))');
  await conn.query('INSERT INTO big.t SELECT seq, SHA2(seq, 512) FROM seq_1_to_100000'); // ~13 MB of hex: more than 5 MB compressed
  for (const type of ['physical-backup', 'logical-backup']) {
    const b = await backupNow(s2.client, small.InstanceUuid, { BackupType: type });
    assert.equal(b.Status, 'failed', type);
    assert.match(b.StatusDetail, /full|no space/i, type);
    const folder = join(dir, small.InstanceUuid);
    assert.deepEqual(existsSync(folder) ? readdirSync(folder) : [], [], `${type}: no file, partial or not, is left`);
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM big.t');
    assert.equal((rows as any[])[0].n, 100000, 'the instance answers');
  }
  const st = await s2.client.ok('DescribeDBInstances', { InstanceUuid: small.InstanceUuid }, { method: 'GET' });
  assert.equal(st.data[0].Status, 'RUNNING');
  // With room again, the next backup works.
  execFileSync('mount', ['-o', 'remount,size=200M', dir]);
  await conn.end();
  const ok = await backupNow(s2.client, small.InstanceUuid);
  assert.equal(ok.Status, 'finished', ok.StatusDetail);
});

// ---- HA: the standby is copied ------------------------------------------------------------------

test('an HA instance is backed up on its standby; the copy restores; read-only instances refuse backups', async (t) => {
  const s3 = await startServer({ config: { ha: { readOnlyMinCreatingMs: 0 } } });
  t.after(() => s3.cleanup());
  const ha = await createRunning(s3.client, { InstanceName: 'ha', PaasGoodsId: HA_1C2G, Password: PW });
  const conn = await mysql.createConnection({ host: ha.IP, port: ha.Port, user: 'root', password: PW });
  await conn.query('CREATE DATABASE app');
  await conn.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
  await conn.query("INSERT INTO app.t VALUES (1, 'one'), (2, 'two')");
  await sleep(300); // replicated
  const b = await backupNow(s3.client, ha.InstanceUuid);
  assert.equal(b.Status, 'finished', b.StatusDetail);
  assert.equal(b.SourceRole, 'standby');
  const st = await s3.client.ok('DescribeDBInstances', { InstanceUuid: ha.InstanceUuid }, { method: 'GET' });
  assert.equal(st.data[0].Status, 'RUNNING');
  const d = await s3.client.ok('DownloadBackup', { InstanceUuid: ha.InstanceUuid, BackupId: b.BackupId }, { method: 'GET' });
  const file = join(work, 'ha.xb.zst');
  await download(d.data.BackupDownloadUrl, file);
  const r = await restore('physical', file);
  assert.ok(existsSync(join(r.dir, 'data', 'xtrabackup_slave_info')), 'the copy was taken on a replica (--slave-info)');
  assert.equal(r.sql('SELECT GROUP_CONCAT(v ORDER BY id) FROM app.t'), 'one,two');
  r.destroy();
  await conn.end();

  const ro = await s3.client.ok('CreateReadOnlyDBInstance', { InstanceUuid: ha.InstanceUuid, InstanceName: 'ro', PaasGoodsId: 15686, DiskType: 'ssd_disk', DiskValue: 100 });
  const roUuid = ro.data.InstancesUuid[0];
  await s3.client.waitStatus(roUuid, 'RUNNING', 120_000);
  for (const [action, params] of [['CreateBackup', { BackupType: 'physical-backup' }], ['ModifyDbBackupPolicy', { DataBackups: { TimeSlot: '01:00-02:00', DateList: ['1'], Sign: 1 } }]] as const) {
    const x = await s3.client.call(action, { InstanceUuid: roUuid, ...params });
    assert.equal(x.body.Code, 'UnsupportedOperation', `${action}: ${JSON.stringify(x.body)}`);
  }
});

test('no backup process is left behind', () => {
  assert.deepEqual(pidsByArgv(`${s.home}/backup-work/`), []);
  assert.deepEqual(pidsByArgv(`${s.home}/backups/`), []);
});
