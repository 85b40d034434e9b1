/**
 * Shared checks of the account actions (docs/accounts.md): which instance, which user account,
 * and where its grants live. Accounts and grants are changed on the primary only: they reach
 * the standby and the replicas through the binlog, like any other write.
 */
import { ApiError, inUse, invalidParam, notFound, unsupported } from '../api/errors.js';
import { EngineEffectError, type Target } from '../engine/engine.js';
import { adminTarget, primaryNode } from '../instances/nodes.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import type { Account, Instance } from '../store/store.js';
import { AccountStatus } from './accounts.js';
import { ACCOUNT_NAME_RULE, internalAccountProblem } from './policy.js';

/** The tenant's instance, RUNNING and with no task: the state in which accounts may change. */
export async function idleInstance(svc: Services, tenantId: string, uuid: string, what: string): Promise<Instance> {
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (inst.status !== InstanceStatus.RUNNING || (await svc.store.activeTask(uuid))) {
    throw inUse(`instance ${uuid} is ${inst.status === InstanceStatus.RUNNING ? 'busy with a task' : inst.status}; ${what} once it is RUNNING`);
  }
  return inst;
}

/**
 * A user account of the instance, by AccountName: internal accounts and names that break the
 * naming rule get InvalidParameter, an unknown name ResourceNotFound, an account still being
 * created ResourceInUse.
 */
export async function userAccount(svc: Services, inst: Instance, name: string): Promise<Account> {
  const a = await svc.store.getAccount(inst.uuid, name);
  const why = internalAccountProblem(name, a !== undefined);
  if (why) throw invalidParam('AccountName', why);
  // Such a name could never have been created (CreatePrivilegedAccount's rule): say why, not "not found".
  if (!a && !ACCOUNT_NAME_RULE.test(name)) throw invalidParam('AccountName', 'must be 2-32 characters: lowercase letters, digits and _, starting with a letter');
  if (!a) throw notFound('account', `${name} of instance ${inst.uuid}`);
  if (a.status === AccountStatus.processing) throw inUse(`account ${name} is still being created; retry in a moment`);
  return a;
}

/**
 * The admin connection to the instance's primary, where accounts and grants are changed. A
 * read-only instance has none of its own: UnsupportedOperation, pointing at its primary.
 */
export async function primaryTarget(svc: Services, inst: Instance): Promise<Target> {
  if (inst.parent_uuid) throw unsupported(`instance ${inst.uuid} is read-only; change it on its primary ${inst.parent_uuid}, the change replicates here`);
  const p = primaryNode(await svc.store.listNodes(inst.uuid));
  if (!p) throw inUse(`instance ${inst.uuid} has no primary right now; retry when its Status is RUNNING`);
  return adminTarget(svc, inst, p);
}

/**
 * Where reads of the instance's own state go (grants, variables): the primary, or for a
 * read-only instance its own node, which holds what it replicated.
 */
export async function readTarget(svc: Services, inst: Instance): Promise<Target> {
  if (!inst.parent_uuid) return primaryTarget(svc, inst);
  const node = (await svc.store.listNodes(inst.uuid))[0];
  if (!node) throw inUse(`instance ${inst.uuid} has no node right now; retry when its Status is RUNNING`);
  return adminTarget(svc, inst, node);
}

/**
 * Runs a read against the instance's database. When it cannot be reached while the instance is
 * not RUNNING (starting, restarting for a parameter, recovering), the caller gets ResourceInUse
 * rather than an internal error.
 */
export async function readFromEngine<T>(inst: Instance, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError) throw e; // an expected refusal keeps its own code
    if (inst.status !== InstanceStatus.RUNNING) {
      throw inUse(`instance ${inst.uuid} is ${inst.status} and its database does not answer; retry when its Status is RUNNING`);
    }
    throw new ApiError('InternalError', `the database of instance ${inst.uuid} did not answer; retry later`, { cause: e });
  }
}

/**
 * Refuses a database that does not exist on `target` with InvalidParameter on `param` (the one
 * check of CreateBackup's DBList and ModifyDbPrivilege's Operations). A database that cannot be
 * asked is never skipped: it answers as readFromEngine does (ResourceInUse / InternalError).
 */
export async function requireDatabase(svc: Services, inst: Instance, target: Target, db: string, param: string, hint = ''): Promise<void> {
  const exists = await readFromEngine(inst, () => svc.engine.databaseExists(target, db));
  if (!exists) throw invalidParam(param, `database ${db} does not exist on instance ${inst.uuid}${hint}`);
}

/**
 * Runs a change of accounts or grants on the engine. The engine reads every such change back
 * (EngineEffectError when it is not in effect), so the action never answers Success for a change
 * that did nothing; that case answers InternalError saying what is missing.
 */
export async function changeOnEngine<T>(inst: Instance, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineEffectError) {
      throw new ApiError('InternalError', `${what} on instance ${inst.uuid} ran but did not take effect (${e.message}); retry, and report it if it persists`, { cause: e });
    }
    throw e;
  }
}
