/**
 * DescribeDBAccount (spec §4.12): the instance's user accounts, with the database privileges
 * the engine really holds (SHOW GRANTS on the primary), not what was asked for. Internal
 * accounts are never listed.
 */
import { implement } from '../api/contract-params.js';
import { DescribeDBAccount } from '../contract/accounts.js';
import { notFound } from '../api/errors.js';
import { AccountStatus } from '../accounts/accounts.js';
import { readFromEngine, readTarget } from '../accounts/lookup.js';
import { internalAccountProblem } from '../accounts/policy.js';
import { allCreate, databasePrivileges } from '../accounts/privileges.js';

export const describeDbAccount = implement(DescribeDBAccount, async ({ svc, tenantId }, a) => {
  const uuid = a.InstanceUuid;
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  const accounts = (await svc.store.listAccounts(uuid)).filter((a) => !internalAccountProblem(a.name, true));
  if (accounts.length === 0) return { data: [] };
  const grants = await readFromEngine(inst, async () => svc.engine.listGrants(await readTarget(svc, inst), accounts.map((a) => a.name)));
  return {
    data: accounts.map((a) => {
      const g = grants.get(a.name);
      const normal = a.type === 'Normal';
      return {
        AccountName: a.name,
        AccountType: a.type,
        // Stored as available but missing on the database (dropped outside the API): not usable.
        AccountStatus: !g && a.status === AccountStatus.available ? AccountStatus.unavailable : a.status,
        AccountDescription: a.description,
        ServiceId: uuid,
        DatabasePrivileges: normal ? (g ? databasePrivileges(g) : []) : null,
        ExtraPrivilege: normal ? { AllCreate: g ? allCreate(g) : 'false' } : null,
      };
    }),
  };
});
