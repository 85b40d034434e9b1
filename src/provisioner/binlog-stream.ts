/**
 * The BinlogStreams port: a node's binlog copied, while it is written, into a spool on the archive's
 * storage (docs/recovery.md "Archive"). Two local adapters (`archive.stream`): `files` copies the
 * node's binlog files, which are on this host (binlog-file-streams.ts, the default); `replication`
 * runs `mariadb-binlog --read-from-remote-server --raw --stop-never` detached, a replication client
 * that outlives `serve` (binlog-client-streams.ts). A Kubernetes adapter would run either beside the
 * database Pod, with a volume. The supervising loop (src/archive/archiver.ts) owns what is started.
 *
 * Contracts:
 * - A stream is named by `id`; at most one runs per id. A run never overwrites a file of an
 *   earlier run (each run writes under its own prefix).
 * - `sync` makes everything the stream wrote so far durable before it reports it: the sizes it
 *   returns are bytes on stable storage.
 * - A stream ends by itself when it can no longer follow its source (a lost connection, a binlog
 *   file replaced or truncated under it, a full spool); `inspect` says so and why, within about a
 *   second (an adapter may answer "running" from a check up to 1 s old; after start() or stop() it
 *   answers afresh).
 */
import type { Readable } from 'node:stream';
import type { Target } from '../engine/engine.js';

export interface BinlogStreamSpec {
  id: string;
  /** Run number: each start of the stream writes under a fresh prefix. */
  run: number;
  /** The source node. */
  sourceNode: string;
  /** The replication account on the source node. */
  source: Target;
  /** A replica server id unique among the source's replicas. */
  serverId: number;
  /** The source's binlog file to start at (from its beginning). */
  startFile: string;
}

export interface SpoolFile {
  run: number;
  /** The source's binlog file name. */
  name: string;
  /** Durable bytes (after sync). */
  bytes: number;
}

export interface StreamState {
  running: boolean;
  /** The run that is (or was last) running; undefined when none was seen. */
  run?: number;
  /** The last lines the client logged, when it is not running (why it ended); empty while it runs. */
  log: string;
}

export interface BinlogStreams {
  /** Starts run `spec.run` of the stream; a stream of this id already running that run is kept, another run of it is ended first. */
  start(spec: BinlogStreamSpec): Promise<void>;
  /** Ends the stream of `id`, if any. Its spool stays. */
  stop(id: string): Promise<void>;
  inspect(id: string): Promise<StreamState>;
  /** Makes the spool of `id` durable and lists its files (by run, then name), with their durable sizes. */
  sync(id: string): Promise<SpoolFile[]>;
  /** Bytes [start, end) of a spool file. */
  read(id: string, f: Pick<SpoolFile, 'run' | 'name'>, range: { start: number; end: number }): Readable;
  /** Removes a spool file (once it is archived). Idempotent. */
  remove(id: string, f: Pick<SpoolFile, 'run' | 'name'>): Promise<void>;
  /** Ends the stream and removes its whole spool. Idempotent. */
  destroy(id: string): Promise<void>;
  /**
   * Optional, with coveredAt: a number that changes whenever what `sync` or `inspect` would report
   * for `id` may have changed (bytes written, the run started or ended; a new coveredAt alone does
   * not change it). The supervisor then visits an unchanged stream only when a timer of its own is
   * due, and moves its RightBorderTime from coveredAt without a visit; without it, every round.
   */
  version?(id: string): number;
  /**
   * Optional: the latest time (epoch ms) at which the spool's durable files held every byte of the
   * source's binlog, read from the source's files themselves; undefined while not known (the run
   * ended, or has not looked yet). An adapter without it has the supervisor ask the source's position.
   */
  coveredAt?(id: string): number | undefined;
}
