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

export interface Database {
  tenants: TenantTable;
  access_keys: AccessKeyTable;
  instances: InstanceTable;
  nodes: NodeTable;
  accounts: AccountTable;
  tasks: TaskTable;
}
