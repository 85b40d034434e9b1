/**
 * Pure: a signed request as the official Go SDK sends it (spec §1.3). POST: business parameters
 * as an unsigned JSON body; GET: flattened into the signed query (`Name.0`, `Parent.Child`).
 * The signing itself is src/api/signature.ts, the one implementation the server verifies with.
 */
import { signedQuery, type SignatureMethod } from '../api/signature.js';

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

/** The path an action is sent to by default: DescribeTask to /ccs/ (spec §2.4), the rest to /mysql/. */
export function defaultPath(action: string): string {
  return action === 'DescribeTask' ? '/ccs/' : '/mysql/';
}

export interface RequestInput {
  endpoint: string;
  path?: string;
  method: 'GET' | 'POST';
  action: string;
  params: Record<string, unknown>;
  accessKeyId: string;
  accessKeySecret: string;
  signatureMethod?: SignatureMethod;
  nonce: string;
  /** `YYYY-MM-DDTHH:MM:SSZ` (formatTimestamp). */
  timestamp: string;
}

export interface SignedRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
}

export function buildRequest(i: RequestInput): SignedRequest {
  const qs = signedQuery({
    method: i.method, action: i.action, accessKeyId: i.accessKeyId, secret: i.accessKeySecret, signatureMethod: i.signatureMethod,
    nonce: i.nonce, timestamp: i.timestamp, query: i.method === 'GET' ? flatten(i.params) : {},
  });
  const url = `${i.endpoint.replace(/\/+$/, '')}${i.path ?? defaultPath(i.action)}?${qs}`;
  return i.method === 'POST' ? { method: 'POST', url, body: JSON.stringify(i.params) } : { method: 'GET', url };
}
