/**
 * Signed download URLs of backups (DownloadBackup). Pure functions, tested with vectors in
 * test/unit/backup-signed-url.test.ts.
 *
 *   <base>/backups/download/<BackupId>/<file>?Tenant=<tenantId>&Expires=<unix seconds>&Signature=<base64url>
 *
 * Signature = base64url(HMAC-SHA256(urlKey, canonical)), canonical =
 * `openrds-backup-download-v1\n<tenant>\n<backupId>\n<file>\n<expires>`. The key is derived from
 * the home's master key, so no extra secret is kept and every `serve` of a home agrees on it.
 * Whoever holds a URL can download until it expires (a bearer URL, like S3 presigned URLs);
 * changing any part of it (another backup, another tenant, a later expiry) breaks the signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DOWNLOAD_PATH_PREFIX = '/backups/download/';
const CONTEXT = 'openrds-backup-download-v1';

export interface DownloadGrant {
  tenantId: string;
  backupId: string;
  /** The artifact's file name (last path segment). */
  file: string;
  /** Unix seconds after which the URL is refused. */
  expires: number;
}

export type VerifyResult =
  | { ok: true; grant: DownloadGrant }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

/** The URL-signing key of a home: HMAC of a fixed label under the master key. */
export function deriveUrlKey(masterKey: Buffer): Buffer {
  return createHmac('sha256', masterKey).update('backup-download-url/v1').digest();
}

export function canonicalGrant(g: DownloadGrant): string {
  return `${CONTEXT}\n${g.tenantId}\n${g.backupId}\n${g.file}\n${g.expires}`;
}

export function signGrant(key: Buffer, g: DownloadGrant): string {
  return createHmac('sha256', key).update(canonicalGrant(g), 'utf8').digest('base64url');
}

/** Path and query of a signed URL (append to a base URL). */
export function signedPath(key: Buffer, g: DownloadGrant): string {
  const q = new URLSearchParams({ Tenant: g.tenantId, Expires: String(g.expires), Signature: signGrant(key, g) });
  return `${DOWNLOAD_PATH_PREFIX}${encodeURIComponent(g.backupId)}/${encodeURIComponent(g.file)}?${q}`;
}

/** A full URL: `base` without a trailing slash, plus signedPath(). */
export function signedUrl(base: string, key: Buffer, g: DownloadGrant): string {
  return base.replace(/\/+$/, '') + signedPath(key, g);
}

/**
 * Checks a request URL (path and query, as received) against the key and the clock
 * (`nowMs`). Order: shape, then signature, then expiry, so a forged URL never learns whether
 * it would have expired.
 */
export function verifySignedUrl(key: Buffer, url: string, nowMs: number): VerifyResult {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.startsWith(DOWNLOAD_PATH_PREFIX)) return { ok: false, reason: 'malformed' };
  const parts = path.slice(DOWNLOAD_PATH_PREFIX.length).split('/');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  let backupId: string;
  let file: string;
  try {
    backupId = decodeURIComponent(parts[0]!);
    file = decodeURIComponent(parts[1]!);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const tenantId = params.get('Tenant');
  const expiresText = params.get('Expires');
  const sig = params.get('Signature');
  if (!backupId || !file || !tenantId || !expiresText || !sig || !/^\d{1,12}$/.test(expiresText)) return { ok: false, reason: 'malformed' };
  const grant: DownloadGrant = { tenantId, backupId, file, expires: Number(expiresText) };
  const want = Buffer.from(signGrant(key, grant), 'utf8');
  const got = Buffer.from(sig, 'utf8');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'bad-signature' };
  if (nowMs >= grant.expires * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, grant };
}
