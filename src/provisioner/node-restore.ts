/**
 * The NodeRestore port: turning a backup (and archived binlog) back into a node's data, where the
 * node's data lives. The local adapter (local/local-node-restore.ts) runs mbstream, mariadb-backup
 * and the binlog tools on the host; a Kubernetes adapter would run the same steps as a Job next to
 * the node's volume. It speaks of nodes, streams and positions only. docs/recovery.md.
 */
import type { Readable } from 'node:stream';
import type { Target } from '../engine/engine.js';

export interface RestoreDest {
  nodeId: string;
  diskGb: number;
}

/** Where a replay stops: the last transaction it applies, inclusive (a GTID position, one GTID per domain). */
export interface ReplayRequest {
  /** The running node the events are applied to (as the admin: the replay keeps the events' GTIDs). */
  target: Target;
  /** The GTID position the node holds already: events up to it are skipped (exclusive start). */
  startGtid: string;
  /** The last transaction to apply, inclusive. */
  stopGtid: string;
  /** Raw binlog files, in order, each given as a stream (read once). */
  binlogs: ReadonlyArray<() => Readable>;
}

export interface NodeRestore {
  /**
   * Replaces the datadir of the node, which must exist (made by Provisioner.ensureRunning) and be
   * stopped, with the prepared copy of a physical backup (`artifact`: the bytes a physical backup
   * job wrote, xbstream compressed with zstd). Returns the GTID position the backup recorded as
   * its consistent point ('' when it recorded none). Idempotent: a half-made restore is discarded
   * and redone; the node's old datadir is gone once this starts.
   */
  restorePhysical(dest: RestoreDest, artifact: () => Readable): Promise<{ gtid: string }>;
  /**
   * Applies the binlog events after `startGtid` up to and including `stopGtid` to the running
   * node, keeping their GTIDs. Resolves with the bytes read once the client applied every event
   * without an error; rejects otherwise (the node then holds a prefix of the events).
   */
  replay(req: ReplayRequest): Promise<{ bytes: number }>;
}
