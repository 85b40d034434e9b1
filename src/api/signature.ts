/**
 * CDS request signing (spec §1.4–§1.5). Pure functions: used by the server to verify and
 * by the CLI/SDK/tests to sign.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureMethod = 'HMAC-SHA1' | 'HmacSHA256';
export const SIGNATURE_METHODS: readonly SignatureMethod[] = ['HMAC-SHA1', 'HmacSHA256'];

/** What encodeURIComponent leaves as it is but RFC 3986 encodes (tested first: most values have none). */
const RESERVED_BY_3986 = /[!'()*]/;
const RESERVED_BY_3986_ALL = /[!'()*]/g;

/** RFC 3986 encoding as the SDK does it: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function percentEncode(s: string): string {
  const e = encodeURIComponent(s);
  return RESERVED_BY_3986.test(e) ? e.replace(RESERVED_BY_3986_ALL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) : e;
}

/** Sorted `enc(k)=enc(v)` joined by `&`, with Signature left out. */
export function canonicalQuery(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .filter(([k]) => k !== 'Signature')
    .slice()
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

export function stringToSign(method: string, params: ReadonlyArray<readonly [string, string]>): string {
  return `${method.toUpperCase()}&%2F&${percentEncode(canonicalQuery(params))}`;
}

export function computeSignature(
  method: string,
  params: ReadonlyArray<readonly [string, string]>,
  secret: string,
  signatureMethod: SignatureMethod,
): string {
  const algo = signatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1';
  return createHmac(algo, Buffer.from(secret, 'utf8')).update(stringToSign(method, params), 'utf8').digest('base64');
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** CDS timestamp: UTC, second precision, `YYYY-MM-DDTHH:MM:SSZ`. */
export function formatTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Parses a CDS timestamp; undefined unless it names a real instant. Impossible dates and times
 * (`2026-02-30`, `24:00:00`, `:60`) are refused, not rolled over: `Date` would quietly turn
 * `02-30` into `03-02`, and the request would then fail as expired instead of malformed.
 */
export function parseTimestamp(s: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s)) return undefined;
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || formatTimestamp(d) !== s) return undefined;
  return d;
}

export interface SignInput {
  method: 'GET' | 'POST';
  action: string;
  accessKeyId: string;
  secret: string;
  /** Business parameters to put in the (signed) query; for POST usually empty. Already flattened. */
  query?: Record<string, string>;
  signatureMethod?: SignatureMethod;
  nonce: string;
  timestamp: string;
}

/** Builds the full signed query string, as the SDK sends it. */
export function signedQuery(input: SignInput): string {
  const params: Array<[string, string]> = [
    ['Action', input.action],
    ['AccessKeyId', input.accessKeyId],
    ['SignatureMethod', input.signatureMethod ?? 'HMAC-SHA1'],
    ['SignatureNonce', input.nonce],
    ['SignatureVersion', '1.0'],
    ['Timestamp', input.timestamp],
    ['Version', '2019-08-08'],
    ...Object.entries(input.query ?? {}),
  ];
  const sig = computeSignature(input.method, params, input.secret, input.signatureMethod ?? 'HMAC-SHA1');
  const usp = new URLSearchParams([...params, ['Signature', sig]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return usp.toString();
}
