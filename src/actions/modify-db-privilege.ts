/**
 * ModifyDbPrivilege (spec §4.9): sets a Normal account's privilege level on existing databases,
 * and optionally the global CREATE privilege (ExtraPrivilege.AllCreate). Synchronous: the new
 * privileges hold for new connections (and new USE statements) when it answers; the engine has
 * read every grant back before that (Engine.grantDatabase). All or nothing: a failed operation
 * puts back the grants read before the change (changePrivileges).
 */
import { implement } from '../api/contract-params.js';
import { ModifyDbPrivilege } from '../contract/accounts.js';
import { invalidParam, unsupported } from '../api/errors.js';
import { idleInstance, primaryTarget, requireDatabase, userAccount } from '../accounts/lookup.js';
import { changePrivileges } from '../accounts/privilege-change.js';
import { PRIVILEGE_LEVELS, type PrivilegeLevel } from '../accounts/privileges.js';
import { systemDatabaseProblem } from './account-params.js';

export const modifyDbPrivilege = implement(ModifyDbPrivilege, async ({ svc, tenantId, log }, a) => {
  const { InstanceUuid: uuid, AccountName: name } = a;
  const ops = a.Operations.map((o, i) => {
    const db = o.DBName;
    const why = systemDatabaseProblem(db);
    if (why) throw invalidParam(`Operations.${i}.DBName`, why);
    const level: PrivilegeLevel = o.Privilege;
    return { db, level, param: `Operations.${i}.DBName` };
  });
  const seen = new Set<string>();
  for (const o of ops) {
    if (seen.has(o.db)) throw invalidParam(o.param, `database ${o.db} is listed twice`);
    seen.add(o.db);
  }
  const allCreate = a.ExtraPrivilege?.AllCreate;

  const inst = await idleInstance(svc, tenantId, uuid, 'change privileges');
  const account = await userAccount(svc, inst, name);
  if (account.type !== 'Normal') {
    throw unsupported(`account ${name} is a ${account.type} account: it already holds every database privilege; ModifyDbPrivilege is for Normal accounts`);
  }
  const target = await primaryTarget(svc, inst);
  // Everything is checked before anything changes; the change itself is all or nothing.
  for (const o of ops) await requireDatabase(svc, inst, target, o.db, o.param, '; create it first (the API does not create databases)');
  const change = { dbs: ops.map((o) => ({ db: o.db, privileges: PRIVILEGE_LEVELS[o.level] })), globalCreate: allCreate };
  await changePrivileges(svc, inst, target, name, change, `changing the privileges of ${name}`, log);
  log.info({ instance: uuid, account: name, operations: ops.map((o) => `${o.db}:${o.level}`), allCreate }, 'privileges changed');
  return { data: {} };
});
