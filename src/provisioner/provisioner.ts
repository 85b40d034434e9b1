/**
 * The Provisioner port: where nodes run. The local adapter runs detached mariadbd processes
 * under the home; a Kubernetes adapter would run StatefulSets behind the same contract.
 * Every method is idempotent: calling it twice, or after a crash half-way, converges.
 */
import type { NodeSpec } from '../engine/engine.js';

export interface NodeRuntime {
  /** Process (or pod) is alive and is this node's server. */
  alive: boolean;
  pid?: number;
}

export interface Provisioner {
  readonly kind: string;
  /**
   * Makes the node exist and run with this spec: renders config, initialises the datadir
   * if it is missing or half-made, starts the server if it is not running. Does not wait.
   * Returns the pid (local) when known.
   */
  ensureRunning(spec: NodeSpec, adminPasswordHash: string): Promise<NodeRuntime>;
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
}
