/**
 * The home's local CA (src/tls/local-ca.ts) with the real `openssl` in a temporary folder:
 * the chain verifies, the names are in the certificate, keys are 0600, and a certificate is
 * made again (by the same CA) only when its names change or its files are incomplete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalCert, runOpenssl, tlsPaths, type OpensslRunner } from '../../src/tls/local-ca.js';

function counting(): OpensslRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const f = (async (args: string[]) => { calls.push(args); await runOpenssl(args); }) as OpensslRunner & { calls: string[][] };
  f.calls = calls;
  return f;
}
/** Two homes, each with its own local CA and certificate for localhost (removed after the test). */
async function twoHomes(t: { after(fn: () => void): void }) {
  const home = mkdtempSync(join(tmpdir(), 'openrds-ca-'));
  const other = mkdtempSync(join(tmpdir(), 'openrds-ca-'));
  t.after(() => { rmSync(home, { recursive: true, force: true }); rmSync(other, { recursive: true, force: true }); });
  await ensureLocalCert(home, ['localhost']);
  await ensureLocalCert(other, ['localhost']);
  return { home, other, p: tlsPaths(home) };
}
const mode = (f: string) => statSync(f).mode & 0o777;
const fp = (f: string) => new X509Certificate(readFileSync(f)).fingerprint256;

test('first call makes a CA and a server certificate for the names; keys 0600, folder 0700', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'openrds-ca-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const openssl = counting();
  const { paths, plan } = await ensureLocalCert(home, ['localhost', 'rds.example.com', '127.0.0.1', '::1'], { openssl });
  assert.equal(plan.makeCa, true);
  assert.equal(plan.makeServer, true);
  assert.equal(openssl.calls.length, 2);
  assert.equal(paths.caCert, join(home, 'tls', 'ca.pem'));
  assert.equal(mode(paths.dir), 0o700);
  assert.equal(mode(paths.caKey), 0o600);
  assert.equal(mode(paths.key), 0o600);
  const ca = new X509Certificate(readFileSync(paths.caCert));
  const srv = new X509Certificate(readFileSync(paths.cert));
  assert.equal(ca.ca, true);
  assert.equal(srv.ca, false);
  assert.ok(srv.checkIssued(ca) && srv.verify(ca.publicKey), 'server certificate signed by the CA');
  assert.equal(srv.subjectAltName, 'DNS:localhost, DNS:rds.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.ok(srv.checkHost('rds.example.com') && srv.checkIP('127.0.0.1') && srv.checkIP('::1'));
  assert.equal(srv.checkHost('other.example.com'), undefined);
  assert.equal(srv.checkIP('10.1.2.3'), undefined);
  assert.ok(srv.checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(paths.key))), 'key matches');
  assert.deepEqual(JSON.parse(readFileSync(paths.record, 'utf8')).names, ['localhost', 'rds.example.com', '127.0.0.1', '::1']);
  assert.ok(Date.parse(srv.validTo) - Date.now() > 390 * 86_400_000);
});

test('same names: nothing is made; other names: a new server certificate from the same CA', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'openrds-ca-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const p = tlsPaths(home);
  await ensureLocalCert(home, ['localhost', '127.0.0.1']);
  const [ca0, srv0] = [fp(p.caCert), fp(p.cert)];

  const again = counting();
  const r1 = await ensureLocalCert(home, ['127.0.0.1', 'localhost'], { openssl: again });
  assert.equal(again.calls.length, 0, 'no openssl run when nothing changed');
  assert.equal(r1.plan.reason, 'up to date');
  assert.equal(fp(p.cert), srv0);

  const changed = counting();
  const r2 = await ensureLocalCert(home, ['localhost', 'api.example.com', '127.0.0.1'], { openssl: changed });
  assert.equal(changed.calls.length, 1);
  assert.equal(r2.plan.makeCa, false);
  assert.match(r2.plan.reason, /\+api\.example\.com/);
  assert.equal(fp(p.caCert), ca0, 'same CA');
  assert.notEqual(fp(p.cert), srv0, 'new server certificate');
  assert.ok(new X509Certificate(readFileSync(p.cert)).checkHost('api.example.com'));
  assert.equal(mode(p.key), 0o600);
});

test('a lost record (crash while making the certificate) makes it again; loose key modes are tightened', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'openrds-ca-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const p = tlsPaths(home);
  await ensureLocalCert(home, ['localhost']);
  const srv0 = fp(p.cert);
  rmSync(p.record);
  const r = await ensureLocalCert(home, ['localhost']);
  assert.equal(r.plan.makeServer, true);
  assert.notEqual(fp(p.cert), srv0);

  const { chmodSync } = await import('node:fs');
  chmodSync(p.key, 0o644);
  chmodSync(p.caKey, 0o644);
  await ensureLocalCert(home, ['localhost']);
  assert.equal(mode(p.key), 0o600);
  assert.equal(mode(p.caKey), 0o600);
});

test('a server certificate from another CA is replaced', async (t) => {
  const { home, other, p } = await twoHomes(t);
  writeFileSync(p.cert, readFileSync(tlsPaths(other).cert));
  const r = await ensureLocalCert(home, ['localhost']);
  assert.match(r.plan.reason, /not signed by the local CA/);
  const ca = new X509Certificate(readFileSync(p.caCert));
  assert.ok(new X509Certificate(readFileSync(p.cert)).checkIssued(ca));
});

test('a CA key that is not the CA certificate\'s (crash between the two renames) makes a new CA', async (t) => {
  const { home, other, p } = await twoHomes(t);
  const oldCa = fp(p.caCert);
  writeFileSync(p.caKey, readFileSync(tlsPaths(other).caKey)); // the new key landed, the new certificate did not
  const r = await ensureLocalCert(home, ['localhost']);
  assert.match(r.plan.reason, /CA key does not match/);
  assert.notEqual(fp(p.caCert), oldCa);
  const ca = new X509Certificate(readFileSync(p.caCert));
  assert.ok(new X509Certificate(readFileSync(p.cert)).checkIssued(ca));
  assert.equal((await ensureLocalCert(home, ['localhost'])).plan.reason, 'up to date');
});

test('a server key that is not the server certificate\'s makes the server certificate again', async (t) => {
  const { home, other, p } = await twoHomes(t);
  const oldCa = fp(p.caCert);
  writeFileSync(p.key, readFileSync(tlsPaths(other).key));
  const r = await ensureLocalCert(home, ['localhost']);
  assert.match(r.plan.reason, /server key does not match/);
  assert.equal(fp(p.caCert), oldCa, 'same CA');
  const { createPrivateKey } = await import('node:crypto');
  assert.ok(new X509Certificate(readFileSync(p.cert)).checkPrivateKey(createPrivateKey(readFileSync(p.key))));
});
