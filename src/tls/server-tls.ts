/**
 * The certificate and key the HTTPS listener serves: the operator's (`tls.cert`/`tls.key`) or
 * the home's local CA's (local-ca.ts), checked to load before serve listens.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { TlsConfig } from '../config/tls-config.js';
import { certNames } from './cert-plan.js';
import { ensureLocalCert, hostFacts, type OpensslRunner } from './local-ca.js';

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  certPath: string;
  /** The local CA clients must trust; undefined for the operator's own certificate. */
  caPath?: string;
  /** Names of a generated certificate. */
  names?: string[];
  /** A generated certificate: what was done at this start (`up to date`, `the names changed (+x)`, …). */
  made?: { ca: boolean; server: boolean; reason: string };
}

export async function loadServerTls(home: string, tls: TlsConfig & { listen: NonNullable<TlsConfig['listen']> }, openssl?: OpensslRunner): Promise<ServerTls> {
  let out: ServerTls;
  if (tls.cert) {
    out = { cert: readPem(tls.cert, 'tls.cert'), key: readPem(tls.key, 'tls.key'), certPath: tls.cert };
  } else {
    const names = certNames(tls.listen.host, hostFacts(), tls.names);
    const { paths, plan } = await ensureLocalCert(home, names, { openssl });
    out = {
      cert: readFileSync(paths.cert), key: readFileSync(paths.key), certPath: paths.cert, caPath: paths.caCert, names,
      made: { ca: plan.makeCa, server: plan.makeServer, reason: plan.reason },
    };
  }
  try {
    createSecureContext({ cert: out.cert, key: out.key });
  } catch (e) {
    throw new Error(`the HTTPS certificate ${out.certPath} cannot be used with its key: ${(e as Error).message}`, { cause: e });
  }
  return out;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${what} ${file} cannot be read: ${(e as Error).message}`, { cause: e });
  }
}

/** The lines `serve` prints for people: where the CA is and how each kind of client trusts it. */
export function trustHint(tlsUrl: string, t: ServerTls): string {
  if (!t.caPath) return `\nopenrds: HTTPS on ${tlsUrl} with the certificate ${t.certPath}\n\n`;
  const ca = t.caPath;
  return `\nopenrds: HTTPS on ${tlsUrl}, certificate from this home's local CA ${ca}\n` +
    `  names in the certificate: ${t.names!.join(', ')} (more with tls.names in config.json)\n` +
    `  trust the CA:  curl --cacert ${ca} …   |   NODE_EXTRA_CA_CERTS=${ca} node …\n` +
    `                 SSL_CERT_FILE=${ca} (Go SDK, Terraform, OpenSSL tools; replaces the system bundle)\n` +
    `                 openrds call --ca-file ${ca} (or OPENRDS_CA_FILE=${ca})\n\n`;
}
