/** Every API action, by name. One module per action. */
import type { ActionDef } from '../api/action.js';
import { createBackup } from './create-backup.js';
import { describeBackups } from './describe-backups.js';
import { deleteBackup } from './delete-backup.js';
import { downloadBackup } from './download-backup.js';
import { modifyDbBackupPolicy } from './modify-db-backup-policy.js';
import { describeDbBackupPolicy } from './describe-db-backup-policy.js';
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
import { describeModifiableDbSpec } from './describe-modifiable-db-spec.js';
import { modifyDbInstanceSpec } from './modify-db-instance-spec.js';
import { startBatchRollback } from './start-batch-rollback.js';
import { describeRollbackRangeTime } from './describe-rollback-range-time.js';
import { startBatchRollbackToTemporaryDbInstance } from './start-batch-rollback-to-temporary-db-instance.js';
import { describeTemporaryDbInstances } from './describe-temporary-db-instances.js';
import { regularizeTemporaryDbInstances } from './regularize-temporary-db-instances.js';
import { deleteTemporaryDbInstances } from './delete-temporary-db-instances.js';

export const ACTIONS: ReadonlyMap<string, ActionDef> = new Map(
  [describeRegions, describeAvailableDbConfig, createDbInstance, describeDbInstances, deleteDbInstance, createPrivilegedAccount, describeTask,
    describeDbInstancePerformance,
    // read-only instances (§4.19–§4.20)
    describeAvailableReadOnlyConfig, createReadOnlyDbInstance,
    // accounts and privileges (spec §4.9–§4.13), parameters (§4.22–§4.24)
    describeDbAccount, describeDbPrivileges, modifyDbPrivilege, deleteDbPrivilege, deleteDbAccount,
    describeDbParameter, modifyDbParameter, describeDbParameterModifyHistory,
    // spec changes (§4.5–§4.6)
    describeModifiableDbSpec, modifyDbInstanceSpec,
    // backups (§4.14–§4.18)
    createBackup, describeBackups, deleteBackup, downloadBackup, modifyDbBackupPolicy,
    // openrds extension: read back the policy (docs/backups.md)
    describeDbBackupPolicy,
    // recovery (§4.25–§4.30, docs/recovery.md)
    describeRollbackRangeTime, startBatchRollback, startBatchRollbackToTemporaryDbInstance, describeTemporaryDbInstances,
    regularizeTemporaryDbInstances, deleteTemporaryDbInstances]
    .map((a) => [a.name, a]),
);
