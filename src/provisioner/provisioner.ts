/**
 * The Provisioner port: where nodes run. The local adapter runs detached mariadbd processes
 * under the home (src/provisioner/local/); a Kubernetes adapter would run a Pod with a PVC and a
 * Service per node behind the same contract (docs/provisioners.md). The port speaks of nodes,
 * addresses, streams and capabilities only: no process ids, local paths or local mechanisms.
 * Every method is idempotent: calling it twice, or after a crash half-way, converges.
 * Any provisioner must pass test/contract/provisioner-contract.ts.
 */
import type { Readable, Writable } from 'node:stream';
import type { NodeSpec, Target } from '../engine/engine.js';
import type { ProvisionerCapabilities } from './capabilities.js';

export type { ProvisionerCapabilities } from './capabilities.js';

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
  /** The node's server runs (and is this node's server). */
  alive: boolean;
  /**
   * Opaque identity of the server's current run, set when alive: it changes whenever the server
   * (re)starts, and never otherwise, so two equal values mean "the same run" (CPU counters did not
   * start again). Local: the process's id and start time; Kubernetes: the pod UID plus its
   * container restart count. Callers only compare it.
   */
  incarnation?: string;
}

/** What a node's server uses right now (the collector's readings, src/metrics/). */
export interface NodeUsage {
  /** NodeRuntime.incarnation of the run measured: a different value means the server restarted. */
  incarnation: string;
  /** Cumulative CPU time (user + system) of this run of the server, in seconds. */
  cpuSeconds: number;
  /** Resident memory of the server. */
  rssBytes: number;
  /** Bytes the node's data occupies on its disk (allocated blocks), binary logs included. */
  diskBytes: number;
}

/** How full a node's disk is. */
export interface DiskStatus {
  totalBytes: number;
  usedBytes: number;
  /**
   * The node has a disk of its own of `totalBytes` that refuses writes past it (capabilities.disk
   * `hard`); false: usage measured against the DiskValue, only the disk guard keeps it in bounds.
   */
  hardLimit: boolean;
}

/** The node a copy or a restore goes to, and the size its disk must have. */
export interface CloneDest {
  nodeId: string;
  diskGb: number;
}

/**
 * How new nodes of a network get their addresses: the provisioner gathers what is taken outside
 * the store once, and `pick` chooses inside the store's transaction (so two creates never get the
 * same address). `blocked`: no address can be given at all on this port (e.g. a wildcard listener
 * of another program), with the listener that blocks it.
 */
export type AddressPlan =
  | { ok: true; pick(usedInStore: ReadonlySet<string>): string | undefined }
  | { ok: false; blockedBy: Listener };

export interface Provisioner {
  readonly kind: string;
  /** What this provisioner enforces and offers (./capabilities.ts); honest: the contract suite checks it. */
  readonly capabilities: ProvisionerCapabilities;
  /** Version of the engine server new nodes run, e.g. "10.11.19" (local: the installed binary; Kubernetes: the image's). */
  engineVersion(): Promise<string>;
  /**
   * Addresses for new nodes in network `cidr` listening on `port`. `alsoTaken`: addresses that
   * other parts know to be in use (other homes' endpoint rules, Endpoints.foreign). Local: the
   * lowest free address of the config's pipe (src/network/); Kubernetes: a Service clusterIP
   * chosen the same way inside the pipe's part of the service CIDR.
   */
  planAddresses(req: { cidr: string; port: number; alsoTaken: ReadonlySet<string> }): Promise<AddressPlan>;
  /**
   * Makes the node exist and run with this spec: renders config, initialises the data if it is
   * missing or half-made, starts the server if it is not running. Does not wait for readiness.
   * Also (re)applies the node's resource limits from the spec: a node that starts gets exactly
   * them; a running node gets the CPU limit and a larger memory limit at once, a smaller memory
   * limit at its next start (docs/engine-config.md "Resource limits"). The disk is made, attached,
   * or grown online to `diskGb` (never shrunk).
   */
  ensureRunning(spec: NodeSpec, creds: InternalCredentials): Promise<NodeRuntime>;
  /**
   * Replaces the (stopped) node's data with a consistent physical copy of `source` taken while it
   * runs, ready to start. Returns the GTID position of the copy, to seed replication from.
   * Idempotent: a half-made copy is discarded and redone.
   */
  cloneFrom(sourceNodeId: string, source: Target, dest: CloneDest): Promise<{ gtid: string }>;
  /**
   * How full these nodes' disks are. Nodes with no data yet are left out. Cheap: callers ask for
   * every node every few seconds.
   */
  diskStatus(nodes: ReadonlyArray<{ nodeId: string; limitBytes: number }>): Promise<Map<string, DiskStatus>>;
  /** Live status of the node, adopting a server that is already running (one a previous control plane started). */
  inspect(nodeId: string): Promise<NodeRuntime>;
  /** Stops the server; graceful first, then forced after timeoutMs. Data stays. */
  stop(nodeId: string, timeoutMs: number): Promise<void>;
  /**
   * Fencing: the server stops at once, with no chance to write another byte (local: SIGKILL;
   * Kubernetes: delete the pod with grace period 0). Resolves only once it is gone. Data stays.
   * Used wherever a node must never act again before it is rebuilt or restarted on purpose
   * (failover, a copy over it, a recovery of a node that hangs).
   */
  fence(nodeId: string): Promise<void>;
  /** Stops the server at once and removes everything the node had. Idempotent. */
  destroy(nodeId: string): Promise<void>;
  /** The last lines of the node's server log, for error messages. */
  logTail(nodeId: string, lines?: number): Promise<string>;
  /** Every node of this provisioner whose server runs (for operators and cleanup), with its incarnation. */
  listRunning(): Promise<Array<{ nodeId: string; incarnation: string }>>;
  /**
   * The TCP listeners where nodes run, whoever owns them: another openrds home, another program,
   * this home's own nodes (with `owners`, those carry their `nodeId`: it costs more, so only the
   * readiness check asks for it). A node given an address someone else listens on could not take
   * it; a wildcard (WILDCARD_IP) listener takes its port on every address (src/network/host-addresses.ts).
   */
  listeners(owners?: boolean): Promise<Listener[]>;
  /**
   * Resource usage of the node's server, or undefined when it is not running. Cheap enough to
   * call for every node every few seconds. `diskBytes` may be up to `diskMaxAgeMs` old.
   */
  usage(nodeId: string, opts?: { diskMaxAgeMs?: number }): Promise<NodeUsage | undefined>;

  // --- backups (docs/backups.md): the backup tools run where the node's data is ---

  /**
   * Runs a backup job next to the running node and writes the compressed (zstd) backup into
   * `sink` (BackupStorage.openUpload's writable). Resolves once the backup tool reported a
   * complete backup and `sink` has finished (every byte written and ended), with the position the
   * backup is consistent with; rejects with BackupJobError otherwise, leaving `sink` unfinished
   * (the caller aborts the upload). A job of the same id still running (left by a crashed control
   * plane) is ended first, so running a job again after a crash is safe.
   */
  runBackup(job: BackupJob, sink: Writable): Promise<BackupJobResult>;
  /** Ends every part of backup job `jobId`, whichever control plane started it, and removes its private state. Idempotent. */
  abortBackup(jobId: string): Promise<void>;

  // --- restores (docs/recovery.md): a backup, then archived binlog, turned back into a node's data ---

  /**
   * Replaces the (stopped) node's data with a physical backup read from `artifact` (the bytes a
   * physical runBackup wrote, e.g. BackupStorage.read), prepared and ready to start; the disk is
   * made or grown to `dest.diskGb` first. Returns the GTID position the backup recorded as its
   * consistent point ('' when it recorded none). Idempotent like cloneFrom: a half-made restore
   * (even one a killed control plane left running) is ended, discarded and redone; the node's old
   * data is gone once this starts.
   */
  restorePhysical(dest: CloneDest, artifact: () => Readable): Promise<{ gtid: string }>;
  /**
   * Applies to the running node the binlog events after `req.startGtid` up to and including
   * `req.stopGtid`, read from `req.binlogs` (raw binlog files, in order), keeping their GTIDs.
   * Resolves with the bytes read once the client applied every event without an error; rejects
   * otherwise (the node then holds a prefix of the events: the caller restores the base again).
   * A replay into the same node left running by a killed control plane is ended first.
   */
  replayBinlog(req: ReplayRequest): Promise<{ bytes: number }>;
}

/** A binlog replay into a node (Provisioner.replayBinlog): the events in (startGtid, stopGtid]. */
export interface ReplayRequest {
  nodeId: string;
  /** The node's server, as the admin: the replay keeps the events' GTIDs. */
  target: Target;
  /** The GTID position the node holds already: events up to it are skipped (exclusive start). */
  startGtid: string;
  /** The last transaction to apply, inclusive (a GTID position, one GTID per domain). */
  stopGtid: string;
  /** Raw binlog files, in order, each given as a stream (read once). */
  binlogs: ReadonlyArray<() => Readable>;
}

export interface BackupJob {
  /** The BackupId: it names the job everywhere it runs. */
  id: string;
  nodeId: string;
  kind: 'physical' | 'logical';
  target: Target;
  /** Logical only: databases to dump; undefined = every user database. */
  databases?: readonly string[];
  /** The node replicates from a primary (HA standby). */
  replica: boolean;
  /** The job is ended, and fails, after this long. */
  timeoutMs: number;
}

/** The position a backup is consistent with: restoring it gives the source as of this GTID. */
export interface BackupPosition {
  gtid: string;
  binlogFile: string;
  binlogPos: number;
}

export interface BackupJobResult {
  /**
   * Fields the backup tool did not report are '' / 0. A logical dump names its binlog file and
   * position but not its GTID: Engine.gtidAt finds that.
   */
  position: BackupPosition;
}

/** A backup job that did not produce a complete backup. */
export class BackupJobError extends Error {
  /** The destination (or the job's scratch space) ran out of space: retrying cannot help. */
  readonly noSpace: boolean;
  readonly nonRetryable: boolean;
  constructor(message: string, opts: { noSpace?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'BackupJobError';
    this.noSpace = opts.noSpace ?? false;
    this.nonRetryable = this.noSpace;
  }
}
