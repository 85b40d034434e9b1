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

export interface Provisioner {
  readonly kind: string;
  /**
   * Makes the node exist and run with this spec: renders config, initialises the datadir
   * if it is missing or half-made, starts the server if it is not running. Does not wait.
   * Returns the pid (local) when known.
   */
  ensureRunning(spec: NodeSpec, creds: InternalCredentials): Promise<NodeRuntime>;
  /**
   * Replaces the (stopped) node's datadir with a consistent physical copy of `source` taken
   * while it runs (mariadb-backup), prepared and ready to start. Returns the GTID position of
   * the copy, to seed replication from. Idempotent: a half-made copy is discarded and redone.
   */
  cloneFrom(sourceNodeId: string, source: Target, destNodeId: string): Promise<{ gtid: string }>;
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
   * Resource usage of the node's server, or undefined when it is not running. Cheap enough to
   * call for every node every few seconds. `diskBytes` may be up to `diskMaxAgeMs` old: measuring
   * it walks the datadir (about 200 files, ~1 ms), so callers choose how fresh they need it.
   */
  usage(nodeId: string, opts?: { diskMaxAgeMs?: number }): Promise<NodeUsage | undefined>;
}
