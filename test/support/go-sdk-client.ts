/**
 * A client that sends what the official Go SDK (cds-gic-sdk-go `common/client.go`) sends, with
 * no transport of its own: the URL is `"https://" + HttpProfile.Endpoint + "/"` (the path is
 * always "/"; an Endpoint of `host:port/mysql` gives `/mysql/`), the query is the signed common
 * parameters (plus, for GET, the flattened business parameters) in Go's `url.Values.Encode()`
 * form (keys sorted, spaces as `+`), a POST body is `json.Marshal(request)` (unset fields as
 * null) without Content-Type, and the headers are Go's net/http defaults.
 *
 * Trust is Go's: the system roots plus the openrds CA (what `SSL_CERT_FILE`/`SSL_CERT_DIR` do
 * for a Go program), here Node's root store plus the CA; hostname verification stays on.
 * `servername` stands for a DNS name that resolves to the server (no /etc/hosts entry needed).
 */
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { flattenGet, readResponse, sign, type Creds } from './cds-client.js';

/** Go's url.QueryEscape: everything but A-Z a-z 0-9 - _ . ~ escaped, space as '+'. */
const goQueryEscape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+');

/** Go's url.Values.Encode() of single values. */
export const goEncode = (p: Record<string, string>) => Object.keys(p).sort().map((k) => `${goQueryEscape(k)}=${goQueryEscape(p[k]!)}`).join('&');

export interface GoSdkOptions {
  /** HttpProfile.Endpoint: `host:port`, or `host:port/mysql`. */
  endpoint: string;
  creds: Creds;
  /** HttpProfile.ReqMethod (the SDK's default is POST). */
  reqMethod: 'GET' | 'POST';
  /** PEM of the openrds CA; undefined = system roots only. */
  ca?: string | Buffer;
  /** Connect to the endpoint's address but verify the certificate for this DNS name. */
  servername?: string;
}

export interface GoSdkResult {
  status: number;
  body: any;
  url: string;
}

export async function goSdkCall(o: GoSdkOptions, action: string, request: Record<string, unknown>): Promise<GoSdkResult> {
  const params: Record<string, string> = {
    Action: action,
    AccessKeyId: o.creds.AccessKeyId,
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: '2019-08-08',
    SignatureMethod: 'HMAC-SHA1',
    ...(o.reqMethod === 'GET' ? flattenGet(request) : {}),
  };
  params.Signature = sign(o.reqMethod, params, o.creds.AccessKeySecret, 'HMAC-SHA1');
  const url = `https://${o.endpoint}/?${goEncode(params)}`;
  const body = o.reqMethod === 'POST' ? JSON.stringify(request) : '';
  const headers: Record<string, string> = { 'user-agent': 'Go-http-client/1.1', 'accept-encoding': 'gzip' };
  if (body) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: o.reqMethod, headers,
      ...(o.ca ? { ca: [...rootCertificates, o.ca.toString()] } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
      timeout: 20_000, // the SDK's http.Client timeout
    }, (res) => {
      readResponse(res).then(({ body }) => resolve({ status: res.statusCode ?? 0, body, url }), reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body || undefined);
  });
}
