/**
 * The home's local CA and the API's server certificate, under `<home>/tls/` (mode 0700):
 *
 *   ca.pem, ca-key.pem          the CA (10 years); clients trust ca.pem
 *   server.pem, server-key.pem  the server certificate (397 days) for the names of certNames()
 *   server.json                 what server.pem was made for: {names, madeAt}
 *
 * Keys are mode 0600. Gather (files, record, X509 facts) → decideCert() (cert-plan.ts) → act
 * (`openssl`). New files are written beside the old ones and renamed into place; the record is
 * removed first and written last, so a crash in between leaves no record and the next start
 * makes the certificate again instead of serving a key that does not match it.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { caArgs, decideCert, serverArgs, type CertPlan, type CertRecord, type CertState, type HostFacts } from './cert-plan.js';

export const tlsPaths = (home: string) => {
  const dir = join(home, 'tls');
  return {
    dir, caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem'), record: join(dir, 'server.json'),
  };
};
export type TlsPaths = ReturnType<typeof tlsPaths>;

const CA_DAYS = 3650;
const SERVER_DAYS = 397;

/** Runs openssl with these arguments; rejects with its stderr. A port so tests can count the calls. */
export type OpensslRunner = (args: string[]) => Promise<void>;

export const runOpenssl: OpensslRunner = (args) => new Promise((resolve, reject) => {
  execFile('openssl', args, { timeout: 60_000 }, (err, _out, stderr) => {
    if (!err) return resolve();
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    reject(new Error(missing
      ? 'the openssl command is needed to make the local CA (apt-get install openssl, or run scripts/setup.sh), or give --tls-cert/--tls-key'
      : `openssl ${args[0]} failed: ${String(stderr).trim() || err.message}`, { cause: err }));
  });
});

export function hostFacts(): HostFacts {
  const addresses: HostFacts['addresses'] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) addresses.push({ address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' });
  }
  return { hostname: hostname(), addresses };
}

function gather(p: TlsPaths): CertState {
  const st: CertState = { caCert: existsSync(p.caCert), caKey: existsSync(p.caKey), serverCert: existsSync(p.cert), serverKey: existsSync(p.key) };
  try {
    const r = JSON.parse(readFileSync(p.record, 'utf8')) as CertRecord;
    if (Array.isArray(r.names) && r.names.every((n) => typeof n === 'string')) st.record = r;
  } catch { /* no record: made again */ }
  let ca: X509Certificate | undefined;
  try {
    if (st.caCert) {
      ca = new X509Certificate(readFileSync(p.caCert));
      st.caNotAfterMs = Date.parse(ca.validTo);
      if (st.caKey) st.caKeyMatches = keyMatches(ca, p.caKey);
    }
  } catch {
    st.caCert = false; // unreadable: a new CA
  }
  try {
    if (st.serverCert) {
      const srv = new X509Certificate(readFileSync(p.cert));
      st.serverNotAfterMs = Date.parse(srv.validTo);
      if (st.serverKey) st.serverKeyMatches = keyMatches(srv, p.key);
      if (ca) st.issuedByCa = srv.checkIssued(ca) && srv.verify(ca.publicKey);
    }
  } catch {
    st.serverCert = false;
  }
  return st;
}

/** The private key in `keyFile` belongs to `cert`; an unreadable key counts as not matching. */
function keyMatches(cert: X509Certificate, keyFile: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)));
  } catch {
    return false;
  }
}

export interface EnsuredCert {
  paths: TlsPaths;
  plan: CertPlan;
}

/** Makes the CA and the server certificate for `names` where decideCert() says so; keeps them otherwise. */
export async function ensureLocalCert(home: string, names: string[], opts: { now?: number; openssl?: OpensslRunner } = {}): Promise<EnsuredCert> {
  const p = tlsPaths(home);
  const openssl = opts.openssl ?? runOpenssl;
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  const plan = decideCert(gather(p), names, opts.now ?? Date.now());
  if (plan.makeCa) {
    await openssl(caArgs({ cert: `${p.caCert}.new`, key: `${p.caKey}.new`, commonName: `openrds local CA ${hostname()} ${randomBytes(3).toString('hex')}`, days: CA_DAYS }));
    chmodSync(`${p.caKey}.new`, 0o600);
    renameSync(`${p.caKey}.new`, p.caKey);
    renameSync(`${p.caCert}.new`, p.caCert);
  }
  if (plan.makeServer) {
    rmSync(p.record, { force: true });
    await openssl(serverArgs({ cert: `${p.cert}.new`, key: `${p.key}.new`, caCert: p.caCert, caKey: p.caKey, names, serialHex: randomBytes(16).toString('hex'), days: SERVER_DAYS }));
    chmodSync(`${p.key}.new`, 0o600);
    renameSync(`${p.key}.new`, p.key);
    renameSync(`${p.cert}.new`, p.cert);
    const record: CertRecord = { names, madeAt: new Date(opts.now ?? Date.now()).toISOString() };
    writeFileSync(p.record, JSON.stringify(record, null, 2) + '\n');
  }
  // A home copied or restored with other modes: the keys are for this user only.
  chmodSync(p.caKey, 0o600);
  chmodSync(p.key, 0o600);
  for (const f of [p.caCert, p.cert, p.record]) chmodSync(f, 0o644);
  return { paths: p, plan };
}
