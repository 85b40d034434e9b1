/**
 * DeleteDBAccount (spec §4.13): drops a user account. The DROP USER runs on the primary and
 * reaches every other node through replication; the store row goes only after the drop, so a
 * crash in between leaves a row that a repeated call removes.
 */
import { implement } from '../api/contract-params.js';
import { DeleteDBAccount } from '../contract/accounts.js';
import { changeOnEngine, idleInstance, primaryTarget, userAccount } from '../accounts/lookup.js';

export const deleteDbAccount = implement(DeleteDBAccount, async ({ svc, tenantId, log }, a) => {
  const { InstanceUuid: uuid, AccountName: name } = a;
  const inst = await idleInstance(svc, tenantId, uuid, 'delete accounts');
  await userAccount(svc, inst, name);
  const target = await primaryTarget(svc, inst);
  try {
    await changeOnEngine(inst, `dropping account ${name}`, () => svc.engine.dropAccount(target, name));
  } catch (e) {
    // The DROP may have run although its answer was lost: when the user is read back as gone,
    // the account is deleted (a real Success); otherwise the row stays, matching the engine.
    const gone = await svc.engine.listGrants(target, [name]).then((g) => g.get(name) === undefined, () => false);
    if (!gone) throw e;
  }
  await svc.store.deleteAccount(uuid, name);
  log.info({ instance: uuid, account: name }, 'account deleted');
  return { data: {} };
});
