/** Every API action, by name. One module per action. */
import type { ActionDef } from '../api/action.js';
import { createDbInstance } from './create-db-instance.js';
import { createPrivilegedAccount } from './create-privileged-account.js';
import { deleteDbInstance } from './delete-db-instance.js';
import { describeAvailableDbConfig } from './describe-available-db-config.js';
import { describeDbInstances } from './describe-db-instances.js';
import { describeRegions } from './describe-regions.js';
import { describeTask } from './describe-task.js';

export const ACTIONS: ReadonlyMap<string, ActionDef> = new Map(
  [describeRegions, describeAvailableDbConfig, createDbInstance, describeDbInstances, deleteDbInstance, createPrivilegedAccount, describeTask]
    .map((a) => [a.name, a]),
);
