/** Tenants and their access keys. A key belongs to exactly one tenant. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';

export interface NewKey {
  AccessKeyId: string;
  AccessKeySecret: string;
  Tenant: string;
}

export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export async function createKey(store: Store, tenant: string, now = Date.now()): Promise<NewKey> {
  if (!TENANT_NAME.test(tenant)) throw new Error(`tenant name ${JSON.stringify(tenant)} must be 1-64 letters, digits, _ . -`);
  const tenantId = await store.ensureTenant(tenant, randomUUID(), now);
  const key = { id: 'AK' + randomBytes(10).toString('hex').toUpperCase(), secret: randomBytes(24).toString('base64url') };
  await store.insertKey({ id: key.id, tenant_id: tenantId, secret: key.secret, enabled: 1, created_at: now });
  return { AccessKeyId: key.id, AccessKeySecret: key.secret, Tenant: tenant };
}

/**
 * The default tenant's first key, made only when the store has no key at all (the first start of
 * `serve`). Undefined when a key exists, also when another serve node made it a moment ago.
 */
export async function createFirstKey(store: Store, tenant = 'default', now = Date.now()): Promise<NewKey | undefined> {
  const key = { id: 'AK' + randomBytes(10).toString('hex').toUpperCase(), secret: randomBytes(24).toString('base64url') };
  const made = await store.insertFirstKey(tenant, randomUUID(), { id: key.id, secret: key.secret, enabled: 1, created_at: now });
  return made ? { AccessKeyId: key.id, AccessKeySecret: key.secret, Tenant: tenant } : undefined;
}
