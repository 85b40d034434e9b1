/**
 * A small TypeScript SDK for the CDS MySQL API (works against openrds and the CDS cloud).
 * POST sends business parameters as an unsigned JSON body, GET flattens them into the signed
 * query, exactly as the official Go SDK does (spec §1.3).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatTimestamp, signedQuery, type SignatureMethod } from '../api/signature.js';
import { isCertificateError, nodeTransport, type Transport } from './transport.js';

export interface ClientOptions {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signatureMethod?: SignatureMethod;
  /** Path per action family; the SDK default sends everything to /mysql/. */
  path?: (action: string) => string;
  /**
   * For an https endpoint: a PEM file of one more CA to trust beside Node's root store, e.g.
   * the `<home>/tls/ca.pem` of an openrds with a local CA (the CLI's --ca-file / OPENRDS_CA_FILE).
   */
  caFile?: string;
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
  private readonly send: Transport;

  constructor(private readonly o: ClientOptions) {
    let ca: Buffer | undefined;
    if (o.caFile) {
      try {
        ca = readFileSync(o.caFile);
      } catch (e) {
        throw new Error(`CA file ${o.caFile} cannot be read: ${(e as Error).message}`, { cause: e });
      }
    }
    this.send = nodeTransport({ ca });
  }

  async call<T = unknown>(action: string, params: Record<string, unknown> = {}, method: 'GET' | 'POST' = 'POST'): Promise<CdsResponse<T>> {
    const path = this.o.path?.(action) ?? (action === 'DescribeTask' ? '/ccs/' : '/mysql/');
    const qs = signedQuery({
      method, action, accessKeyId: this.o.accessKeyId, secret: this.o.accessKeySecret,
      signatureMethod: this.o.signatureMethod, nonce: randomUUID(), timestamp: formatTimestamp(new Date()),
      query: method === 'GET' ? flatten(params) : {},
    });
    const url = `${this.o.endpoint.replace(/\/$/, '')}${path}?${qs}`;
    let res;
    try {
      res = await this.send(url, method, method === 'POST' ? JSON.stringify(params) : undefined);
    } catch (e) {
      if (!isCertificateError(e)) throw e;
      throw new Error(`the certificate of ${new URL(url).host} is not trusted (${(e as Error).message}); ` +
        `for an openrds with a local CA pass its <home>/tls/ca.pem (--ca-file, OPENRDS_CA_FILE)`, { cause: e });
    }
    let body: CdsResponse<T>['body'];
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new Error(`HTTP ${res.status}: not JSON: ${res.text.slice(0, 200)}`);
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
