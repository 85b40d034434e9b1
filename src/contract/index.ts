/**
 * The action contracts, one per action (src/contract/types.ts says what each gives). Adding an
 * action: declare it in the file of its group with defineAction(), list it in CONTRACT_LIST,
 * and implement it in src/actions/ with implement() (src/api/contract-params.ts says how).
 */
import * as accounts from './accounts.js';
import * as backups from './backups.js';
import * as catalog from './catalog.js';
import * as instances from './instances.js';
import * as monitoring from './monitoring.js';
import * as parameters from './parameters.js';
import * as recovery from './recovery.js';
import type { ActionContract, ActionGroup, ParamSpec, Shape } from './types.js';

export * from './types.js';

/** By name, with their literal types (the SDK's methods are typed from this object). */
export const CONTRACTS = {
  DescribeRegions: catalog.DescribeRegions,
  DescribeAvailableDBConfig: catalog.DescribeAvailableDBConfig,
  CreateDBInstance: instances.CreateDBInstance,
  DescribeDBInstances: instances.DescribeDBInstances,
  DeleteDBInstance: instances.DeleteDBInstance,
  DescribeAvailableReadOnlyConfig: instances.DescribeAvailableReadOnlyConfig,
  CreateReadOnlyDBInstance: instances.CreateReadOnlyDBInstance,
  DescribeModifiableDBSpec: instances.DescribeModifiableDBSpec,
  ModifyDBInstanceSpec: instances.ModifyDBInstanceSpec,
  CreatePrivilegedAccount: accounts.CreatePrivilegedAccount,
  DescribeDBAccount: accounts.DescribeDBAccount,
  DescribeDbPrivileges: accounts.DescribeDbPrivileges,
  ModifyDbPrivilege: accounts.ModifyDbPrivilege,
  DeleteDbPrivilege: accounts.DeleteDbPrivilege,
  DeleteDBAccount: accounts.DeleteDBAccount,
  DescribeDBParameter: parameters.DescribeDBParameter,
  ModifyDBParameter: parameters.ModifyDBParameter,
  DescribeDBParameterModifyHistory: parameters.DescribeDBParameterModifyHistory,
  CreateBackup: backups.CreateBackup,
  DescribeBackups: backups.DescribeBackups,
  DeleteBackup: backups.DeleteBackup,
  DownloadBackup: backups.DownloadBackup,
  ModifyDbBackupPolicy: backups.ModifyDbBackupPolicy,
  DescribeDbBackupPolicy: backups.DescribeDbBackupPolicy,
  StartBatchRollback: recovery.StartBatchRollback,
  DescribeRollbackRangeTime: recovery.DescribeRollbackRangeTime,
  StartBatchRollbackToTemporaryDBInstance: recovery.StartBatchRollbackToTemporaryDBInstance,
  DescribeTemporaryDBInstances: recovery.DescribeTemporaryDBInstances,
  RegularizeTemporaryDBInstances: recovery.RegularizeTemporaryDBInstances,
  DeleteTemporaryDBInstances: recovery.DeleteTemporaryDBInstances,
  DescribeDBInstancePerformance: monitoring.DescribeDBInstancePerformance,
  DescribeTask: monitoring.DescribeTask,
} as const;

export type Contracts = typeof CONTRACTS;
export type ActionName = keyof Contracts;

export const CONTRACT_LIST: readonly ActionContract[] = Object.values(CONTRACTS);

export function contractOf(name: string): ActionContract | undefined {
  return Object.hasOwn(CONTRACTS, name) ? (CONTRACTS as Record<string, ActionContract>)[name] : undefined;
}

/** Groups in the order help and docs show them. */
export const GROUPS: ReadonlyArray<{ group: ActionGroup; title: string }> = [
  { group: 'catalog', title: 'Regions and specs' },
  { group: 'instances', title: 'Instances' },
  { group: 'read-only', title: 'Read-only instances' },
  { group: 'specs', title: 'Spec changes' },
  { group: 'accounts', title: 'Accounts and privileges' },
  { group: 'parameters', title: 'Parameters' },
  { group: 'backups', title: 'Backups' },
  { group: 'recovery', title: 'Recovery' },
  { group: 'monitoring', title: 'Monitoring' },
  { group: 'tasks', title: 'Tasks' },
];

/** The contract as plain JSON (patterns as their source text), e.g. for the web console. */
export type PlainParam = Omit<ParamSpec, 'pattern' | 'fields' | 'item'> & { pattern?: string; fields?: Record<string, PlainParam>; item?: Record<string, unknown> };
export interface PlainContract { name: string; group: ActionGroup; summary: string; spec?: string; wait?: string; idempotent?: boolean; params: Record<string, PlainParam>; response: Shape }

export function plainContracts(): PlainContract[] {
  return JSON.parse(JSON.stringify(CONTRACT_LIST, (_k, v) => (v instanceof RegExp ? v.source : v))) as PlainContract[];
}
