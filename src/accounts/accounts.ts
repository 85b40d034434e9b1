/**
 * Account creation shared by CreatePrivilegedAccount and CreateDBInstance's Password.
 * The row is written first as `processing`, then the user is created on every node, then the row
 * becomes `available`; the reconciler finishes rows a crash left in `processing`.
 */
import type { Services } from '../services.js';
import type { Account, Instance } from '../store/store.js';
import { adminTarget } from '../instances/nodes.js';

export const AccountStatus = { processing: 'processing', available: 'available', unavailable: 'unavailable' } as const;

/** Applies a stored account to every node of its instance. Idempotent. */
export async function applyAccount(svc: Services, inst: Instance, a: Account): Promise<void> {
  const nodes = await svc.store.listNodes(inst.uuid);
  for (const n of nodes.filter((x) => x.role === 'primary')) {
    await svc.engine.ensureAccount(adminTarget(svc, inst, n), { name: a.name, passwordHash: a.password_hash, type: a.type as 'Super' | 'Normal' });
  }
  await svc.store.updateAccount(inst.uuid, a.name, { status: AccountStatus.available });
}
