/**
 * The real bin/openrds (compiled CLI) against a real serve: profiles, help, mistakes (exit 2 with
 * a suggestion), an unreachable server, output formats and --query, natural list/object
 * parameters over POST and GET, --wait for instances and backups (also a deleted instance's
 * backup), --dry-run, connect, key revocation, completion and --version.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TestClient } from '../support/cds-client.js';
import { BASIC_1C2G, BIN, PIPE, ROOT, VDC, newKey, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let cfgHome: string;

before(async () => {
  s = await startServer();
  cfgHome = mkdtempSync(join(tmpdir(), 'openrds-cli-cfg-'));
});
after(async () => {
  await s?.cleanup();
  if (cfgHome) rmSync(cfgHome, { recursive: true, force: true });
});

/** Runs bin/openrds with a scratch config dir and no OPENRDS_* from the outer environment. */
function run(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENRDS_')));
  const r = spawnSync(BIN, args, { env: { ...clean, XDG_CONFIG_HOME: cfgHome, ...env }, encoding: 'utf8', timeout: 900_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
const json = (r: { out: string }) => JSON.parse(r.out);

test('configure writes a 0600 profile that call then uses; --version; help lists actions and parameters', () => {
  // The first start printed the default key as ready-to-paste export lines, and did not wait for a terminal.
  assert.match(s.logs(), /export OPENRDS_ACCESS_KEY_ID=AK[0-9A-F]+\n\s*export OPENRDS_ACCESS_KEY_SECRET=\S+/);
  const c = run(['configure', '--access-key-id', s.creds.AccessKeyId, '--access-key-secret', s.creds.AccessKeySecret, '--endpoint', s.url]);
  assert.equal(c.status, 0, c.err);
  const file = join(cfgHome, 'openrds', 'config.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).profiles.default.endpoint, s.url);
  const r = run(['call', 'DescribeRegions']);
  assert.equal(r.status, 0, r.err);
  assert.equal(json(r).Code, 'Success');
  const v = run(['--version']);
  assert.equal(v.out.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  const h = run(['call', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.out, /Backups:\n(.*\n)*\s+CreateBackup\s/);
  const a = run(['call', 'CreateDBInstance', '--help']);
  assert.match(a.out, /DiskValue\s+integer, required; DiskMin–DiskMax/);
});

test('mistakes: unknown parameter or action exit 2 naming it with a suggestion; an unreachable server names the address and what to run', () => {
  const typo = run(['call', 'CreateDBInstance', 'Pasword=x']);
  assert.equal(typo.status, 2);
  assert.match(typo.err, /unknown parameter Pasword of CreateDBInstance; did you mean Password\?/);
  const act = run(['call', 'DescribeDBInstance']);
  assert.equal(act.status, 2);
  assert.match(act.err, /unknown action DescribeDBInstance; did you mean DescribeDBInstances\?/);
  const down = run(['call', 'DescribeRegions', '--endpoint', 'http://127.0.0.1:9']);
  assert.equal(down.status, 1);
  assert.match(down.err, /cannot reach the openrds API at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\).*openrds serve/);
  const apiErr = run(['call', 'DescribeDBInstances', 'InstanceUuid=nope']);
  assert.equal(apiErr.status, 1);
  assert.equal(json(apiErr).Code, 'ResourceNotFound');
});

test('--output table and --query; --dry-run prints a signed request and sends nothing', () => {
  const t = run(['call', 'DescribeRegions', '--output', 'table']);
  assert.match(t.out.split('\n')[0]!, /^CityId\s+CityName/);
  const q = run(['call', 'DescribeRegions', '--query', 'Data[].RegionId']);
  assert.ok(json(q).includes('CN_Beijing_A'));
  const d = run(['call', 'CreateDBInstance', 'RegionId=CN_Beijing_A', `VdcId=${VDC}`, `BasePipeId=${PIPE}`, 'InstanceName=dry', `PaasGoodsId=${BASIC_1C2G}`, 'DiskType=ssd_disk', 'DiskValue=100', '--dry-run']);
  assert.equal(d.status, 0, d.err);
  assert.match(d.out, /^POST http:\/\/.*\/mysql\/\?.*Action=CreateDBInstance.*Signature=/);
  assert.equal(JSON.parse(d.out.split('\n\n')[1]!).InstanceName, 'dry');
  assert.deepEqual(json(run(['call', 'DescribeDBInstances', 'InstanceName=dry'])).Data, []);
});

test('an instance with --wait, accounts with list/object parameters over POST and GET, connect, backups with --wait, delete', { timeout: 900_000 }, () => {
  const c = run(['call', 'CreateDBInstance', 'RegionId=CN_Beijing_A', `VdcId=${VDC}`, `BasePipeId=${PIPE}`, 'InstanceName=cli', `PaasGoodsId=${BASIC_1C2G}`,
    'DiskType=ssd_disk', 'DiskValue=100', 'Password=Cli-Pass1', '--wait']);
  assert.equal(c.status, 0, c.err);
  const uuid = json(c).Data.InstancesUuid[0] as string;
  assert.match(c.err, /task .*: DOING, step \S+ \(\d+\/\d+\)/, 'progress lines name the step');
  assert.match(c.err, new RegExp(`instance ${uuid}: RUNNING`));
  assert.match(c.err, /CreateDBInstance: done in \d+\.\d s/);

  const sql = run(['connect', uuid, '--account', 'root', '--', '-e', 'CREATE DATABASE shop; CREATE DATABASE crm'], { MYSQL_PWD: 'Cli-Pass1' });
  assert.equal(sql.status, 0, sql.err);
  assert.equal(run(['call', 'CreatePrivilegedAccount', `InstanceUuid=${uuid}`, 'AccountName=app', 'Password=App-Pass1', 'AccountType=Normal']).status, 0);
  const post = run(['call', 'ModifyDbPrivilege', `InstanceUuid=${uuid}`, 'AccountName=app', 'Operations=[{"DBName":"shop","Privilege":"ReadWrite"}]']);
  assert.equal(post.status, 0, post.out + post.err);
  const get = run(['call', 'ModifyDbPrivilege', `InstanceUuid=${uuid}`, 'AccountName=app', 'Operations.0.DBName=crm', 'Operations.0.Privilege=ReadOnly', '--get']);
  assert.equal(get.status, 0, get.out + get.err);
  const privs = json(run(['call', 'DescribeDBAccount', `InstanceUuid=${uuid}`, '--query', "Data[?AccountName=='app'].DatabasePrivileges[][DBName, AccountPrivilegeType]"]));
  assert.deepEqual(privs, [['crm', 'ReadOnly'], ['shop', 'ReadWrite']]);
  const login = run(['connect', uuid, '--account', 'app', '--', '-N', '-e', 'SELECT CURRENT_USER()'], { MYSQL_PWD: 'App-Pass1' });
  assert.equal(login.status, 0, login.err);
  assert.match(login.out, /^app@/);

  const b = run(['call', 'CreateBackup', `InstanceUuid=${uuid}`, 'BackupType=logical-backup', 'BackupStrategy=db', 'DBList=shop', '--wait']);
  assert.equal(b.status, 0, b.err);
  const backupId = json(b).Data.BackupId as string;
  assert.match(b.err, /CreateBackup: done/);
  assert.equal(json(run(['call', 'DescribeBackups', `InstanceUuid=${uuid}`, '--query', `Data[?BackupId=='${backupId}'].Status | [0]`])), 'finished');

  const d = run(['call', 'DeleteDBInstance', `InstanceUuid=${uuid}`, '--wait']);
  assert.equal(d.status, 0, d.err);
  assert.match(d.err, new RegExp(`instance ${uuid}: deleted`));
  // The deleted instance's backup is kept; deleting it with --wait waits for its task, no error.
  const db = run(['call', 'DeleteBackup', `InstanceUuid=${uuid}`, `BackupId=${backupId}`, '--wait']);
  assert.equal(db.status, 0, db.err);
  assert.doesNotMatch(db.err, /error|not found/i);
  assert.match(db.err, /DeleteBackup: done/);
  const gone = run(['call', 'ModifyDBParameter', `InstanceUuid=${uuid}`, 'Parameters.0.Name=max_connections', 'Parameters.0.Value=500']);
  assert.equal(gone.status, 1);
});

test('keys list and delete: a revoked key is refused with InvalidAccessKeyId within a second', async () => {
  const k = newKey(s.home, 'tenant-revoke');
  const env = { OPENRDS_ACCESS_KEY_ID: k.AccessKeyId, OPENRDS_ACCESS_KEY_SECRET: k.AccessKeySecret, OPENRDS_ENDPOINT: s.url };
  assert.equal(run(['call', 'DescribeRegions'], env).status, 0);
  const list = run(['keys', 'list', '--home', s.home, '--json']);
  assert.ok(json(list).some((x: { AccessKeyId: string; Status: string }) => x.AccessKeyId === k.AccessKeyId && x.Status === 'active'));
  // Warm the server's key cache right before the revocation: the worst case.
  const client = new TestClient(s.url, k);
  assert.equal((await client.call('DescribeRegions')).body.Code, 'Success');
  const del = run(['keys', 'delete', k.AccessKeyId, '--home', s.home]);
  assert.equal(del.status, 0, del.err);
  const t0 = Date.now();
  let code = '';
  while (Date.now() - t0 < 5000) {
    code = (await client.call('DescribeRegions')).body.Code;
    if (code === 'InvalidAccessKeyId') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const waited = Date.now() - t0;
  assert.equal(code, 'InvalidAccessKeyId');
  // The server caches a key for at most 900 ms (src/api/server.ts); the rest is slack for a loaded machine.
  assert.ok(waited <= 1200, `refused ${waited} ms after keys delete returned`);
  assert.equal(run(['keys', 'delete', k.AccessKeyId, '--home', s.home]).status, 1, 'a second delete finds no active key');
});

test('completion: bash and zsh scripts, candidates from the contracts', () => {
  assert.match(run(['completion', 'bash']).out, /complete -F _openrds openrds/);
  assert.match(run(['completion', 'zsh']).out, /compdef _openrds openrds/);
  assert.deepEqual(run(['__complete', 'call', 'DescribeR']).out.trim().split('\n'), ['DescribeRegions', 'DescribeRollbackRangeTime']);
  assert.deepEqual(run(['__complete', 'call', 'DeleteDBInstance', '']).out.trim().split('\n'), ['InstanceUuid=']);
});
