/**
 * The web console's signer (src/console/ui/sign.ts: the shared canonical string + WebCrypto HMAC)
 * against the spec's test vectors (docs/cds-api-reference.md §1.7) and against the server's own
 * verifier: every query it signs is accepted by authenticate(), and it never carries the secret.
 * Node 20 has the same WebCrypto as the browser (globalThis.crypto.subtle). The browser itself is
 * covered by test/integration/console.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { authenticate } from '../../src/api/auth.js';
import { computeSignature as serverSignature } from '../../src/api/signature.js';
import { computeSignature, signedQuery } from '../../src/console/ui/sign.js';

const COMMON: Array<[string, string]> = [
  ['AccessKeyId', 'AKIDEXAMPLE1234567890'], ['SignatureNonce', '9f1c2e4a-1b2c-4d5e-8f90-123456789abc'],
  ['SignatureVersion', '1.0'], ['Timestamp', '2024-05-01T08:30:00Z'], ['Version', '2019-08-08'],
];
const SECRET = 'SECRETEXAMPLE0987654321';

const VECTORS: Array<[string, 'GET' | 'POST', 'HMAC-SHA1' | 'HmacSHA256', Array<[string, string]>, string]> = [
  ['V1 GET HMAC-SHA1 with IP', 'GET', 'HMAC-SHA1', [['Action', 'DescribeDBInstances'], ['IP', '66.66.0.46']], 'ZWiaU1fT+XTRzjL495XfsoxLiO8='],
  ['V2 POST HMAC-SHA1', 'POST', 'HMAC-SHA1', [['Action', 'CreateDBInstance']], '2dSZY3IJNhKaRrl31NWLTVFRdlQ='],
  ['V3 GET HmacSHA256 with reserved characters', 'GET', 'HmacSHA256', [['Action', 'DescribeDBInstances'], ['InstanceName', 'test db/1*~+']], 'QA5Z8pryH9hfkDK9LrZSd3ONhK1XCooP9HLwiuTaeQQ='],
];
for (const [name, method, sm, extra, want] of VECTORS) {
  test(`spec vector ${name}`, async () => {
    assert.equal(await computeSignature(method, [...COMMON, ['SignatureMethod', sm], ...extra], SECRET, sm), want);
  });
}

test('property: the browser signer and the server compute the same signature', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('GET' as const, 'POST' as const), fc.constantFrom('HMAC-SHA1' as const, 'HmacSHA256' as const),
    fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), fc.string({ maxLength: 20, unit: 'grapheme' })), { maxLength: 6 }),
    fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
    async (method, sm, params, secret) => {
      const all: Array<[string, string]> = [...COMMON, ['SignatureMethod', sm], ...params];
      assert.equal(await computeSignature(method, all, secret, sm), serverSignature(method, all, secret, sm));
    }), { seed: 14, numRuns: 300 });
});

test('property: every query the console signs passes the server check, and holds no secret', async () => {
  const now = Date.parse('2024-05-01T08:30:00Z');
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('GET' as const, 'POST' as const), fc.constantFrom('HMAC-SHA1' as const, 'HmacSHA256' as const),
    fc.dictionary(fc.stringMatching(/^[A-Z][A-Za-z0-9.]{0,10}$/), fc.string({ maxLength: 16, unit: 'grapheme' }), { maxKeys: 4 }),
    fc.stringMatching(/^[A-Za-z0-9+/]{16,40}$/),
    async (method, sm, query, secret) => {
      const qs = await signedQuery({ method, action: 'DescribeDBInstances', accessKeyId: 'AK1', secret, query, signatureMethod: sm, nonce: 'n-1', timestamp: '2024-05-01T08:30:00Z' });
      assert.ok(!qs.includes(secret) && !decodeURIComponent(qs.replace(/\+/g, ' ')).includes(secret), 'the secret is in the query');
      const got = await authenticate({ method, query: [...new URLSearchParams(qs)] }, async (id) => (id === 'AK1' ? { tenantId: 't', secret } : undefined),
        { useNonce: async () => true }, 900_000, now);
      assert.deepEqual(got, { tenantId: 't', accessKeyId: 'AK1' });
    }), { seed: 14, numRuns: 200 });
});

test('a signature made with another secret is refused', async () => {
  const qs = await signedQuery({ method: 'POST', action: 'DescribeRegions', accessKeyId: 'AK1', secret: 'right-secret', nonce: 'n', timestamp: '2024-05-01T08:30:00Z' });
  await assert.rejects(authenticate({ method: 'POST', query: [...new URLSearchParams(qs)] }, async () => ({ tenantId: 't', secret: 'other-secret' }),
    { useNonce: async () => true }, 900_000, Date.parse('2024-05-01T08:30:00Z')), /Signature/);
});
