/**
 * CreatePrivilegedAccount (spec §4.8): synchronous. When it answers Success the account can
 * log in: the engine has read the account back (password hash, Super privileges) first. The control plane keeps only the engine's password hash.
 */
import { implement } from '../api/contract-params.js';
import { CreatePrivilegedAccount } from '../contract/accounts.js';
import { ApiError, inUse, invalidParam, notFound, unsupported } from '../api/errors.js';
import { AccountStatus, applyAccount, dropCreatedAccount } from '../accounts/accounts.js';
import { accountNameProblem, passwordProblem } from '../accounts/policy.js';
import { InstanceStatus } from '../instances/status.js';
import { nativePasswordHash } from '../security/secrets.js';
import { EngineEffectError } from '../engine/engine.js';

export const createPrivilegedAccount = implement(CreatePrivilegedAccount, async ({ svc, tenantId, log }, a) => {
  const { InstanceUuid: uuid, AccountName: name, Password: password, AccountType: type } = a;
  const nameWhy = accountNameProblem(name);
  if (nameWhy) throw invalidParam('AccountName', nameWhy);
  const pwWhy = passwordProblem(password);
  if (pwWhy) throw invalidParam('Password', pwWhy);
  const description = a.Description ?? '';

  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (inst.parent_uuid) throw unsupported(`instance ${uuid} is read-only; create the account on its primary ${inst.parent_uuid}, it replicates here`);
  if (inst.status !== InstanceStatus.RUNNING || (await svc.store.activeTask(uuid))) {
    throw inUse(`instance ${uuid} is ${inst.status}; create accounts once it is RUNNING`);
  }
  const row = {
    instance_uuid: uuid, name, type, description, password_hash: nativePasswordHash(password), status: 'processing', created_at: svc.clock.now(),
  };
  const r = await svc.store.insertAccount(row);
  if (r === 'exists') throw invalidParam('AccountName', `account ${name} already exists on instance ${uuid}`);
  if (r === 'super-exists') throw invalidParam('AccountType', `instance ${uuid} already has its one Super account; create a Normal account`);
  try {
    await applyAccount(svc, inst, row);
  } catch (e) {
    // CREATE USER may have run although a later step (GRANT, read-back, the store update)
    // failed: drop it again, so that the error leaves no account that can log in.
    const why = e instanceof EngineEffectError ? ` (${e.message})` : '';
    const dropWhy = await dropCreatedAccount(svc, inst, name);
    if (dropWhy === undefined) {
      await svc.store.deleteAccount(uuid, name);
      throw new ApiError('InternalError', `could not create account ${name} on the database${why}; nothing was created, retry later`, { cause: e });
    }
    // The account may exist on the database: the row stays, as unavailable (the watchdog finishes
    // only processing rows), so the store never loses track of it; DeleteDBAccount drops it.
    log.warn({ err: dropWhy, instance: uuid, account: name }, 'could not drop a half-created account');
    await svc.store.updateAccount(uuid, name, { status: AccountStatus.unavailable });
    throw new ApiError('InternalError',
      `could not create account ${name} on the database${why}, and dropping it again failed too (${dropWhy}): the account may exist on the database; ` +
      `it is listed as unavailable by DescribeDBAccount, delete it with DeleteDBAccount`, { cause: e });
  }
  log.info({ instance: uuid, account: name, type }, 'account created');
  return { data: {} };
});
