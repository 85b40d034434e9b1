/**
 * The SDK's HTTP(S) transport: node:http / node:https with keep-alive agents. For an https
 * endpoint the server certificate is verified against Node's root store plus, when given, one
 * more CA (the `<home>/tls/ca.pem` of an openrds with a local CA): hostname checks stay on.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface TransportOptions {
  /** PEM of an extra CA to trust beside the root store (e.g. readFileSync('<home>/tls/ca.pem')). */
  ca?: string | Buffer;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  text: string;
}

export type Transport = (url: string, method: 'GET' | 'POST', body?: string) => Promise<RawResponse>;

/** Error codes of a certificate the client does not trust (Node/OpenSSL). */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateError(e: unknown): boolean {
  return UNTRUSTED.has(String((e as NodeJS.ErrnoException)?.code ?? ''));
}

export function nodeTransport(o: TransportOptions = {}): Transport {
  const http = new HttpAgent({ keepAlive: true });
  // Giving `ca` replaces the default trust, so the root store goes in with it.
  const https = new HttpsAgent({ keepAlive: true, ...(o.ca ? { ca: [...rootCertificates, o.ca.toString()] } : {}) });
  return (url, method, body) => new Promise((resolve, reject) => {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    if (!secure && u.protocol !== 'http:') return reject(new Error(`endpoint must be http:// or https://, got ${url}`));
    const req = (secure ? httpsRequest : httpRequest)(u, {
      method, agent: secure ? https : http, timeout: o.timeoutMs ?? 60_000,
      headers: body === undefined ? {} : { 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.origin} within ${o.timeoutMs ?? 60_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
