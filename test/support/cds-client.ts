/**
 * The tests' own signing client, written from spec §1 independently of src/api/signature.ts,
 * so a bug in the server's canonicalisation cannot hide behind the same bug in the client.
 */
import { createHmac, randomUUID } from 'node:crypto';

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

export interface Creds { AccessKeyId: string; AccessKeySecret: string }

export interface CallOptions {
  method?: 'GET' | 'POST';
  path?: string;
  sigMethod?: 'HMAC-SHA1' | 'HmacSHA256';
  /** Override signing inputs to provoke failures. */
  timestamp?: string;
  nonce?: string;
  secret?: string;
  accessKeyId?: string;
  /** Raw body instead of JSON.stringify(params) (POST only). */
  rawBody?: string;
  contentType?: string;
  /** Drop a common parameter from the query after signing. */
  drop?: string;
  /** How long to wait for the whole answer (default 120 s). */
  timeoutMs?: number;
}

export interface CallResult { status: number; body: any }

/** Reads a whole answer: its text, and the JSON in it (or `{ raw }` when it is not JSON). */
export function readResponse(res: import('node:http').IncomingMessage): Promise<{ text: string; body: any }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try { body = JSON.parse(text); } catch { body = { raw: text }; }
      resolve({ text, body });
    });
  });
}

/** Go SDK flattening for GET. */
export function flattenGet(v: Record<string, unknown>, prefix = '', out: Record<string, string> = {}) {
  for (const [k, x] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (x === null || x === undefined || x === '') continue;
    if (Array.isArray(x)) x.forEach((y, i) => (typeof y === 'object' && y !== null ? flattenGet(y as Record<string, unknown>, `${key}.${i}`, out) : (out[`${key}.${i}`] = String(y))));
    else if (typeof x === 'object') flattenGet(x as Record<string, unknown>, key, out);
    else out[key] = String(x);
  }
  return out;
}

export function sign(method: string, params: Record<string, string>, secret: string, sigMethod: string): string {
  const canon = Object.keys(params).filter((k) => k !== 'Signature').sort().map((k) => `${enc(k)}=${enc(params[k]!)}`).join('&');
  const sts = `${method}&%2F&${enc(canon)}`;
  return createHmac(sigMethod === 'HmacSHA256' ? 'sha256' : 'sha1', secret).update(sts).digest('base64');
}

export class TestClient {
  constructor(readonly url: string, readonly creds: Creds) {}

  async call(action: string, params: Record<string, unknown> = {}, o: CallOptions = {}): Promise<CallResult> {
    const method = o.method ?? 'POST';
    const sigMethod = o.sigMethod ?? 'HMAC-SHA1';
    const common: Record<string, string> = {
      Action: action,
      AccessKeyId: o.accessKeyId ?? this.creds.AccessKeyId,
      SignatureMethod: sigMethod,
      SignatureNonce: o.nonce ?? randomUUID(),
      SignatureVersion: '1.0',
      Timestamp: o.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Version: '2019-08-08',
    };
    const signed = method === 'GET' ? { ...common, ...flattenGet(params) } : common;
    signed.Signature = sign(method, signed, o.secret ?? this.creds.AccessKeySecret, sigMethod);
    if (o.drop) delete signed[o.drop];
    const path = o.path ?? (action === 'DescribeTask' ? '/ccs/' : '/mysql/');
    const headers: Record<string, string> = {};
    if (o.contentType) headers['content-type'] = o.contentType;
    // Bounded: a server that never answers fails the call (and names it) instead of hanging the suite.
    const timeoutMs = o.timeoutMs ?? 120_000;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.url}${path}?${new URLSearchParams(signed)}`, {
        method, headers, body: method === 'POST' ? (o.rawBody ?? JSON.stringify(params)) : undefined, signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      if ((e as Error).name === 'TimeoutError') throw new Error(`${action} to ${this.url}: no answer within ${timeoutMs} ms`);
      throw e;
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { raw: text };
    }
    return { status: res.status, body };
  }

  /** Calls and asserts Success; returns Data and TaskId. */
  async ok(action: string, params: Record<string, unknown> = {}, o: CallOptions = {}): Promise<{ data: any; taskId: string }> {
    const r = await this.call(action, params, o);
    if (r.status !== 200 || r.body.Code !== 'Success') throw new Error(`${action} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return { data: r.body.Data, taskId: r.body.TaskId };
  }

  async waitStatus(uuid: string, want: string | 'gone', timeoutMs = 120_000): Promise<any> {
    const t0 = Date.now();
    for (;;) {
      const r = await this.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
      if (want === 'gone' && r.body.Code === 'ResourceNotFound') return undefined;
      if (r.body.Code === 'Success' && r.body.Data[0]?.Status === want) return r.body.Data[0];
      if (r.body.Code === 'Success' && r.body.Data[0]?.Status === 'ERROR' && want !== 'ERROR') {
        throw new Error(`instance ${uuid} went to ERROR: ${r.body.Data[0].StatusDetail}`);
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${uuid} to be ${want}; last ${JSON.stringify(r.body).slice(0, 300)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}
