/** DeleteDbPrivilege (spec §4.10): revokes every privilege of a Normal account on the listed databases. */
import { implement } from '../api/contract-params.js';
import { DeleteDbPrivilege } from '../contract/accounts.js';
import { unsupported } from '../api/errors.js';
import { idleInstance, primaryTarget, userAccount } from '../accounts/lookup.js';
import { changePrivileges } from '../accounts/privilege-change.js';

export const deleteDbPrivilege = implement(DeleteDbPrivilege, async ({ svc, tenantId, log }, a) => {
  const { InstanceUuid: uuid, AccountName: name } = a;
  const dbs = [...new Set(a.DBNames)];

  const inst = await idleInstance(svc, tenantId, uuid, 'change privileges');
  const account = await userAccount(svc, inst, name);
  if (account.type !== 'Normal') throw unsupported(`account ${name} is a ${account.type} account; its privileges are not per database`);
  const target = await primaryTarget(svc, inst);
  // A database with no grant (or no longer there) is not an error: nothing is left to revoke.
  // Each revoke is read back (Engine.revokeDatabase): Success means nothing is left on those databases.
  // All or nothing, like ModifyDbPrivilege: a failed revoke puts back the grants read before.
  await changePrivileges(svc, inst, target, name, { dbs: dbs.map((db) => ({ db, privileges: [] })) }, `revoking the privileges of ${name}`, log);
  log.info({ instance: uuid, account: name, databases: dbs }, 'privileges revoked');
  return { data: {} };
});
