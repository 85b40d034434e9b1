/**
 * Secrets: a master key per home (0600), from which internal database passwords are derived,
 * so no internal password is ever stored. User passwords are kept only as engine hashes.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function loadOrCreateMasterKey(file: string): Buffer {
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'); // another process won the race
  }
  chmodSync(file, 0o600);
  return key;
}

/** A stable internal password for `purpose` (e.g. admin, repl) of one instance. */
export function derivePassword(masterKey: Buffer, instanceUuid: string, purpose: string): string {
  return createHmac('sha256', masterKey).update(`${purpose}:${instanceUuid}`).digest('base64url');
}

/** mysql_native_password hash: '*' + uppercase hex SHA1(SHA1(password)). */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return '*' + createHash('sha1').update(inner).digest('hex').toUpperCase();
}

export function randomId(prefix: string, bytes = 8): string {
  return prefix + randomBytes(bytes).toString('hex');
}

export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}
