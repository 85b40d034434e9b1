/** authenticate(): which failure gives which code, in the order docs/errors.md documents. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, type KeyLookup, type NonceLedger } from '../../src/api/auth.js';
import { ApiError, type ErrorCode } from '../../src/api/errors.js';
import { computeSignature, signedQuery, type SignatureMethod } from '../../src/api/signature.js';

const AK = 'AKIDEXAMPLE1234567890';
const SECRET = 'SECRETEXAMPLE0987654321';
const NOW = Date.UTC(2024, 4, 1, 8, 30, 0);
const SKEW_MS = 900_000;

/** A hand-written key store: one enabled key. */
const lookup: KeyLookup = async (id) => (id === AK ? { tenantId: 'tenant-1', secret: SECRET } : undefined);

/** A hand-written nonce ledger (the store's contract: expired records count as unused). */
class MemoryNonces implements NonceLedger {
  readonly seen = new Map<string, number>();
  async useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    const k = `${keyId}\u0000${nonce}`;
    const exp = this.seen.get(k);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(k, expiresAt);
    return true;
  }
}

type Pairs = Array<[string, string]>;

function signed(opts: { method?: 'GET' | 'POST'; sm?: SignatureMethod; ts?: string; nonce?: string; query?: Record<string, string> } = {}): Pairs {
  return [...new URLSearchParams(signedQuery({
    method: opts.method ?? 'GET', action: 'DescribeDBInstances', accessKeyId: AK, secret: SECRET,
    signatureMethod: opts.sm, nonce: opts.nonce ?? 'nonce-1', timestamp: opts.ts ?? '2024-05-01T08:30:00Z', query: opts.query,
  }))] as Pairs;
}

const without = (q: Pairs, name: string): Pairs => q.filter(([k]) => k !== name);
const set = (q: Pairs, name: string, value: string): Pairs => q.map(([k, v]) => [k, k === name ? value : v]);
/** Re-signs after an edit, so that only the edited property is wrong. */
function resign(q: Pairs, secret = SECRET, method = 'GET'): Pairs {
  const sm = (q.find(([k]) => k === 'SignatureMethod')?.[1] ?? 'HMAC-SHA1') as SignatureMethod;
  return set(q, 'Signature', computeSignature(method, q, secret, sm));
}

const CASES: Array<{ name: string; method?: string; query: Pairs; code?: ErrorCode }> = [
  { name: 'valid GET HMAC-SHA1', query: signed() },
  { name: 'valid GET HmacSHA256', query: signed({ sm: 'HmacSHA256' }) },
  { name: 'valid POST', method: 'POST', query: signed({ method: 'POST' }) },
  { name: 'valid with business parameters', query: signed({ query: { InstanceName: 'a b/c', 'DBList.0': 'x' } }) },
  { name: 'valid at the edge of the skew', query: signed({ ts: '2024-05-01T08:15:00Z' }) },
  { name: 'missing SignatureMethod means HMAC-SHA1', query: resign(without(signed(), 'SignatureMethod')) },
  { name: 'missing AccessKeyId', query: without(signed(), 'AccessKeyId'), code: 'IncompleteSignature' },
  { name: 'missing Signature', query: without(signed(), 'Signature'), code: 'IncompleteSignature' },
  { name: 'missing SignatureNonce', query: without(signed(), 'SignatureNonce'), code: 'IncompleteSignature' },
  { name: 'missing Timestamp', query: without(signed(), 'Timestamp'), code: 'IncompleteSignature' },
  { name: 'empty Signature', query: set(signed(), 'Signature', ''), code: 'IncompleteSignature' },
  { name: 'unknown SignatureMethod', query: set(signed(), 'SignatureMethod', 'HMAC-MD5'), code: 'UnsupportedSignatureMethod' },
  { name: 'SignatureMethod is case-sensitive', query: set(signed(), 'SignatureMethod', 'hmac-sha1'), code: 'UnsupportedSignatureMethod' },
  { name: 'Timestamp with milliseconds', query: set(signed(), 'Timestamp', '2024-05-01T08:30:00.000Z'), code: 'InvalidTimestamp' },
  { name: 'Timestamp as epoch seconds', query: set(signed(), 'Timestamp', '1714552200'), code: 'InvalidTimestamp' },
  { name: 'Timestamp on February 30th (would roll over to March)', query: signed({ ts: '2024-02-30T08:30:00Z' }), code: 'InvalidTimestamp' },
  { name: 'Timestamp at hour 24', query: signed({ ts: '2024-05-01T24:00:00Z' }), code: 'InvalidTimestamp' },
  { name: 'Timestamp with second 60', query: signed({ ts: '2024-05-01T08:29:60Z' }), code: 'InvalidTimestamp' },
  { name: 'Timestamp in month 13', query: signed({ ts: '2024-13-01T08:30:00Z' }), code: 'InvalidTimestamp' },
  { name: 'SignatureVersion 1.0 is accepted', query: signed() },
  { name: 'missing SignatureVersion means 1.0', query: resign(without(signed(), 'SignatureVersion')) },
  { name: 'missing Version means 2019-08-08', query: resign(without(signed(), 'Version')) },
  { name: 'unknown SignatureVersion', query: resign(set(signed(), 'SignatureVersion', '2.0')), code: 'InvalidParameter' },
  { name: 'empty SignatureVersion', query: resign(set(signed(), 'SignatureVersion', '')), code: 'InvalidParameter' },
  { name: 'unknown Version', query: resign(set(signed(), 'Version', '2020-01-01')), code: 'InvalidParameter' },
  { name: 'order: unknown Version before bad timestamp', query: set(set(signed(), 'Version', 'x'), 'Timestamp', 'x'), code: 'InvalidParameter' },
  { name: 'order: bad method before unknown Version', query: set(set(signed(), 'Version', 'x'), 'SignatureMethod', 'X'), code: 'UnsupportedSignatureMethod' },
  { name: 'Timestamp too old', query: signed({ ts: '2024-05-01T08:14:59Z' }), code: 'RequestExpired' },
  { name: 'Timestamp too far ahead', query: signed({ ts: '2024-05-01T08:45:01Z' }), code: 'RequestExpired' },
  { name: 'unknown AccessKeyId', query: resign(set(signed(), 'AccessKeyId', 'AKIDUNKNOWN')), code: 'InvalidAccessKeyId' },
  { name: 'wrong secret', query: resign(signed(), 'other-secret'), code: 'SignatureDoesNotMatch' },
  { name: 'secret with & appended (old doc)', query: resign(signed(), SECRET + '&'), code: 'SignatureDoesNotMatch' },
  { name: 'signed for POST, sent as GET', query: signed({ method: 'POST' }), code: 'SignatureDoesNotMatch' },
  { name: 'tampered business parameter', query: set(signed({ query: { IP: '1.2.3.4' } }), 'IP', '1.2.3.5'), code: 'SignatureDoesNotMatch' },
  { name: 'added business parameter', query: [...signed(), ['IP', '1.2.3.4']], code: 'SignatureDoesNotMatch' },
  { name: 'duplicate key: the first one is checked', query: [...signed(), ['Signature', 'garbage']] },
  { name: 'duplicate key: a bad first one fails', query: [['Signature', 'garbage'], ...signed()], code: 'SignatureDoesNotMatch' },
  // Order: the earliest failing check decides.
  { name: 'order: missing Nonce before bad method', query: set(without(signed(), 'SignatureNonce'), 'SignatureMethod', 'X'), code: 'IncompleteSignature' },
  { name: 'order: bad method before bad timestamp', query: set(set(signed(), 'SignatureMethod', 'X'), 'Timestamp', 'x'), code: 'UnsupportedSignatureMethod' },
  { name: 'order: expired before unknown key', query: set(signed({ ts: '2020-01-01T00:00:00Z' }), 'AccessKeyId', 'nope'), code: 'RequestExpired' },
  { name: 'order: unknown key before bad signature', query: set(signed(), 'AccessKeyId', 'nope'), code: 'InvalidAccessKeyId' },
];

for (const c of CASES) {
  test(`authenticate: ${c.name}`, async () => {
    const run = () => authenticate({ method: c.method ?? 'GET', query: c.query }, lookup, new MemoryNonces(), SKEW_MS, NOW);
    if (c.code === undefined) {
      assert.deepEqual(await run(), { tenantId: 'tenant-1', accessKeyId: AK });
      return;
    }
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, c.code);
      return true;
    });
  });
}

test('authenticate: a nonce is accepted once, then SignatureNonceUsed', async () => {
  const nonces = new MemoryNonces();
  const q = signed({ nonce: 'once' });
  await authenticate({ method: 'GET', query: q }, lookup, nonces, SKEW_MS, NOW);
  await assert.rejects(authenticate({ method: 'GET', query: q }, lookup, nonces, SKEW_MS, NOW + 1000), (e: unknown) => e instanceof ApiError && e.code === 'SignatureNonceUsed');
});

test('authenticate: a forged request does not use up the nonce', async () => {
  const nonces = new MemoryNonces();
  const forged = resign(signed({ nonce: 'n-forged' }), 'wrong');
  await assert.rejects(authenticate({ method: 'GET', query: forged }, lookup, nonces, SKEW_MS, NOW), (e: unknown) => e instanceof ApiError && e.code === 'SignatureDoesNotMatch');
  await authenticate({ method: 'GET', query: signed({ nonce: 'n-forged' }) }, lookup, nonces, SKEW_MS, NOW);
});

test('authenticate: the nonce is recorded for twice the skew, under the access key', async () => {
  const nonces = new MemoryNonces();
  await authenticate({ method: 'GET', query: signed({ nonce: 'n-window' }) }, lookup, nonces, SKEW_MS, NOW);
  assert.deepEqual([...nonces.seen], [[`${AK}\u0000n-window`, NOW + 2 * SKEW_MS]]);
});

test('authenticate: a refused request (unknown Version) records no nonce', async () => {
  const nonces = new MemoryNonces();
  await assert.rejects(authenticate({ method: 'GET', query: resign(set(signed(), 'Version', 'x')) }, lookup, nonces, SKEW_MS, NOW));
  assert.equal(nonces.seen.size, 0);
});
