/**
 * Request authentication (spec §1.5): every check in one place, each failure a registry code.
 * Order: required params → signature method → SignatureVersion and Version → timestamp format and
 * skew → key → signature → nonce (docs/errors.md has the table).
 * The nonce is recorded only after the signature matched, so forged requests cannot burn nonces.
 */
import { ApiError } from './errors.js';
import { computeSignature, parseTimestamp, signaturesEqual, SIGNATURE_METHODS, type SignatureMethod } from './signature.js';

export interface KeyLookup {
  (accessKeyId: string): Promise<{ tenantId: string; secret: string } | undefined>;
}

/**
 * Where used nonces are remembered for the replay window: the store (Store.useNonce), so that a
 * captured request cannot run again after a restart. Must be atomic (one caller wins a nonce) and
 * durable when it answers, because the action runs right after.
 */
export interface NonceLedger {
  /** False when `keyId` already used `nonce` and the record has not expired at `now`. */
  useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;
}

/**
 * Common parameters with one known value (spec §1.2). Absent means that value; any other value is
 * refused with InvalidParameter before the signature is checked, so a client written for another
 * API or signing version learns it instead of getting answers it would misread (docs/api.md).
 */
export const FIXED_COMMON_PARAMS = { SignatureVersion: '1.0', Version: '2019-08-08' } as const;

export interface AuthInput {
  method: string;
  /** Decoded query pairs, in order, duplicates kept (the first one wins). */
  query: ReadonlyArray<readonly [string, string]>;
}

export async function authenticate(
  input: AuthInput,
  lookup: KeyLookup,
  nonces: NonceLedger,
  maxSkewMs: number,
  now: number,
): Promise<{ tenantId: string; accessKeyId: string }> {
  const first = new Map<string, string>();
  for (const [k, v] of input.query) if (!first.has(k)) first.set(k, v);
  for (const name of ['AccessKeyId', 'Signature', 'SignatureNonce', 'Timestamp']) {
    if (!first.get(name)) throw new ApiError('IncompleteSignature', `missing required parameter ${name}`);
  }
  const sigMethod = (first.get('SignatureMethod') || 'HMAC-SHA1') as SignatureMethod;
  if (!SIGNATURE_METHODS.includes(sigMethod)) {
    throw new ApiError('UnsupportedSignatureMethod', `SignatureMethod ${sigMethod} is not supported; use HMAC-SHA1 or HmacSHA256`);
  }
  for (const [name, value] of Object.entries(FIXED_COMMON_PARAMS)) {
    const got = first.get(name);
    if (got !== undefined && got !== value) {
      throw new ApiError('InvalidParameter', `invalid parameter ${name}: openrds speaks only ${name} ${value} (got ${JSON.stringify(got.slice(0, 64))}); send ${value} or leave it out`);
    }
  }
  const ts = parseTimestamp(first.get('Timestamp')!);
  if (!ts) throw new ApiError('InvalidTimestamp', 'Timestamp must be UTC in the form YYYY-MM-DDTHH:MM:SSZ');
  if (Math.abs(ts.getTime() - now) > maxSkewMs) {
    throw new ApiError('RequestExpired', `Timestamp ${first.get('Timestamp')} is more than ${Math.round(maxSkewMs / 1000)} s away from the server time ${new Date(now).toISOString()}; fix the client clock`);
  }
  const accessKeyId = first.get('AccessKeyId')!;
  const key = await lookup(accessKeyId);
  if (!key) throw new ApiError('InvalidAccessKeyId', `AccessKeyId ${accessKeyId} is not known; create one with: openrds keys create --tenant NAME`);
  const params = [...first.entries()];
  const expected = computeSignature(input.method, params, key.secret, sigMethod);
  if (!signaturesEqual(expected, first.get('Signature')!)) {
    throw new ApiError('SignatureDoesNotMatch', 'the Signature does not match; sign every query parameter except Signature with your AccessKeySecret as in spec §1.5');
  }
  // Kept twice the skew: longer than any request with this timestamp can pass the skew check.
  if (!(await nonces.useNonce(accessKeyId, first.get('SignatureNonce')!, now + 2 * maxSkewMs, now))) {
    throw new ApiError('SignatureNonceUsed', `SignatureNonce ${first.get('SignatureNonce')} was already used; send a new random nonce with every request`);
  }
  return { tenantId: key.tenantId, accessKeyId };
}
