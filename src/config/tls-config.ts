/** The `tls` section of config.json and `serve --tls-*` (docs/operator-guide.md#https). */
import { isIP } from 'node:net';
import type { ListenAddress } from './config.js';

export interface TlsConfig {
  /** The HTTPS listener (`--tls-listen`, env OPENRDS_TLS_LISTEN); null = no HTTPS. */
  listen: ListenAddress | null;
  /** PEM certificate chain and key given by the operator; both empty = a certificate from the home's local CA. */
  cert: string;
  key: string;
  /** Extra DNS names or IP addresses for the generated certificate (the names clients use to reach serve). */
  names: string[];
}

/** A DNS name a certificate can carry: labels of letters, digits and hyphens, a leading `*.` allowed. */
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** True for a name that can go into a subjectAltName as DNS or IP. Pure. */
export function isCertName(s: string): boolean {
  return isIP(s) !== 0 || (s.length <= 253 && DNS_NAME.test(s));
}

/** Problems of TLS settings, empty when usable. Pure. */
export function validateTls(t: TlsConfig): string[] {
  const errs: string[] = [];
  if (!Array.isArray(t.names) || t.names.some((n) => typeof n !== 'string')) errs.push('tls.names must be a list of strings');
  else for (const n of t.names) if (!isCertName(n)) errs.push(`tls.names: ${JSON.stringify(n)} is neither a DNS name nor an IP address`);
  if (Boolean(t.cert) !== Boolean(t.key)) errs.push('tls.cert and tls.key (--tls-cert/--tls-key) go together: give both, or neither for a certificate from the local CA');
  if ((t.cert || t.key) && !t.listen) errs.push('a certificate is given but no HTTPS listener: set tls.listen (--tls-listen HOST:PORT)');
  return errs;
}
