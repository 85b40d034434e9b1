/** Which listeners serve opens (src/api/listeners.ts) and how the config gives them (src/config). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackHost, planListeners } from '../../src/api/listeners.js';
import { loadConfig } from '../../src/config/config.js';
import { isCertName, validateTls, type TlsConfig } from '../../src/config/tls-config.js';

const loopback: Array<[string, boolean]> = [
  ['127.0.0.1', true], ['127.10.0.2', true], ['127.255.255.254', true], ['localhost', true], ['LOCALHOST', true], ['::1', true],
  ['::ffff:127.0.0.1', true], ['0.0.0.0', false], ['::', false], ['10.0.0.5', false], ['192.168.1.1', false], ['128.0.0.1', false],
  ['127.example.com', false], ['myhost', false], ['fe80::1', false], ['::ffff:10.0.0.1', false],
];
for (const [h, want] of loopback) test(`isLoopbackHost(${h}) = ${want}`, () => assert.equal(isLoopbackHost(h), want));

const noTls: TlsConfig = { listen: null, cert: '', key: '', names: [] };
const at = (host: string, port = 8080) => ({ host, port });
const planCases: Array<{ name: string; listen: ReturnType<typeof at> | null; tls?: ReturnType<typeof at>; insecure?: boolean; refused?: RegExp; plain?: boolean; https?: boolean }> = [
  { name: 'plain on loopback: the laptop default', listen: at('127.0.0.1'), plain: true, https: false },
  { name: 'plain on localhost', listen: at('localhost'), plain: true, https: false },
  { name: 'plain on 0.0.0.0: refused', listen: at('0.0.0.0'), refused: /refusing plain HTTP on 0\.0\.0\.0:8080.*--tls-listen 0\.0\.0\.0:8443.*--insecure-http/ },
  { name: 'plain on an interface address: refused', listen: at('10.0.0.5'), refused: /refusing plain HTTP on 10\.0\.0\.5:8080/ },
  { name: 'plain on ::: refused, address in brackets', listen: at('::'), refused: /refusing plain HTTP on \[::\]:8080/ },
  { name: 'plain on 0.0.0.0 with --insecure-http', listen: at('0.0.0.0'), insecure: true, plain: true, https: false },
  { name: 'HTTPS alone on 0.0.0.0', listen: null, tls: at('0.0.0.0', 8443), plain: false, https: true },
  { name: 'HTTPS on 0.0.0.0 beside plain on loopback', listen: at('127.0.0.1'), tls: at('0.0.0.0', 8443), plain: true, https: true },
  { name: 'both off loopback: plain still refused, the hint names the TLS port', listen: at('0.0.0.0'), tls: at('0.0.0.0', 9443), refused: /--tls-listen 0\.0\.0\.0:9443/ },
  { name: 'nothing at all', listen: null, refused: /nothing to listen on/ },
];
for (const c of planCases) {
  test(`planListeners: ${c.name}`, () => {
    const cfg = { listen: c.listen, insecureHttp: c.insecure ?? false, tls: { ...noTls, listen: c.tls ?? null } };
    if (c.refused) {
      assert.throws(() => planListeners(cfg), c.refused);
      return;
    }
    const p = planListeners(cfg);
    assert.equal(p.plain !== null, c.plain);
    assert.equal(p.tls !== null, c.https);
  });
}

test('isCertName: DNS names, wildcards and IPs; nothing with spaces, commas or colons outside IPv6', () => {
  for (const ok of ['rds.example.com', 'localhost', '*.rds.example.com', 'a-b.c', '10.0.0.1', 'fd00::1', 'x.']) assert.ok(isCertName(ok), ok);
  for (const bad of ['', 'a b', 'a,DNS:evil', 'host:443', '-bad.example', 'a..b', 'a*.example.com', `${'a'.repeat(64)}.com`]) assert.ok(!isCertName(bad), bad);
});

test('validateTls: cert and key together, a listener for them, names checked', () => {
  assert.deepEqual(validateTls(noTls), []);
  assert.deepEqual(validateTls({ ...noTls, listen: at('0.0.0.0', 8443), cert: '/c', key: '/k' }), []);
  assert.match(validateTls({ ...noTls, listen: at('0.0.0.0', 8443), cert: '/c' }).join(), /go together/);
  assert.match(validateTls({ ...noTls, cert: '/c', key: '/k' }).join(), /no HTTPS listener/);
  assert.match(validateTls({ ...noTls, names: ['ok.example', 'not ok'] }).join(), /"not ok" is neither/);
  assert.match(validateTls({ ...noTls, names: 'x' as unknown as string[] }).join(), /list of strings/);
});

const ENV = ['OPENRDS_LISTEN', 'OPENRDS_TLS_LISTEN', 'OPENRDS_TLS_CERT', 'OPENRDS_TLS_KEY', 'OPENRDS_INSECURE_HTTP', 'OPENRDS_CONFIG'];
function withConfig(file: Record<string, unknown>, env: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'openrds-cfg-'));
  writeFileSync(join(home, 'config.json'), JSON.stringify(file));
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
  Object.assign(process.env, env);
  return {
    home,
    done() {
      for (const k of ENV) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const cfgCases: Array<{ name: string; file?: Record<string, unknown>; env?: Record<string, string>; opts?: Record<string, unknown>; listen: string | null; tls: string | null; insecure?: boolean }> = [
  { name: 'nothing given: plain 127.0.0.1:8080, no HTTPS', listen: '127.0.0.1:8080', tls: null },
  { name: '--tls-listen alone: HTTPS instead of plain', opts: { tlsListen: '0.0.0.0:8443' }, listen: null, tls: '0.0.0.0:8443' },
  { name: '--tls-listen and --listen: both', opts: { tlsListen: '0.0.0.0:8443', listen: '127.0.0.1:9000' }, listen: '127.0.0.1:9000', tls: '0.0.0.0:8443' },
  { name: 'config tls.listen and listen', file: { listen: '127.0.0.1:7000', tls: { listen: '[::]:7443' } }, listen: '127.0.0.1:7000', tls: ':::7443' },
  { name: 'env OPENRDS_TLS_LISTEN beats the config, --tls-listen beats env', file: { tls: { listen: '127.0.0.1:1' } }, env: { OPENRDS_TLS_LISTEN: '127.0.0.1:2' }, opts: { tlsListen: '127.0.0.1:3' }, listen: null, tls: '127.0.0.1:3' },
  { name: 'env OPENRDS_TLS_LISTEN beats the config', file: { tls: { listen: '127.0.0.1:1' } }, env: { OPENRDS_TLS_LISTEN: '127.0.0.1:2' }, listen: null, tls: '127.0.0.1:2' },
  { name: 'insecureHttp from the config', file: { insecureHttp: true }, listen: '127.0.0.1:8080', tls: null, insecure: true },
  { name: 'insecureHttp from env', env: { OPENRDS_INSECURE_HTTP: '1' }, listen: '127.0.0.1:8080', tls: null, insecure: true },
  { name: '--insecure-http', opts: { insecureHttp: true }, listen: '127.0.0.1:8080', tls: null, insecure: true },
];
for (const c of cfgCases) {
  test(`loadConfig listeners: ${c.name}`, () => {
    const w = withConfig(c.file ?? {}, c.env);
    try {
      const cfg = loadConfig({ home: w.home, ...(c.opts ?? {}) });
      const show = (a: { host: string; port: number } | null) => (a ? `${a.host}:${a.port}` : null);
      assert.equal(show(cfg.listen), c.listen);
      assert.equal(show(cfg.tls.listen), c.tls);
      assert.equal(cfg.insecureHttp, c.insecure ?? false);
    } finally {
      w.done();
    }
  });
}

test('loadConfig: tls.cert/tls.key in the file are relative to the file, --tls-cert to the working directory; names kept', () => {
  const w = withConfig({ tls: { listen: '127.0.0.1:8443', cert: 'certs/s.pem', key: 'certs/k.pem', names: ['rds.example.com'] } });
  try {
    const cfg = loadConfig({ home: w.home });
    assert.equal(cfg.tls.cert, join(w.home, 'certs/s.pem'));
    assert.equal(cfg.tls.key, join(w.home, 'certs/k.pem'));
    assert.deepEqual(cfg.tls.names, ['rds.example.com']);
    const cli = loadConfig({ home: w.home, tlsCert: 'a.pem', tlsKey: 'b.pem' });
    assert.equal(cli.tls.cert, join(process.cwd(), 'a.pem'));
  } finally {
    w.done();
  }
});

test('loadConfig refuses a bad tls section with the reason', () => {
  const w = withConfig({ tls: { listen: '127.0.0.1:8443', names: ['bad name'] } });
  try {
    assert.throws(() => loadConfig({ home: w.home }), /tls\.names: "bad name"/);
    assert.throws(() => loadConfig({ home: w.home, tlsListen: 'nope' }), /--tls-listen must be HOST:PORT/);
  } finally {
    w.done();
  }
});
