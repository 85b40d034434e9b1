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

/**
 * Undoes a failed creation (CreatePrivilegedAccount): drops the user from every primary node, so
 * that an error never leaves a working account behind. Best effort: returns why the drop failed,
 * or undefined once every drop was read back as gone.
 */
export async function dropCreatedAccount(svc: Services, inst: Instance, name: string): Promise<string | undefined> {
  try {
    const nodes = await svc.store.listNodes(inst.uuid);
    for (const n of nodes.filter((x) => x.role === 'primary')) await svc.engine.dropAccount(adminTarget(svc, inst, n), name);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
