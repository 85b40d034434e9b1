/**
 * The Provisioner port: where nodes run. The local adapter runs detached mariadbd processes
 * under the home; a Kubernetes adapter would run StatefulSets behind the same contract.
 * Every method is idempotent: calling it twice, or after a crash half-way, converges.
 */
import type { NodeSpec, Target } from '../engine/engine.js';

/** Hashes of the internal accounts a node's init file (re)creates. */
export interface InternalCredentials {
  adminHash: string;
  replHash: string;
}

/** How a wildcard listener (IPv4 0.0.0.0 or IPv6 ::) is reported: it takes its port on every address. */
export const WILDCARD_IP = '0.0.0.0';

/** A listening TCP socket on a host (Provisioner.listeners). */
export interface Listener {
  /** IPv4 address, or WILDCARD_IP: then every address on `port`. */
  ip: string;
  port: number;
  /** The node of this home whose server holds the socket; undefined for anyone else's. */
  nodeId?: string;
}

export interface NodeRuntime {
  /** Process (or pod) is alive and is this node's server. */
  alive: boolean;
  pid?: number;
}

/** What a node's server uses right now (the collector's process-level readings, src/metrics/). */
export interface NodeUsage {
  /** Identity of the server process: a different pid means it restarted (so CPU time started again). */
  pid: number;
  /** Cumulative user + system CPU time of the server process, in seconds. */
  cpuSeconds: number;
  /** Resident memory of the server process. */
  rssBytes: number;
  /** Bytes the node's datadir occupies on disk (allocated blocks), binary logs included. */
  diskBytes: number;
}

/** How full a node's disk is. */
export interface DiskStatus {
  totalBytes: number;
  usedBytes: number;
  /**
   * `loop-xfs`: the node's own filesystem of DiskValue GB, a hard limit; `watch`: a plain folder
   * whose size is measured against the DiskValue (only the disk guard keeps it in bounds).
   */
  enforced: 'loop-xfs' | 'watch';
}

/** The node a copy goes to, and the size its volume must have. */
export interface CloneDest {
  nodeId: string;
  diskGb: number;
}

export interface Provisioner {
  readonly kind: string;
  /**
   * How DiskValue is enforced for new nodes: `loop-xfs` (a filesystem of that size per node,
   * grown online) or `watch` (the host allows no loop mounts: usage is measured and the disk
   * guard acts on it). `volumesReason` says why, for logs and operators.
   */
  readonly volumes: 'loop-xfs' | 'watch';
  readonly volumesReason: string;
  /**
   * How CPU and RAM limits are enforced: `cgroup-v1` / `cgroup-v2` (hard CPU quota and memory limit
   * per node), or `advisory` (the host allows neither: only the engine settings follow the spec).
   */
  readonly limitsEnforced: 'cgroup-v1' | 'cgroup-v2' | 'advisory';
  /**
   * Makes the node exist and run with this spec: renders config, initialises the datadir
   * if it is missing or half-made, starts the server if it is not running. Does not wait.
   * Also (re)writes the node's resource limits from the spec: a node that starts gets exactly
   * them; a running node gets the CPU quota and a larger memory limit at once, a smaller memory
   * limit at its next start (docs/engine-config.md "Resource limits"). The data volume is made,
   * mounted, or grown online to `diskGb` (never shrunk).
   * Returns the pid (local) when known.
   */
  ensureRunning(spec: NodeSpec, creds: InternalCredentials): Promise<NodeRuntime>;
  /**
   * Replaces the (stopped) node's datadir with a consistent physical copy of `source` taken
   * while it runs (mariadb-backup), prepared and ready to start. Returns the GTID position of
   * the copy, to seed replication from. Idempotent: a half-made copy is discarded and redone.
   */
  cloneFrom(sourceNodeId: string, source: Target, dest: CloneDest): Promise<{ gtid: string }>;
  /**
   * How full these nodes' disks are: each volume's filesystem, or, for a watched node, the size
   * of its datadir against `limitBytes`. Nodes with no data yet are left out. Cheap: one statfs
   * per mounted node (a watched node's datadir is walked at most once a second).
   */
  diskStatus(nodes: ReadonlyArray<{ nodeId: string; limitBytes: number }>): Promise<Map<string, DiskStatus>>;
  /** Live status of the node, adopting a server that is already running. */
  inspect(nodeId: string): Promise<NodeRuntime>;
  /** Stops the server; graceful first, then forced after timeoutMs. Data stays. */
  stop(nodeId: string, timeoutMs: number): Promise<void>;
  /** Stops the server at once and removes everything the node had. */
  destroy(nodeId: string): Promise<void>;
  /** The last lines of the node's server log, for error messages. */
  logTail(nodeId: string, lines?: number): Promise<string>;
  /** Every node this provisioner knows to be running under its home (for operators and cleanup). */
  listRunning(): Promise<Array<{ nodeId: string; pid: number }>>;
  /**
   * The TCP listeners on the hosts where nodes run, whoever owns them: another openrds home,
   * another program, this home's own nodes (with `owners`, those carry their `nodeId`: it costs a
   * scan of the processes, so only the readiness check asks for it). A node given an address
   * someone else listens on could not take it; a wildcard (WILDCARD_IP) listener takes its port on
   * every address. The allocator and the readiness check read them (src/network/host-addresses.ts).
   */
  listeners(owners?: boolean): Promise<Listener[]>;
  /**
   * Resource usage of the node's server, or undefined when it is not running. Cheap enough to
   * call for every node every few seconds. `diskBytes` may be up to `diskMaxAgeMs` old: measuring
   * it walks the datadir (about 200 files, ~1 ms), so callers choose how fresh they need it.
   */
  usage(nodeId: string, opts?: { diskMaxAgeMs?: number }): Promise<NodeUsage | undefined>;

  // --- backup jobs (docs/backups.md): the backup tools run where the node's data is ---

  /**
   * Runs a backup job next to the running node: the engine's backup command (Engine.backupCommand)
   * writes the backup to its stdout, which goes through `zstd -1 -T2` into `job.dest`. Resolves
   * when both processes succeeded, with the tool's log and the first `headBytes` of the output
   * (decompressed); rejects with BackupJobError otherwise. `dest` may then hold a partial file:
   * the caller discards it. A job of the same id still running (left by a crashed control plane)
   * is ended first, so running a job again after a crash is safe.
   */
  runBackup(job: BackupJob): Promise<BackupJobResult>;
  /**
   * Ends every process of backup job `job.id`, whichever control plane started it (they are found
   * by their command line), and removes the job's private files. Idempotent. `dest` is not removed.
   */
  abortBackup(job: Pick<BackupJob, 'id' | 'dest'>): Promise<void>;
}

export interface BackupJob {
  /** The BackupId: it names the job's processes and private folder. */
  id: string;
  nodeId: string;
  kind: 'physical' | 'logical';
  target: Target;
  /** Logical only: databases to dump; undefined = every user database. */
  databases?: readonly string[];
  /** The node replicates from a primary (HA standby). */
  replica: boolean;
  /** Where the compressed backup goes (BackupStorage.stagingPath). */
  dest: string;
  /** How many decompressed bytes of the start of the output to return (0: none). */
  headBytes: number;
  /** The job is killed, and fails, after this long. */
  timeoutMs: number;
}

export interface BackupJobResult {
  /** The backup tool's log (stderr), its last 256 KiB at most. */
  log: string;
  /** The first `headBytes` of the backup, decompressed. */
  head: string;
}

/** A backup job that did not produce a complete backup. */
export class BackupJobError extends Error {
  /** The destination (or the job's temporary folder) ran out of space: retrying cannot help. */
  readonly noSpace: boolean;
  readonly nonRetryable: boolean;
  constructor(message: string, opts: { noSpace?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'BackupJobError';
    this.noSpace = opts.noSpace ?? false;
    this.nonRetryable = this.noSpace;
  }
}
