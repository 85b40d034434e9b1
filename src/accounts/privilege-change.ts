/**
 * A change of a Normal account's privileges, all or nothing (ModifyDbPrivilege, DeleteDbPrivilege;
 * docs/accounts.md "No half changes"). The grants are read before the change; when any step fails,
 * every database the change names (and the global CREATE, when it was to change) is put back to
 * what was read, and read back again, before the error is answered. So an error means either
 * "nothing changed" (the restore was read back) or says in its message that the restore failed
 * too and the privileges may be partly changed.
 */
import { ApiError } from '../api/errors.js';
import type { AccountGrants, Target } from '../engine/engine.js';
import type { Services } from '../services.js';
import type { Instance } from '../store/store.js';

/** The target privileges of a change: per database (`[]` revokes everything on it), and the global CREATE when given. */
export interface PrivilegeChange {
  dbs: ReadonlyArray<{ db: string; privileges: readonly string[] }>;
  globalCreate?: boolean;
}

/** Pure: the change that puts back, for everything `change` touches, what `before` held. */
export function undoOf(before: AccountGrants, change: PrivilegeChange): PrivilegeChange {
  return {
    dbs: change.dbs.map(({ db }) => ({ db, privileges: before.objects.find((o) => o.db === db && o.table === '*')?.privileges ?? [] })),
    globalCreate: change.globalCreate === undefined ? undefined : before.global.some((p) => p === 'CREATE' || p === 'ALL PRIVILEGES'),
  };
}

/** Runs each step of `change` on the engine (each is read back by the engine). */
async function run(svc: Services, target: Target, name: string, change: PrivilegeChange): Promise<void> {
  for (const { db, privileges } of change.dbs) {
    if (privileges.length) await svc.engine.grantDatabase(target, name, db, privileges);
    else await svc.engine.revokeDatabase(target, name, db);
  }
  if (change.globalCreate !== undefined) await svc.engine.setGlobalPrivilege(target, name, 'CREATE', change.globalCreate);
}

/**
 * Applies `change` to `name`@'%' on `target`, or nothing. Errors are InternalError (an engine
 * failure, docs/errors.md), with the state of the account in the message. `what` names the change.
 */
export async function changePrivileges(
  svc: Services, inst: Instance, target: Target, name: string, change: PrivilegeChange, what: string,
  log: { warn(o: object, msg: string): void },
): Promise<void> {
  let before: AccountGrants | undefined;
  try {
    before = (await svc.engine.listGrants(target, [name])).get(name);
  } catch (e) {
    throw new ApiError('InternalError', `${what} on instance ${inst.uuid}: the current privileges could not be read (${msg(e)}); nothing was changed, retry later`, { cause: e });
  }
  if (!before) {
    throw new ApiError('InternalError', `${what} on instance ${inst.uuid}: account ${name} is missing on the database (dropped outside the API); nothing was changed, delete the account and create it again`);
  }
  try {
    await run(svc, target, name, change);
  } catch (e) {
    try {
      await run(svc, target, name, undoOf(before, change));
    } catch (e2) {
      log.warn({ err: e2, instance: inst.uuid, account: name }, 'could not restore the privileges after a failed change');
      throw new ApiError('InternalError',
        `${what} on instance ${inst.uuid} failed (${msg(e)}), and restoring the previous privileges failed too (${msg(e2)}): ` +
        `the privileges of ${name} may be partly changed; read them with DescribeDBAccount and repeat the request`, { cause: e });
    }
    throw new ApiError('InternalError',
      `${what} on instance ${inst.uuid} failed (${msg(e)}); nothing was changed: the previous privileges were restored and read back. Retry later`, { cause: e });
  }
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
