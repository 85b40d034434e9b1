/** The local CA's pure half (src/tls/cert-plan.ts): certificate names, when to make certificates again, openssl arguments. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALWAYS_NAMES, caArgs, certNames, decideCert, RENEW_BEFORE_MS, serverArgs, sortNames, subjectAltName, subjectValue,
  type CertState, type HostFacts,
} from '../../src/tls/cert-plan.js';

const host: HostFacts = {
  hostname: 'db-host',
  addresses: [
    { address: '127.0.0.1', family: 'IPv4' }, { address: '::1', family: 'IPv6' },
    { address: '10.0.0.5', family: 'IPv4' }, { address: '192.168.7.20', family: 'IPv4' },
    { address: 'fd00::5', family: 'IPv6' }, { address: 'fe80::1c2:3ff:fe44:5566', family: 'IPv6' },
  ],
};

const nameCases: Array<{ name: string; listen: string; host?: HostFacts; extra?: string[]; want: string[] }> = [
  { name: 'loopback listen: localhost, its addresses and the host name', listen: '127.0.0.1', want: ['db-host', 'localhost', '127.0.0.1', '::1'] },
  { name: 'another loopback address is added', listen: '127.9.9.1', want: ['db-host', 'localhost', '127.0.0.1', '127.9.9.1', '::1'] },
  { name: 'one interface address', listen: '10.0.0.5', want: ['db-host', 'localhost', '10.0.0.5', '127.0.0.1', '::1'] },
  { name: '0.0.0.0: every IPv4 address of the host', listen: '0.0.0.0', want: ['db-host', 'localhost', '10.0.0.5', '127.0.0.1', '192.168.7.20', '::1'] },
  { name: ':: every address, without IPv6 link-local', listen: '::', want: ['db-host', 'localhost', '10.0.0.5', '127.0.0.1', '192.168.7.20', '::1', 'fd00::5'] },
  { name: 'a host name listen is a DNS name, lower case', listen: 'API.Example.com', want: ['api.example.com', 'db-host', 'localhost', '127.0.0.1', '::1'] },
  { name: 'tls.names are added, normalised, without duplicates', listen: '127.0.0.1', extra: ['rds.example.com.', 'RDS.example.com', '203.0.113.9', 'localhost'], want: ['db-host', 'localhost', 'rds.example.com', '127.0.0.1', '203.0.113.9', '::1'] },
  { name: 'wildcard tls.names stay', listen: '127.0.0.1', extra: ['*.rds.example.com'], want: ['*.rds.example.com', 'db-host', 'localhost', '127.0.0.1', '::1'] },
  { name: 'a host without a name', listen: '127.0.0.1', host: { hostname: '', addresses: [] }, want: ['localhost', '127.0.0.1', '::1'] },
];
for (const c of nameCases) {
  test(`certNames: ${c.name}`, () => {
    assert.deepEqual(certNames(c.listen, c.host ?? host, c.extra ?? []), c.want);
  });
}

test('certNames always carries localhost and the loopback addresses', () => {
  for (const listen of ['127.0.0.1', '0.0.0.0', '::', '10.0.0.5', 'example.org']) {
    const names = certNames(listen, host, []);
    for (const n of ALWAYS_NAMES) assert.ok(names.includes(n), `${listen}: ${n}`);
  }
});

test('sortNames: DNS names first, then IPs, each sorted; duplicates dropped', () => {
  assert.deepEqual(sortNames(['::1', 'b', '10.0.0.1', 'a', 'b']), ['a', 'b', '10.0.0.1', '::1']);
});

const NOW = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;
const names = ['localhost', '127.0.0.1'];
const good: CertState = {
  caCert: true, caKey: true, serverCert: true, serverKey: true, record: { names, madeAt: '2026-11-01T00:00:00Z' },
  issuedByCa: true, serverNotAfterMs: NOW + 300 * DAY, caNotAfterMs: NOW + 3000 * DAY,
};
const decideCases: Array<{ name: string; st: Partial<CertState>; wanted?: string[]; ca: boolean; server: boolean; reason: RegExp }> = [
  { name: 'first start: CA and server certificate', st: { caCert: false, caKey: false, serverCert: false, serverKey: false, record: undefined }, ca: true, server: true, reason: /no local CA yet/ },
  { name: 'everything in place: nothing', st: {}, ca: false, server: false, reason: /up to date/ },
  { name: 'the same names in another order: nothing', st: {}, wanted: ['127.0.0.1', 'localhost'], ca: false, server: false, reason: /up to date/ },
  { name: 'a name added (tls.names): server only, same CA', st: {}, wanted: [...names, 'rds.example.com'], ca: false, server: true, reason: /\+rds\.example\.com/ },
  { name: 'a listen address changed: server only', st: {}, wanted: ['localhost', '10.0.0.5'], ca: false, server: true, reason: /\+10\.0\.0\.5 -127\.0\.0\.1/ },
  { name: 'a name dropped: server only', st: {}, wanted: ['localhost'], ca: false, server: true, reason: /-127\.0\.0\.1/ },
  { name: 'no record (crash while making it): server again', st: { record: undefined }, ca: false, server: true, reason: /no record/ },
  { name: 'server key missing: server again', st: { serverKey: false }, ca: false, server: true, reason: /no server certificate/ },
  { name: 'server certificate missing: server again', st: { serverCert: false }, ca: false, server: true, reason: /no server certificate/ },
  { name: 'CA key missing: a new CA and server', st: { caKey: false }, ca: true, server: true, reason: /new CA/ },
  { name: 'CA certificate missing: a new CA and server', st: { caCert: false }, ca: true, server: true, reason: /new CA/ },
  { name: 'server certificate signed by another CA: server again', st: { issuedByCa: false }, ca: false, server: true, reason: /not signed by the local CA/ },
  { name: 'server certificate expires within 30 days: server again', st: { serverNotAfterMs: NOW + RENEW_BEFORE_MS - 1 }, ca: false, server: true, reason: /expires soon/ },
  { name: 'server certificate expired: server again', st: { serverNotAfterMs: NOW - DAY }, ca: false, server: true, reason: /expires soon/ },
  { name: 'server certificate expiry unknown: server again', st: { serverNotAfterMs: undefined }, ca: false, server: true, reason: /expires soon/ },
  { name: 'server certificate good for 31 days: nothing', st: { serverNotAfterMs: NOW + 31 * DAY }, ca: false, server: false, reason: /up to date/ },
  { name: 'CA key of another CA (crash between the renames): a new CA and server', st: { caKeyMatches: false }, ca: true, server: true, reason: /CA key does not match/ },
  { name: 'CA key matches: nothing', st: { caKeyMatches: true, serverKeyMatches: true }, ca: false, server: false, reason: /up to date/ },
  { name: 'server key of another certificate: server again', st: { serverKeyMatches: false }, ca: false, server: true, reason: /server key does not match/ },
  { name: 'CA expires soon: a new CA and server', st: { caNotAfterMs: NOW + DAY }, ca: true, server: true, reason: /CA expires soon/ },
];
for (const c of decideCases) {
  test(`decideCert: ${c.name}`, () => {
    const plan = decideCert({ ...good, ...c.st }, c.wanted ?? names, NOW);
    assert.equal(plan.makeCa, c.ca, plan.reason);
    assert.equal(plan.makeServer, c.server, plan.reason);
    assert.match(plan.reason, c.reason);
  });
}

test('subjectAltName: DNS and IP entries in order', () => {
  assert.equal(subjectAltName(['localhost', '*.x.example', '127.0.0.1', '::1']), 'subjectAltName=DNS:localhost,DNS:*.x.example,IP:127.0.0.1,IP:::1');
});

test('subjectValue: characters that -subj would read as separators are replaced, 64 at most', () => {
  assert.equal(subjectValue('openrds local CA my/host=1'), 'openrds local CA my-host-1');
  assert.equal(subjectValue('x'.repeat(100)).length, 64);
});

test('caArgs: self-signed P-256 CA, no system openssl.cnf, CA-only key usage', () => {
  const a = caArgs({ cert: '/h/tls/ca.pem.new', key: '/h/tls/ca-key.pem.new', commonName: 'openrds local CA vm 0a1b2c', days: 3650 });
  assert.deepEqual(a, [
    'req', '-x509', '-new', '-config', '/dev/null', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc',
    '-keyout', '/h/tls/ca-key.pem.new', '-out', '/h/tls/ca.pem.new', '-days', '3650', '-sha256',
    '-subj', '/O=openrds/CN=openrds local CA vm 0a1b2c',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
});

test('serverArgs: signed by the CA, the names as subjectAltName, a server-only leaf', () => {
  const a = serverArgs({ cert: '/h/s.pem', key: '/h/k.pem', caCert: '/h/ca.pem', caKey: '/h/ca-key.pem', names: ['localhost', '127.0.0.1'], serialHex: '0aff', days: 397 });
  assert.deepEqual(a, [
    'req', '-x509', '-new', '-config', '/dev/null', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc',
    '-CA', '/h/ca.pem', '-CAkey', '/h/ca-key.pem', '-keyout', '/h/k.pem', '-out', '/h/s.pem', '-days', '397', '-sha256', '-set_serial', '0x0aff',
    '-subj', '/O=openrds/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ]);
});

test('serverArgs refuses no names and a serial that is not hex', () => {
  const o = { cert: 'c', key: 'k', caCert: 'ca', caKey: 'cak', names: ['localhost'], serialHex: '01', days: 1 };
  assert.throws(() => serverArgs({ ...o, names: [] }), /at least one name/);
  assert.throws(() => serverArgs({ ...o, serialHex: '12; rm -rf /' }), /hex/);
});
