/**
 * Request authentication (spec §1.5): every check in one place, each failure a registry code.
 * Order: required params → method → timestamp format and skew → key → signature → nonce.
 * The nonce is recorded only after the signature matched, so forged requests cannot burn nonces.
 */
import { ApiError } from './errors.js';
import { computeSignature, parseTimestamp, signaturesEqual, SIGNATURE_METHODS, type SignatureMethod } from './signature.js';

export interface KeyLookup {
  (accessKeyId: string): Promise<{ tenantId: string; secret: string } | undefined>;
}

/** Remembers nonces for the replay window. In-memory: one control-plane process owns the API. */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;
  constructor(private readonly windowMs: number, private readonly max = 1_000_000) {}

  /** False when the nonce was already used inside the window. */
  use(key: string, now: number): boolean {
    if (now - this.lastSweep > 10_000 || this.seen.size > this.max) this.sweep(now);
    const exp = this.seen.get(key);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(key, now + this.windowMs);
    return true;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
  }
}

export interface AuthInput {
  method: string;
  /** Decoded query pairs, in order, duplicates kept (the first one wins). */
  query: ReadonlyArray<readonly [string, string]>;
}

export async function authenticate(
  input: AuthInput,
  lookup: KeyLookup,
  nonces: NonceCache,
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
  if (!nonces.use(`${accessKeyId}:${first.get('SignatureNonce')}`, now)) {
    throw new ApiError('SignatureNonceUsed', `SignatureNonce ${first.get('SignatureNonce')} was already used; send a new random nonce with every request`);
  }
  return { tenantId: key.tenantId, accessKeyId };
}
