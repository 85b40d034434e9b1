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
  /** 1 while the disk guard holds the instance read-only (docs/storage.md). */
  disk_read_only: Generated<number>;
  /** The fullest node's used share of its disk in percent, as last measured; null before. */
  disk_used_pct: number | null;
  /** Last recorded replication observation, JSON (src/ha/replication-record.ts); null before the first. */
  replication: Generated<string | null>;
  /** A temporary instance: the instance it was restored from, until it is regularized (docs/recovery.md). */
  temp_source_uuid: Generated<string | null>;
  /** The point (epoch ms, whole seconds) a temporary instance was restored to; null for others. */
  recovery_time: Generated<number | null>;
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
  /** The provisioner's opaque id of the server's current run (NodeRuntime.incarnation); null before it was seen running. */
  incarnation: string | null;
  restarts: Generated<number>;
  last_seen_at: number | null;
  created_at: number;
  /** The host whose provisioner runs the node (config hostId); '' on rows from before 009, adopted at start. */
  host_id: Generated<string>;
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
  /** On the database's clock (docs/cluster.md): no node's own clock decides who owns a task. */
  lease_until: number | null;
  /** Lease generation, +1 at every claim: the fencing token a progress write must still hold. */
  lease_token: Generated<number>;
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

/**
 * A backup (docs/backups.md). Its tasks lock the backup, not the instance: the tasks row of a
 * backup task holds the BackupId in `instance_uuid`, so a backup never blocks instance work.
 */
export interface BackupTable {
  id: string; // BackupId
  tenant_id: string;
  instance_uuid: string;
  type: string; // physical-backup | logical-backup
  mode: string; // auto | manual
  strategy: string; // instance | db
  /** JSON list of database names (strategy db), `[]` otherwise. */
  db_list: string;
  description: string;
  status: string; // running | finished | failed | deleting (src/backups/backup-status.ts)
  /** Why it failed, or how an automatic backup came about (catch-up of a missed slot). */
  status_detail: string;
  /** The task that made it (CreateBackup) or is deleting it (DeleteBackup). */
  task_id: string;
  /** Storage key of the artifact (BackupStorage); published only once finished. */
  file: string;
  size_bytes: number;
  sha256: string;
  /** The position the backup is consistent with. */
  gtid: string;
  binlog_file: string;
  binlog_pos: number;
  /** The node that was copied and its role then (an HA backup is taken on the standby). */
  source_node: string;
  source_role: string;
  /** Automatic backups: start of the policy slot it was made for (unique per instance). */
  slot_at: number | null;
  created_at: number;
  /** When the backup tool started; null while the backup waits for its turn. */
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

/** ModifyDbBackupPolicy (spec §4.18): one policy per instance. */
export interface BackupPolicyTable {
  instance_uuid: string;
  tenant_id: string;
  /** `02:00-03:00`, in the instance's TimeZone. */
  time_slot: string;
  /** Weekdays, comma-separated (`0` = Sunday). */
  date_list: string;
  /** 1 = automatic backups on. */
  sign: number;
  /** Start of the last slot the scheduler handled (src/backups/schedule.ts). */
  last_slot_at: number;
  updated_at: number;
}

/** A serve node (docs/cluster.md "Members"): registered at start, heartbeating, removed at a clean stop. */
export interface MemberTable {
  id: string;
  host_id: string;
  pid: number;
  /** Its API address(es), for operators. */
  listen: string;
  started_at: number;
  /** Database clock. */
  heartbeat_at: number;
}

/** Who runs a background loop (`name`, or `name@host` for a loop bound to a host), until when, with which token. */
export interface LoopLeaseTable {
  name: string;
  owner: string;
  /** +1 whenever the lease changes hands: the loop's fencing token. */
  token: number;
  /** Database clock. */
  lease_until: number;
  acquired_at: number;
}

/** State a loop carries across a takeover (HA observations per instance), JSON, written when it changes. */
export interface LoopStateTable {
  loop: string;
  key: string;
  value: string;
  updated_at: number;
}

/**
 * The step log: one row per attempt of a step, with who ran it under which token, on the database's
 * clock. `seen_at` moves with every lease renewal, so a killed owner's open row ends where it last
 * proved to hold the lease.
 */
export interface TaskStepTable {
  task_id: string;
  token: number;
  step: number;
  attempt: number;
  name: string;
  owner: string;
  started_at: number;
  seen_at: number;
  ended_at: number | null;
  /** done | failed | fenced | '' (still running, or its owner died). */
  outcome: Generated<string>;
}

/** The binlog archive of an instance (src/archive/, docs/recovery.md): one row per instance. */
export interface ArchiveStreamTable {
  instance_uuid: string;
  timeline: number;
  /** Incremented at every (re)start of the stream: each run writes under a fresh prefix. */
  run: number;
  source_node: string;
  /** The replica server id the stream uses (unique among the instance's nodes). */
  server_id: number;
  /** The source's binlog file the run started at, and the GTID position before it. */
  start_file: string;
  start_gtid: string;
  /** GTID position of everything durable in the archive (fsynced raw stream). */
  archived_gtid: string;
  /** Commit time (epoch ms, whole seconds) of the last durable transaction. */
  archived_event_at: number | null;
  /** The last time the durable archive held everything the source had written (the RightBorderTime). */
  caught_up_at: number | null;
  /** streaming | stopped | error | off */
  status: string;
  status_detail: string;
  /** A restore asks the archiver to close the open segment now. */
  close_requested_at: number | null;
  updated_at: number;
}

export interface ArchiveSegmentTable {
  id: string;
  instance_uuid: string;
  timeline: number;
  run: number;
  source_node: string;
  binlog_file: string;
  /** Byte range of the source file this segment holds (the file's header is prepended to a continuation). */
  start_offset: number;
  end_offset: number;
  /** Storage key (segment-store.ts), size and sha256 of the compressed segment. */
  key: string;
  size_bytes: number;
  raw_bytes: number;
  sha256: string;
  /** First and last transaction's GTID, and the GTID position at the segment's end (every domain). */
  first_gtid: string;
  last_gtid: string;
  end_gtid: string;
  /** Commit time of the first and last transaction (epoch ms, whole seconds); null when it holds none. */
  first_event_at: number | null;
  last_event_at: number | null;
  transactions: number;
  created_at: number;
}

export interface ArchiveTimelineTable {
  instance_uuid: string;
  timeline: number;
  started_at: number;
  start_gtid: string;
  /** The first stream run of the timeline: runs from it on (up to the next timeline's) belong to it. */
  first_run: number;
}

export interface ArchiveGapTable {
  id: string;
  instance_uuid: string;
  timeline: number;
  /** The run whose events it concerns: for `errant`, the run cut at `from_gtid`. */
  run: number;
  /** gap: events the archive never got; errant: archived events a failover discarded (never replayed). */
  kind: string;
  at: number;
  from_gtid: string;
  to_gtid: string;
  detail: string;
}

export interface Database {
  members: MemberTable;
  loop_leases: LoopLeaseTable;
  loop_state: LoopStateTable;
  task_steps: TaskStepTable;
  archive_streams: ArchiveStreamTable;
  archive_segments: ArchiveSegmentTable;
  archive_timelines: ArchiveTimelineTable;
  archive_gaps: ArchiveGapTable;
  backups: BackupTable;
  backup_policies: BackupPolicyTable;
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

/**
 * A used request nonce (spec §1.2 SignatureNonce), kept until the replay window has passed so that a
 * captured request cannot run twice, not even after a restart. Lives in its own database
 * (`NonceDatabase`): on SQLite its own file, so that recording a nonce on every request does not
 * change the main database's change token and empty the instance-row cache (store.ts).
 */
export interface NonceTable {
  key_id: string;
  nonce: string;
  /** Epoch ms after which the nonce may be forgotten (and used again). */
  expires_at: number;
}

export interface NonceDatabase {
  nonces: NonceTable;
}
