/**
 * A small TypeScript SDK for the CDS MySQL API (works against openrds and the CDS cloud).
 * POST sends business parameters as an unsigned JSON body, GET flattens them into the signed
 * query, exactly as the official Go SDK does (spec §1.3).
 */
import { randomUUID } from 'node:crypto';
import { formatTimestamp, signedQuery, type SignatureMethod } from '../api/signature.js';

export interface ClientOptions {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signatureMethod?: SignatureMethod;
  /** Path per action family; the SDK default sends everything to /mysql/. */
  path?: (action: string) => string;
}

export interface CdsResponse<T = unknown> {
  status: number;
  body: { Code: string; Message: string | null; Data: T; TaskId?: string | null; RequestId?: string };
}

/** The Go SDK's GET flattening: lists as Name.0, objects as Parent.Child, nulls dropped. */
export function flatten(params: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) v.forEach((x, i) => (x !== null && typeof x === 'object' ? flatten(x as Record<string, unknown>, `${key}.${i}`, out) : (out[`${key}.${i}`] = String(x))));
    else if (typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else out[key] = String(v);
  }
  return out;
}

export class CdsClient {
  constructor(private readonly o: ClientOptions) {}

  async call<T = unknown>(action: string, params: Record<string, unknown> = {}, method: 'GET' | 'POST' = 'POST'): Promise<CdsResponse<T>> {
    const path = this.o.path?.(action) ?? (action === 'DescribeTask' ? '/ccs/' : '/mysql/');
    const qs = signedQuery({
      method, action, accessKeyId: this.o.accessKeyId, secret: this.o.accessKeySecret,
      signatureMethod: this.o.signatureMethod, nonce: randomUUID(), timestamp: formatTimestamp(new Date()),
      query: method === 'GET' ? flatten(params) : {},
    });
    const res = await fetch(`${this.o.endpoint.replace(/\/$/, '')}${path}?${qs}`, {
      method, body: method === 'POST' ? JSON.stringify(params) : undefined,
    });
    const text = await res.text();
    let body: CdsResponse<T>['body'];
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${res.status}: not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, body };
  }

  /** Polls DescribeDBInstances until the instance has `want` status (or is gone), reporting progress. */
  async waitFor(uuid: string, want: 'RUNNING' | 'gone', progress: (line: string) => void = () => {}, timeoutMs = 600_000): Promise<void> {
    const t0 = Date.now();
    let last = '';
    for (;;) {
      const r = await this.call<Array<{ Status: string; StatusDetail?: string }>>('DescribeDBInstances', { InstanceUuid: uuid }, 'GET');
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      if (want === 'gone' && r.body.Code === 'ResourceNotFound') {
        progress(`\r${uuid}: deleted after ${secs}s\n`);
        return;
      }
      if (r.body.Code !== 'Success') throw new Error(`${r.body.Code}: ${r.body.Message}`);
      const st = r.body.Data[0]?.Status ?? '?';
      if (st !== last) progress(`${last ? '\n' : ''}${uuid}: ${st}`);
      else progress('.');
      last = st;
      if (want === 'RUNNING' && st === 'RUNNING') {
        progress(` (${secs}s)\n`);
        return;
      }
      if (st === 'ERROR') throw new Error(`instance ${uuid} is in ERROR: ${r.body.Data[0]?.StatusDetail ?? ''}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${secs}s waiting for ${uuid} to be ${want}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }
}
