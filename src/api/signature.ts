/**
 * CDS request signing (spec §1.4–§1.5). Pure functions: used by the server to verify and
 * by the CLI/SDK/tests to sign.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { formatTimestamp, signedQueryString, signingParams, stringToSign, type SignatureMethod, type SignInput } from './signature-canonical.js';

export type { SignatureMethod, SignInput } from './signature-canonical.js';
export const SIGNATURE_METHODS: readonly SignatureMethod[] = ['HMAC-SHA1', 'HmacSHA256'];

// The canonical form is shared with the web console, which signs with WebCrypto in the browser.
export { canonicalQuery, formatTimestamp, percentEncode, stringToSign } from './signature-canonical.js';

export function computeSignature(
  method: string,
  params: ReadonlyArray<readonly [string, string]>,
  secret: string,
  signatureMethod: SignatureMethod,
): string {
  const algo = signatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1';
  return createHmac(algo, keyObjectOf(secret)).update(stringToSign(method, params), 'utf8').digest('base64');
}

/**
 * The HMAC key of a secret, made once: a KeyObject skips the per-request key import (~0.6 µs of
 * an API request). Bounded; emptied when full (a server sees a handful of keys).
 */
const KEY_OBJECTS_MAX = 1000;
const keyObjects = new Map<string, KeyObject>();
function keyObjectOf(secret: string): KeyObject {
  let k = keyObjects.get(secret);
  if (!k) {
    if (keyObjects.size >= KEY_OBJECTS_MAX) keyObjects.clear();
    k = createSecretKey(Buffer.from(secret, 'utf8'));
    keyObjects.set(secret, k);
  }
  return k;
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

/** Builds the full signed query string, as the SDK sends it. */
export function signedQuery(input: SignInput): string {
  const sm = input.signatureMethod ?? 'HMAC-SHA1';
  const params = signingParams(input, sm);
  return signedQueryString(params, computeSignature(input.method, params, input.secret, sm));
}
