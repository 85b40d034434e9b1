/** Every API action, by name. One module per action. */
import type { ActionDef } from '../api/action.js';
import { createDbInstance } from './create-db-instance.js';
import { createPrivilegedAccount } from './create-privileged-account.js';
import { deleteDbInstance } from './delete-db-instance.js';
import { describeAvailableDbConfig } from './describe-available-db-config.js';
import { describeDbInstancePerformance } from './describe-db-instance-performance.js';
import { describeDbInstances } from './describe-db-instances.js';
import { describeRegions } from './describe-regions.js';
import { describeTask } from './describe-task.js';
import { describeDbAccount } from './describe-db-account.js';
import { describeAvailableReadOnlyConfig } from './describe-available-read-only-config.js';
import { createReadOnlyDbInstance } from './create-read-only-db-instance.js';
import { describeDbPrivileges } from './describe-db-privileges.js';
import { modifyDbPrivilege } from './modify-db-privilege.js';
import { deleteDbPrivilege } from './delete-db-privilege.js';
import { deleteDbAccount } from './delete-db-account.js';
import { describeDbParameter } from './describe-db-parameter.js';
import { modifyDbParameter } from './modify-db-parameter.js';
import { describeDbParameterModifyHistory } from './describe-db-parameter-modify-history.js';

export const ACTIONS: ReadonlyMap<string, ActionDef> = new Map(
  [describeRegions, describeAvailableDbConfig, createDbInstance, describeDbInstances, deleteDbInstance, createPrivilegedAccount, describeTask,
    describeDbInstancePerformance,
    // read-only instances (§4.19–§4.20)
    describeAvailableReadOnlyConfig, createReadOnlyDbInstance,
    // accounts and privileges (spec §4.9–§4.13), parameters (§4.22–§4.24)
    describeDbAccount, describeDbPrivileges, modifyDbPrivilege, deleteDbPrivilege, deleteDbAccount,
    describeDbParameter, modifyDbParameter, describeDbParameterModifyHistory]
    .map((a) => [a.name, a]),
);
