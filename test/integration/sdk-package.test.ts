/**
 * The SDK as a user gets it: `npm run pack:sdk` builds the tarball; in a scratch folder outside
 * the repository, `npm init -y` and `npm install <tarball>` (offline: no dependencies), then a
 * plain .mjs script creates an instance against a real serve, waits for RUNNING and deletes it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { BASIC_1C2G, PIPE, ROOT, VDC, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let dir: string;
before(async () => {
  s = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'openrds-sdk-user-'));
});
after(async () => {
  await s?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SCRIPT = `
import { OpenRDS, OpenRDSError } from 'openrds-sdk';
const [endpoint, accessKeyId, accessKeySecret, vdc, pipe, goods] = process.argv.slice(2);
const rds = new OpenRDS({ endpoint, accessKeyId, accessKeySecret });
const steps = new Set();
const { InstancesUuid: [uuid], TaskId } = await rds.createDBInstance({
  RegionId: 'CN_Beijing_A', VdcId: vdc, BasePipeId: pipe, InstanceName: 'sdk-user', PaasGoodsId: Number(goods),
  DiskType: 'ssd_disk', DiskValue: 100, Password: 'Sdk-Pass1',
});
await rds.waitForTask(TaskId, { timeoutMs: 600000, onProgress: (p) => p.step && steps.add(p.step) });
const running = await rds.waitUntilRunning(uuid, { timeoutMs: 600000 });
let typo = '';
try { await rds.deleteDBInstance({ InstanceUuid: uuid, Bogus: 1 }); } catch (e) { typo = e instanceof OpenRDSError ? e.code : String(e); }
let notFound = {};
try { await rds.describeDBInstances({ InstanceUuid: '00000000-0000-4000-8000-000000000000' }); } catch (e) {
  notFound = { code: e.code, httpStatus: e.httpStatus, requestId: e.requestId, isError: e instanceof OpenRDSError };
}
await rds.deleteDBInstance({ InstanceUuid: uuid });
await rds.waitUntilDeleted(uuid, { timeoutMs: 600000 });
console.log(JSON.stringify({ uuid, status: running.Status, port: running.Port, steps: [...steps], typo, notFound }));
`;

test('npm run pack:sdk; npm install of the tarball in a folder outside the repo; a .mjs script creates, waits, deletes', { timeout: 900_000 }, async () => {
  const pack = spawnSync('npm', ['run', '--silent', 'pack:sdk'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const tgz = pack.stdout.trim().split('\n').pop()!;
  assert.match(tgz, /openrds-sdk-.*\.tgz$/);
  assert.ok(existsSync(tgz));

  execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tgz], { cwd: dir, stdio: 'pipe' });
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules/openrds-sdk/package.json'), 'utf8'));
  assert.equal(installed.dependencies, undefined, 'no runtime dependencies');
  assert.ok(existsSync(join(dir, 'node_modules/openrds-sdk', installed.types)), 'ships .d.ts');
  assert.deepEqual(execFileSync('ls', [join(dir, 'node_modules')], { encoding: 'utf8' }).trim().split('\n').filter((x) => !x.startsWith('.')), ['openrds-sdk']);

  writeFileSync(join(dir, 'create.mjs'), SCRIPT);
  const r = spawnSync(process.execPath, ['create.mjs', s.url, s.creds.AccessKeyId, s.creds.AccessKeySecret, VDC, PIPE, String(BASIC_1C2G)], { cwd: dir, encoding: 'utf8', timeout: 900_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.status, 'RUNNING');
  assert.equal(out.port, 3306);
  // A create from a template can finish between two polls, so one step name may be all it saw.
  assert.ok(out.steps.length >= 1, `progress named the steps: ${out.steps}`);
  assert.equal(out.typo, 'UnknownParameter');
  assert.deepEqual({ ...out.notFound, requestId: out.notFound.requestId.length > 0 }, { code: 'ResourceNotFound', httpStatus: 404, requestId: true, isError: true });
  assert.equal((await s.client.call('DescribeDBInstances', { InstanceUuid: out.uuid })).body.Code, 'ResourceNotFound', 'deleted, read back by another client');
});
