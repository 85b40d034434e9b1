/** Table types of the metadata store. Times are epoch milliseconds (UTC). */
import type { Generated } from 'kysely';

export interface TenantTable {
  id: string;
  name: string;
  created_at: number;
}

export interface AccessKeyTable {
  id: string; // AccessKeyId
  tenant_id: string;
  /** The HMAC secret must be usable to verify signatures, so it is kept (the file is 0600). */
  secret: string;
  enabled: number;
  created_at: number;
}

export interface InstanceTable {
  uuid: string;
  tenant_id: string;
  name: string;
  region_id: string;
  vdc_id: string;
  pipe_id: string;
  paas_goods_id: number;
  architecture: number;
  cpu: number;
  ram_gb: number;
  disk_type: string;
  disk_gb: number;
  ip: string;
  port: number;
  time_zone: string;
  status: string;
  /** Why the instance is in ERROR, or other operator-facing detail. */
  status_detail: string;
  version: string;
  /** Read-only instances: the primary's uuid. */
  parent_uuid: string | null;
  created_at: number;
  updated_at: number;
  /** Set when deletion finished; deleted rows are invisible to the API. */
  deleted_at: number | null;
  /** HA bookkeeping, JSON (see src/ha/ha-state.ts). */
  ha_state: Generated<string>;
}

export interface NodeTable {
  id: string;
  instance_uuid: string;
  role: string; // primary | standby | replica
  ip: string;
  port: number;
  server_id: number;
  /** running | stopped: what the reconciler keeps it at. */
  desired: string;
  pid: number | null;
  restarts: Generated<number>;
  last_seen_at: number | null;
  created_at: number;
}

export interface AccountTable {
  instance_uuid: string;
  name: string;
  type: string; // Super | Normal
  description: string;
  /** mysql_native_password hash ('*' + hex SHA1(SHA1(pw))); never the password itself. */
  password_hash: string;
  status: string; // processing | available | unavailable
  created_at: number;
}

export interface TaskTable {
  id: string;
  /** Tasks created by one call (CreateDBInstance with Amount>1) share a group id; single tasks use their own id. */
  group_id: string;
  tenant_id: string;
  instance_uuid: string;
  type: string;
  status: string; // NEW | DOING | FINISH | ERROR
  /** Index of the next step to run. */
  step: number;
  params: string; // JSON
  /** Scratch state that steps persist for their successors, JSON. */
  state: string;
  error: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** An instance's metric series (metrics-repo.ts): points refer to it by a small integer id. */
export interface MetricSeriesTable {
  id: number;
  instance_uuid: string;
  created_at: number;
}

/**
 * One rollup point: an instance's bucket of `period` seconds starting at `ts` (epoch ms, UTC),
 * with a sum and a sample count per metric (src/metrics/rollup.ts, docs/monitoring.md).
 */
export interface MetricPointTable {
  series_id: number;
  period: number;
  ts: number;
  cpu_sum: number;
  cpu_n: number;
  mem_sum: number;
  mem_n: number;
  space_sum: number;
  space_n: number;
  net_sum: number;
  net_n: number;
  sessions_sum: number;
  sessions_n: number;
  slow_sum: number;
  slow_n: number;
}

/** The last raw reading of each node, JSON: the base of rates after a restart of serve. */
export interface MetricLastReadingTable {
  node_id: string;
  at: number;
  reading: string;
}

/** A user's value for an engine parameter of an instance (ModifyDBParameter); rendered into every node's my.cnf. */
export interface InstanceParameterTable {
  instance_uuid: string;
  name: string;
  value: string;
  updated_at: number;
}

/** One parameter change of a ModifyDBParameter task (DescribeDBParameterModifyHistory). */
export interface ParameterHistoryTable {
  task_id: string;
  instance_uuid: string;
  name: string;
  old_value: string;
  new_value: string;
  modified_at: number;
  /** Who asked, as CDS shows it (`用户`, the user). */
  role: string;
  /** pending (being applied) | valid (running on every node) | invalid (not in effect). */
  state: string;
  status_message: string;
}

export interface Database {
  instance_parameters: InstanceParameterTable;
  parameter_history: ParameterHistoryTable;
  metric_series: MetricSeriesTable;
  metric_points: MetricPointTable;
  metric_last_readings: MetricLastReadingTable;
  tenants: TenantTable;
  access_keys: AccessKeyTable;
  instances: InstanceTable;
  nodes: NodeTable;
  accounts: AccountTable;
  tasks: TaskTable;
}
