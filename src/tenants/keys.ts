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
