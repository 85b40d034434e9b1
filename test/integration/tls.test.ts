/**
 * HTTPS (issue 11, defect 11): the real `openrds serve` with `tls.listen` beside its plain
 * listener and a certificate from the home's local CA. A client doing exactly what the Go SDK
 * does (test/support/go-sdk-client.ts) works at `/` and `/mysql/` over GET and POST, creating
 * and reading a real instance and backup, while a certificate for other names is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import { BIN, createParams, newKey, startServer, waitListening, type ServerHandle } from '../support/harness.js';
import { goSdkCall, type GoSdkOptions } from '../support/go-sdk-client.js';
import { nftTableName } from '../../src/endpoints/nftables/nft-endpoints.js';

const NAME = 'api.openrds.test';
let s: ServerHandle;
let tlsUrl: string;

/** The HTTPS base URL of the last start, from its "listening" line. */
function lastTlsUrl(logs: string): string {
  const all = [...logs.matchAll(/"tlsUrl":"(https:\/\/[^"]+)"[^\n]*"msg":"listening"/g)];
  if (!all.length) throw new Error(`no HTTPS listener in the log:\n${logs.slice(-3000)}`);
  return all.at(-1)![1]!;
}
const caPath = () => join(s.home, 'tls', 'ca.pem');
const ca = () => readFileSync(caPath());
const hostPort = () => new URL(tlsUrl).host;
const sdk = (o: Partial<GoSdkOptions> = {}): GoSdkOptions => ({ endpoint: hostPort(), creds: s.creds, reqMethod: 'POST', ca: ca(), ...o });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sdkOk(o: GoSdkOptions, action: string, req: Record<string, unknown>): Promise<any> {
  const r = await goSdkCall(o, action, req);
  assert.equal(r.status, 200, `${action} ${o.reqMethod} ${r.url.split('?')[0]}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.Code, 'Success', JSON.stringify(r.body));
  return r.body;
}

/** The error a client gets for the server's certificate (undefined = accepted). */
async function tlsError(o: GoSdkOptions): Promise<string | undefined> {
  try {
    await goSdkCall(o, 'DescribeRegions', {});
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

function getBuffer(url: string, caPem: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca: [...rootCertificates, caPem.toString()] }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const fingerprint = (f: string) => new X509Certificate(readFileSync(f)).fingerprint256;

before(async () => {
  s = await startServer({ config: { tls: { listen: '127.0.0.1:0', names: [NAME] } } });
  tlsUrl = lastTlsUrl(s.logs());
});
after(async () => {
  await s?.cleanup();
});

test('the start names the CA: a structured log line and a hint for curl, Node, Go and the CLI', () => {
  const logs = s.logs();
  assert.match(logs, new RegExp(`"tlsUrl":"${tlsUrl}","ca":"${caPath()}"[^\\n]*"msg":"https listening"`));
  assert.match(logs, /"reason":"no local CA yet"[^\n]*"msg":"made a new local CA and server certificate"/);
  for (const hint of [`curl --cacert ${caPath()}`, `NODE_EXTRA_CA_CERTS=${caPath()}`, `SSL_CERT_FILE=${caPath()}`, `--ca-file ${caPath()}`]) {
    assert.ok(logs.includes(hint), `the start prints ${hint}`);
  }
  const cert = new X509Certificate(readFileSync(join(s.home, 'tls', 'server.pem')));
  assert.ok(cert.checkIssued(new X509Certificate(ca())));
  for (const n of ['localhost', NAME]) assert.ok(cert.checkHost(n), n);
  assert.ok(cert.checkIP('127.0.0.1'), 'the listen address');
});

test('key files are mode 0600, the tls folder 0700', () => {
  const mode = (f: string) => statSync(join(s.home, 'tls', f)).mode & 0o777;
  assert.equal(mode('.'), 0o700);
  assert.equal(mode('ca-key.pem'), 0o600);
  assert.equal(mode('server-key.pem'), 0o600);
});

test('Go SDK client, no transport override: GET and POST at / and at /mysql/, a real instance and backup, download over HTTPS', async () => {
  for (const endpoint of [hostPort(), `${hostPort()}/mysql`]) {
    for (const reqMethod of ['GET', 'POST'] as const) {
      const o = sdk({ endpoint, reqMethod });
      const r = await goSdkCall(o, 'DescribeRegions', {});
      assert.equal(new URL(r.url).pathname, endpoint.endsWith('/mysql') ? '/mysql/' : '/');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.Code, 'Success');
      assert.ok(Array.isArray(r.body.Data) && r.body.Data.length > 0, 'regions listed');
    }
  }
  // A mutation over HTTPS (POST at "/", unset fields null, as json.Marshal sends them), read back over GET at /mysql/.
  const post = sdk({ reqMethod: 'POST' });
  const get = sdk({ reqMethod: 'GET', endpoint: `${hostPort()}/mysql` });
  const created = await sdkOk(post, 'CreateDBInstance', { ...createParams({ InstanceName: 'tls-db' }), Password: null, Amount: null, TimeZone: null });
  const uuid = created.Data.InstancesUuid[0];
  const t0 = Date.now();
  let inst: any;
  for (;;) {
    inst = (await sdkOk(get, 'DescribeDBInstances', { InstanceUuid: uuid })).Data[0];
    if (inst?.Status === 'RUNNING') break;
    assert.notEqual(inst?.Status, 'ERROR', inst?.StatusDetail);
    assert.ok(Date.now() - t0 < 180_000, `instance not RUNNING after 180 s: ${JSON.stringify(inst)}`);
    await sleep(300);
  }
  assert.equal(inst.InstanceName, 'tls-db');

  // Signed download URLs point at the HTTPS listener, and download there.
  const b = await sdkOk(post, 'CreateBackup', { InstanceUuid: uuid, BackupType: 'logical-backup', DBList: null, Desc: null });
  const backupId = b.Data.BackupId;
  let listed: any;
  for (;;) {
    listed = (await sdkOk(get, 'DescribeBackups', { InstanceUuid: uuid })).Data.find((x: any) => x.BackupId === backupId);
    if (listed && listed.Status !== 'running') break;
    assert.ok(Date.now() - t0 < 300_000, 'backup not finished in time');
    await sleep(300);
  }
  assert.equal(listed.Status, 'finished', listed.StatusDetail);
  const d = (await sdkOk(get, 'DownloadBackup', { InstanceUuid: uuid, BackupId: backupId })).Data;
  for (const url of [d.BackupDownloadUrl, d.BackupIntranetDownloadUrl]) {
    assert.ok(url.startsWith(`${tlsUrl}/backups/download/${backupId}/`), `download URL on the HTTPS listener: ${url}`);
  }
  const file = await getBuffer(d.BackupDownloadUrl, ca());
  assert.equal(file.status, 200);
  assert.equal(file.body.length, listed.BackupSize);
  assert.equal(createHash('sha256').update(file.body).digest('hex'), listed.Sha256);
});

test('the client refuses a certificate for other names, and one from a CA it does not trust', async () => {
  assert.equal(await tlsError(sdk({ servername: 'not-in-the-cert.openrds.test' })), 'ERR_TLS_CERT_ALTNAME_INVALID');
  assert.equal(await tlsError(sdk({ ca: undefined })), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'system roots alone do not trust the local CA');
  assert.equal(await tlsError(sdk({ servername: NAME })), undefined, 'a tls.names entry is in the certificate');
  assert.equal(await tlsError(sdk({ servername: 'localhost' })), undefined);
});

test('an operator certificate (--tls-cert/--tls-key) for other names is served and refused by the client', async () => {
  // Any second CA and a leaf for other.example only, made with the same openssl the server uses.
  const dir = join(s.home, 'operator-cert');
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  const keyArgs = ['-config', '/dev/null', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];
  run(['req', '-x509', '-new', ...keyArgs, '-keyout', join(dir, 'ca-key.pem'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=other CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-x509', '-new', ...keyArgs, '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca-key.pem'), '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '2', '-subj', '/CN=other.example', '-addext', 'subjectAltName=DNS:other.example', '-addext', 'basicConstraints=CA:FALSE']);
  const home = join('/tmp', `openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-${process.pid}-op-${randomInt(1e9)}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.json'), JSON.stringify({ networks: [{ VdcId: 'v', VdcName: 'v', RegionIds: '*', Pipes: [{ BasePipeId: 'p', PipeName: 'p', Cidr: `127.${randomInt(20, 250)}.${randomInt(0, 256)}.0/24` }] }] }));
  const p = spawn(BIN, ['serve', '--home', home, '--tls-listen', '127.0.0.1:0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const started = await waitListening(p, 'https');
    const url = started.url;
    assert.ok(!existsSync(join(home, 'tls')), 'no local CA when the operator gives a certificate');
    assert.ok(started.output().includes(`with the certificate ${join(dir, 'cert.pem')}`));
    const o = { endpoint: new URL(url).host, creds: newKey(home, 'op'), reqMethod: 'GET' as const, ca: readFileSync(join(dir, 'ca.pem')) };
    assert.equal(await tlsError(o), 'ERR_TLS_CERT_ALTNAME_INVALID', 'connected by 127.0.0.1, certificate only for other.example');
    await sdkOk({ ...o, servername: 'other.example' }, 'DescribeRegions', {});
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
    try { spawnSync('nft', ['delete', 'table', 'ip', nftTableName(home)], { stdio: 'ignore' }); } catch { /* none */ }
    rmSync(home, { recursive: true, force: true });
  }
});

test('CLI: --ca-file or OPENRDS_CA_FILE for an https endpoint (plain http as before); without it, a message naming the file to pass', () => {
  const env = { ...process.env, OPENRDS_ACCESS_KEY_ID: s.creds.AccessKeyId, OPENRDS_ACCESS_KEY_SECRET: s.creds.AccessKeySecret, OPENRDS_CA_FILE: '' };
  const withFlag = spawnSync(BIN, ['call', 'DescribeRegions', '--endpoint', tlsUrl, '--ca-file', caPath()], { env, encoding: 'utf8' });
  assert.equal(withFlag.status, 0, withFlag.stderr);
  assert.equal(JSON.parse(withFlag.stdout).Code, 'Success');
  const withEnv = spawnSync(BIN, ['call', 'DescribeDBInstances', '--get', '--endpoint', tlsUrl], { env: { ...env, OPENRDS_CA_FILE: caPath() }, encoding: 'utf8' });
  assert.equal(withEnv.status, 0, withEnv.stderr);
  assert.equal(JSON.parse(withEnv.stdout).Code, 'Success');
  const plain = spawnSync(BIN, ['call', 'DescribeRegions', '--endpoint', s.url], { env, encoding: 'utf8' });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(JSON.parse(plain.stdout).Code, 'Success', 'plain HTTP through the same transport');
  const without = spawnSync(BIN, ['call', 'DescribeRegions', '--endpoint', tlsUrl], { env, encoding: 'utf8' });
  assert.equal(without.status, 1);
  assert.match(without.stderr, /certificate of 127\.0\.0\.1:\d+ is not trusted.*tls\/ca\.pem \(--ca-file, OPENRDS_CA_FILE\)/);
});

test('framework-level answers and keep-alive are the same on both listeners (a malformed request, an unknown path)', async () => {
  /** One request on a fresh connection; the whole answer as text (the server closes after a parser error). */
  const exchange = (base: string, bytes: string) => new Promise<string>((resolve, reject) => {
    const u = new URL(base);
    const sock = u.protocol === 'https:'
      ? tlsConnect({ host: u.hostname, port: Number(u.port), ca: [...rootCertificates, ca().toString()], servername: 'localhost' })
      : netConnect({ host: u.hostname, port: Number(u.port) });
    let text = '';
    sock.on(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => sock.write(bytes));
    sock.on('data', (d: Buffer) => { text += d.toString(); if (!bytes.includes('close') && /\r\n\r\n[\s\S]*\}$/.test(text)) sock.end(); });
    sock.on('end', () => resolve(text));
    sock.on('close', () => resolve(text));
    sock.on('error', reject);
  });
  const shape = (t: string) => {
    const [head, body = ''] = t.split('\r\n\r\n');
    const status = head!.split('\r\n')[0];
    const keepAlive = /^keep-alive: (.*)$/im.exec(head!)?.[1];
    let keys: string[] = [];
    try { keys = Object.keys(JSON.parse(body)).sort(); } catch { keys = [body.slice(0, 50)]; }
    return { status, keepAlive, keys };
  };
  for (const req of [
    'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    'GET /no/such/path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    'BAD\x01REQUEST\r\n\r\n',
  ]) {
    const plain = shape(await exchange(s.url, req));
    const tls = shape(await exchange(tlsUrl, req));
    assert.match(plain.status ?? '', /^HTTP\/1\.1 \d{3}/, JSON.stringify(req));
    assert.deepEqual(tls, plain, JSON.stringify(req));
  }
  // Keep-alive: the same idle timeout announced on both.
  const ka = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
  const k1 = shape(await exchange(s.url, ka));
  assert.match(k1.keepAlive ?? '', /timeout=\d+/);
  assert.deepEqual(shape(await exchange(tlsUrl, ka)), k1);
});

test('the generated certificate is made again, by the same CA, when tls.names change, and kept when nothing changed', async () => {
  const tls = (f: string) => join(s.home, 'tls', f);
  const ca0 = fingerprint(tls('ca.pem'));
  const srv0 = fingerprint(tls('server.pem'));
  await s.stop();
  await s.restart();
  tlsUrl = lastTlsUrl(s.logs());
  assert.equal(fingerprint(tls('server.pem')), srv0, 'same names: same certificate');

  const cfgFile = join(s.home, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  cfg.tls.names = ['api2.openrds.test'];
  writeFileSync(cfgFile, JSON.stringify(cfg));
  await s.stop();
  await s.restart();
  tlsUrl = lastTlsUrl(s.logs());
  assert.match(s.logs(), /"reason":"the names changed \(\+api2\.openrds\.test -api\.openrds\.test\)"[^\n]*"msg":"made a new server certificate"/);
  assert.equal(fingerprint(tls('ca.pem')), ca0, 'same CA: clients keep trusting it');
  assert.notEqual(fingerprint(tls('server.pem')), srv0);
  assert.deepEqual(JSON.parse(readFileSync(tls('server.json'), 'utf8')).names.includes('api2.openrds.test'), true);
  assert.equal(statSync(tls('server-key.pem')).mode & 0o777, 0o600);
  assert.equal(await tlsError(sdk({ servername: 'api2.openrds.test' })), undefined);
  assert.equal(await tlsError(sdk({ servername: NAME })), 'ERR_TLS_CERT_ALTNAME_INVALID', 'the dropped name is gone');
  await sdkOk(sdk({ servername: 'api2.openrds.test' }), 'DescribeDBInstances', {});
});

test('plain HTTP on a non-loopback address is refused at start, before the home is touched; --insecure-http allows it', async () => {
  const home = join('/tmp', `openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-${process.pid}-plain-${randomInt(1e9)}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.json'), JSON.stringify({ networks: [{ VdcId: 'v', VdcName: 'v', RegionIds: '*', Pipes: [{ BasePipeId: 'p', PipeName: 'p', Cidr: `127.${randomInt(20, 250)}.${randomInt(0, 256)}.0/24` }] }] }));
  try {
    const refused = spawnSync(BIN, ['serve', '--home', home, '--listen', '0.0.0.0:0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /refusing plain HTTP on 0\.0\.0\.0:0: off loopback.*--tls-listen.*--insecure-http/);
    assert.ok(!existsSync(join(home, 'openrds.db')), 'nothing started: no store');

    const p = spawn(BIN, ['serve', '--home', home, '--listen', '0.0.0.0:0', '--insecure-http'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const started = await waitListening(p, 'http');
      const url = started.url;
      assert.match(started.output(), /"level":40[^\n]*"listen":"0\.0\.0\.0:0"[^\n]*plain HTTP off loopback/);
      const r = await fetch(`http://127.0.0.1:${new URL(url).port}/healthz`);
      assert.equal(r.status, 200);
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
    }
  } finally {
    try { spawnSync('nft', ['delete', 'table', 'ip', nftTableName(home)], { stdio: 'ignore' }); } catch { /* none */ }
    rmSync(home, { recursive: true, force: true });
  }
});
