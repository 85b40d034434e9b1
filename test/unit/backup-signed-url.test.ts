/** Signed download URLs (src/backups/signed-url.ts): a vector computed with python hmac, and every refusal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalGrant, deriveUrlKey, signedPath, signedUrl, signGrant, verifySignedUrl, type DownloadGrant } from '../../src/backups/signed-url.js';

const MASTER = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEY = deriveUrlKey(MASTER);
const G: DownloadGrant = { tenantId: 'tenant-1', backupId: 'bk-0123456789abcdef0123', file: 'bk-0123456789abcdef0123.xb.zst', expires: 1714552200 };
const NOW = (G.expires - 3600) * 1000;

test('vector: key derivation and signature match an independent python computation', () => {
  // python3: hmac.new(bytes(range(32)), b'backup-download-url/v1', sha256)
  assert.equal(KEY.toString('hex'), '58ac1e9e2c12e9b23137a3d426841cffcb65a71990523882aa381fd472fcb4f5');
  assert.equal(canonicalGrant(G), 'openrds-backup-download-v1\ntenant-1\nbk-0123456789abcdef0123\nbk-0123456789abcdef0123.xb.zst\n1714552200');
  assert.equal(signGrant(KEY, G), '7tl0FDE3FNydB_peCgXrB-dl9WD5GLK0YQ6ldE5NHUM');
  assert.equal(signedPath(KEY, G),
    '/backups/download/bk-0123456789abcdef0123/bk-0123456789abcdef0123.xb.zst?Tenant=tenant-1&Expires=1714552200&Signature=7tl0FDE3FNydB_peCgXrB-dl9WD5GLK0YQ6ldE5NHUM');
});

test('signedUrl joins the base without doubling slashes', () => {
  assert.ok(signedUrl('https://rds.example.com/', KEY, G).startsWith('https://rds.example.com/backups/download/'));
  assert.ok(signedUrl('https://rds.example.com/prefix', KEY, G).startsWith('https://rds.example.com/prefix/backups/download/'));
});

test('a fresh URL verifies and gives back its grant', () => {
  assert.deepEqual(verifySignedUrl(KEY, signedPath(KEY, G), NOW), { ok: true, grant: G });
});

const good = signedPath(KEY, G);
const swap = (from: string, to: string) => good.replace(from, to);
const CASES: Array<[string, string, number, 'malformed' | 'bad-signature' | 'expired']> = [
  ['expired (now = expiry)', good, G.expires * 1000, 'expired'],
  ['expired long ago', good, (G.expires + 86400) * 1000, 'expired'],
  ['expiry pushed later', swap('Expires=1714552200', 'Expires=1714638600'), NOW, 'bad-signature'],
  ['tenant changed', swap('Tenant=tenant-1', 'Tenant=tenant-2'), NOW, 'bad-signature'],
  ['backup id changed in the path', good.replace('/bk-0123456789abcdef0123/', '/bk-0123456789abcdef0124/'), NOW, 'bad-signature'],
  ['file changed', swap('.xb.zst?', '.sql.zst?'), NOW, 'bad-signature'],
  ['signature changed', swap('Signature=7tl0', 'Signature=8tl0'), NOW, 'bad-signature'],
  ['signature truncated', good.slice(0, -2), NOW, 'bad-signature'],
  ['signature of another key', signedPath(deriveUrlKey(Buffer.alloc(32, 7)), G), NOW, 'bad-signature'],
  ['expired and forged: forgery wins (no oracle)', swap('Tenant=tenant-1', 'Tenant=x'), (G.expires + 1) * 1000, 'bad-signature'],
  ['no query', good.split('?')[0]!, NOW, 'malformed'],
  ['no signature', good.replace(/&Signature=[^&]+/, ''), NOW, 'malformed'],
  ['no tenant', good.replace(/Tenant=[^&]+&/, ''), NOW, 'malformed'],
  ['no expiry', good.replace(/&Expires=\d+/, ''), NOW, 'malformed'],
  ['expiry not a number', swap('Expires=1714552200', 'Expires=soon'), NOW, 'malformed'],
  ['expiry negative', swap('Expires=1714552200', 'Expires=-1'), NOW, 'malformed'],
  ['expiry absurdly long', swap('Expires=1714552200', 'Expires=1714552200000000'), NOW, 'malformed'],
  ['wrong prefix', good.replace('/backups/download/', '/backups/get/'), NOW, 'malformed'],
  ['extra path segment', good.replace('/bk-0123456789abcdef0123/', '/x/bk-0123456789abcdef0123/'), NOW, 'malformed'],
  ['missing file segment', good.replace('/bk-0123456789abcdef0123.xb.zst', ''), NOW, 'malformed'],
  ['bad percent-encoding', good.replace('bk-0123456789abcdef0123.xb.zst', '%E0%A4%A'), NOW, 'malformed'],
];
for (const [name, url, now, reason] of CASES) {
  test(`refused: ${name}`, () => {
    assert.deepEqual(verifySignedUrl(KEY, url, now), { ok: false, reason });
  });
}

test('query parameter order does not matter; the first of a repeated parameter is used', () => {
  const [path, q] = good.split('?') as [string, string];
  const reordered = `${path}?${q.split('&').reverse().join('&')}`;
  assert.equal(verifySignedUrl(KEY, reordered, NOW).ok, true);
  assert.equal(verifySignedUrl(KEY, `${good}&Tenant=evil`, NOW).ok, true);
  assert.deepEqual(verifySignedUrl(KEY, `${path}?Tenant=evil&${q}`, NOW), { ok: false, reason: 'bad-signature' });
});

test('names with characters that need encoding round-trip', () => {
  const g = { ...G, tenantId: 'tenant with space/and&amp' };
  const r = verifySignedUrl(KEY, signedPath(KEY, g), NOW);
  assert.deepEqual(r, { ok: true, grant: g });
});
