/**
 * The canonical string of CDS request signing (spec §1.4–§1.5), pure and free of Node APIs so
 * that the server (signature.ts, node:crypto), the SDK and the web console (WebCrypto, in the
 * browser) sign exactly the same bytes. docs/cds-api-reference.md §1.4–§1.7 has the vectors.
 */
/** What encodeURIComponent leaves as it is but RFC 3986 encodes (tested first: most values have none). */
const RESERVED_BY_3986 = /[!'()*]/;
const RESERVED_BY_3986_ALL = /[!'()*]/g;

/** RFC 3986 encoding as the SDK does it: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function percentEncode(s: string): string {
  const e = encodeURIComponent(s);
  return RESERVED_BY_3986.test(e) ? e.replace(RESERVED_BY_3986_ALL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) : e;
}

const byName = (a: readonly [string, string], b: readonly [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Sorted (stable, by UTF-16 code units) `enc(k)=enc(v)` joined by `&`, with Signature left out. */
export function canonicalQuery(params: ReadonlyArray<readonly [string, string]>): string {
  // Loops rather than filter/map/join: this runs on every API request (bench/RESULTS.md 2i).
  const kept: Array<readonly [string, string]> = [];
  for (const p of params) if (p[0] !== 'Signature') kept.push(p);
  kept.sort(byName);
  let out = '';
  for (let i = 0; i < kept.length; i++) out += `${i ? '&' : ''}${percentEncode(kept[i]![0])}=${percentEncode(kept[i]![1])}`;
  return out;
}

export function stringToSign(method: string, params: ReadonlyArray<readonly [string, string]>): string {
  return `${method.toUpperCase()}&%2F&${percentEncode(canonicalQuery(params))}`;
}

export type SignatureMethod = 'HMAC-SHA1' | 'HmacSHA256';

/** What a client signs: the common parameters of spec §1.3 and the business parameters. */
export interface SignInput {
  method: 'GET' | 'POST';
  action: string;
  accessKeyId: string;
  secret: string;
  /** Business parameters that go into the signed query (GET); POST usually sends them in the body. Already flattened. */
  query?: Record<string, string>;
  signatureMethod?: SignatureMethod;
  nonce: string;
  /** `YYYY-MM-DDTHH:MM:SSZ` (formatTimestamp). */
  timestamp: string;
}

/** CDS timestamp: UTC, second precision, `YYYY-MM-DDTHH:MM:SSZ`. */
export function formatTimestamp(d: Date): string {
  const iso = d.toISOString();
  // Years 0000–9999 (every timestamp the API accepts) have the fixed 24-character form: cut the
  // milliseconds without a regex (the server formats every request's Timestamp to check it).
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** The parameters a signed request carries, Signature left out (spec §1.3). */
export function signingParams(input: SignInput, signatureMethod: SignatureMethod): Array<[string, string]> {
  return [
    ['Action', input.action],
    ['AccessKeyId', input.accessKeyId],
    ['SignatureMethod', signatureMethod],
    ['SignatureNonce', input.nonce],
    ['SignatureVersion', '1.0'],
    ['Timestamp', input.timestamp],
    ['Version', '2019-08-08'],
    ...Object.entries(input.query ?? {}),
  ];
}

/** The query string the SDK sends: the parameters and their Signature, sorted by name. */
export function signedQueryString(params: ReadonlyArray<readonly [string, string]>, signature: string): string {
  const all: Array<[string, string]> = [...params.map(([k, v]): [string, string] => [k, v]), ['Signature', signature]];
  return new URLSearchParams(all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))).toString();
}
