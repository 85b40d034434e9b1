/**
 * The pure half of the home's local CA (local-ca.ts does the I/O): which names the server
 * certificate carries, whether the certificates on disk can stay, and the `openssl` command
 * lines that make new ones. Tested in test/unit/tls-cert-plan.test.ts.
 *
 * Keys are ECDSA P-256: every TLS client in use (Go's crypto/tls, Node, curl/OpenSSL) takes
 * them, and a handshake costs the server far less CPU than with RSA-2048.
 */
import { isIP } from 'node:net';

/** What the host tells about itself (os.hostname(), os.networkInterfaces()). */
export interface HostFacts {
  hostname: string;
  addresses: Array<{ address: string; family: 'IPv4' | 'IPv6' }>;
}

/** Names every generated certificate carries, whatever the listen address: the laptop path. */
export const ALWAYS_NAMES = ['localhost', '127.0.0.1', '::1'] as const;

/** A name as a certificate compares it: DNS names in lower case without a final dot. */
export function normalName(n: string): string {
  const s = n.trim();
  return isIP(s) ? s.toLowerCase() : s.toLowerCase().replace(/\.$/, '');
}

/** IPv6 link-local (fe80::/10) addresses need a zone to be reached, so no URL names them. */
const isLinkLocal6 = (a: string) => /^fe[89ab][0-9a-f]:/i.test(a);

/**
 * The subjectAltNames of the server certificate for an HTTPS listener on `listenHost`:
 * localhost (and its addresses), the host's name, the listen address — for `0.0.0.0` every IPv4
 * address of the host, for `::` every address — and the operator's `tls.names`. Sorted, DNS
 * names first, without duplicates, so that two equal sets compare equal as lists.
 */
export function certNames(listenHost: string, host: HostFacts, extra: readonly string[]): string[] {
  const names = new Set<string>(ALWAYS_NAMES);
  if (host.hostname) names.add(host.hostname);
  if (listenHost === '0.0.0.0' || listenHost === '::') {
    for (const a of host.addresses) {
      if (a.family === 'IPv4' || (listenHost === '::' && !isLinkLocal6(a.address))) names.add(a.address);
    }
  } else names.add(listenHost);
  for (const n of extra) names.add(n);
  return sortNames([...names].map(normalName).filter((n) => n !== ''));
}

export function sortNames(names: Iterable<string>): string[] {
  const key = (n: string) => `${isIP(n) ? 1 : 0}:${n}`;
  return [...new Set(names)].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `server.json` beside the certificate: what it was made for. */
export interface CertRecord {
  names: string[];
  madeAt: string;
}

/** The certificates on disk, as gathered by local-ca.ts. */
export interface CertState {
  caCert: boolean;
  caKey: boolean;
  serverCert: boolean;
  serverKey: boolean;
  /** Absent or unreadable `server.json` is undefined. */
  record?: CertRecord;
  /** The server certificate is signed by the CA on disk (undefined when either is missing). */
  issuedByCa?: boolean;
  /**
   * The CA key on disk is the key of the CA certificate on disk (undefined when either is missing
   * or unreadable). False after a crash between the two renames of a new CA.
   */
  caKeyMatches?: boolean;
  /** The same for the server key and certificate. */
  serverKeyMatches?: boolean;
  /** Expiry of the server certificate, epoch ms. */
  serverNotAfterMs?: number;
  caNotAfterMs?: number;
}

export interface CertPlan {
  makeCa: boolean;
  makeServer: boolean;
  /** For the log: why, or `up to date`. */
  reason: string;
}

/** A certificate this close to its end is made again at start (the server certificate lives 397 days). */
export const RENEW_BEFORE_MS = 30 * 86_400_000;

/** Whether to make the CA and the server certificate again. Pure. */
export function decideCert(st: CertState, wanted: readonly string[], nowMs: number): CertPlan {
  if (!st.caCert || !st.caKey) {
    const reason = !st.caCert && !st.caKey ? 'no local CA yet' : 'the CA certificate or its key is missing: a new CA (clients must trust the new ca.pem)';
    return { makeCa: true, makeServer: true, reason };
  }
  if (st.caKeyMatches === false) {
    return { makeCa: true, makeServer: true, reason: 'the CA key does not match the CA certificate (a start was interrupted while making them): a new CA (clients must trust the new ca.pem)' };
  }
  if (st.caNotAfterMs !== undefined && st.caNotAfterMs - nowMs < RENEW_BEFORE_MS) {
    return { makeCa: true, makeServer: true, reason: 'the local CA expires soon: a new CA (clients must trust the new ca.pem)' };
  }
  const server = (reason: string): CertPlan => ({ makeCa: false, makeServer: true, reason });
  if (!st.serverCert || !st.serverKey) return server('no server certificate yet');
  if (!st.record) return server('no record of what the server certificate was made for');
  const had = sortNames(st.record.names);
  const want = sortNames(wanted);
  if (had.join(',') !== want.join(',')) {
    const added = want.filter((n) => !had.includes(n));
    const dropped = had.filter((n) => !want.includes(n));
    return server(`the names changed (${[...added.map((n) => `+${n}`), ...dropped.map((n) => `-${n}`)].join(' ')})`);
  }
  if (st.issuedByCa === false) return server('the server certificate is not signed by the local CA');
  if (st.serverKeyMatches === false) return server('the server key does not match the server certificate (a start was interrupted while making them)');
  if (st.serverNotAfterMs === undefined || st.serverNotAfterMs - nowMs < RENEW_BEFORE_MS) return server('the server certificate expires soon');
  return { makeCa: false, makeServer: false, reason: 'up to date' };
}

/** `subjectAltName=DNS:…,IP:…` for openssl's -addext. Names are checked by isCertName() before. */
export function subjectAltName(names: readonly string[]): string {
  return `subjectAltName=${names.map((n) => `${isIP(n) ? 'IP' : 'DNS'}:${n}`).join(',')}`;
}

/** A value for openssl's -subj: only characters that need no escaping there. */
export function subjectValue(s: string): string {
  return s.replace(/[^A-Za-z0-9 ._()-]/g, '-').slice(0, 64);
}

/** Common options: no system openssl.cnf (its defaults differ between distributions), a new P-256 key, unencrypted. */
const NEW_KEY = ['-config', '/dev/null', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];

/** `openssl req` arguments for a self-signed CA that can sign server certificates only. Pure. */
export function caArgs(o: { cert: string; key: string; commonName: string; days: number }): string[] {
  return [
    'req', '-x509', '-new', ...NEW_KEY, '-keyout', o.key, '-out', o.cert, '-days', String(o.days), '-sha256',
    '-subj', `/O=openrds/CN=${subjectValue(o.commonName)}`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ];
}

/** `openssl req -CA` arguments for a server certificate for `names`, signed by the CA. Pure. */
export function serverArgs(o: { cert: string; key: string; caCert: string; caKey: string; names: readonly string[]; serialHex: string; days: number }): string[] {
  if (!o.names.length) throw new Error('a server certificate needs at least one name');
  if (!/^[0-9a-f]{2,40}$/i.test(o.serialHex)) throw new Error(`serial must be hex, got ${o.serialHex}`);
  return [
    'req', '-x509', '-new', ...NEW_KEY, '-CA', o.caCert, '-CAkey', o.caKey, '-keyout', o.key, '-out', o.cert,
    '-days', String(o.days), '-sha256', '-set_serial', `0x${o.serialHex}`,
    '-subj', `/O=openrds/CN=${subjectValue(o.names[0]!)}`,
    '-addext', subjectAltName(o.names),
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ];
}
