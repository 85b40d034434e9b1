/**
 * The one rule for "is this node replicating?" (docs/ha.md "Replication health"). Pure, except
 * readReplicaHealth(), the one way to read a node's replica status and classify it.
 * Every caller — the HA monitor, the read-only follow check, the task steps, switchover, the
 * presenters and /metrics — classifies a replica status snapshot here instead of reading the
 * thread columns itself, and asks one of the predicates below (isFollowing, isReplicating,
 * pointedAt) instead of comparing states or sources itself. A caller that knows which node the
 * replica should replicate from (the HA primary, the parent's primary) passes it as `expected`.
 *
 * Rules, in order (the first that applies wins):
 *  1. The node could not be asked (down, timed out)          → UNKNOWN
 *  2. No replication set up (SHOW SLAVE STATUS is empty)      → NOT_CONFIGURED
 *  3. The SQL thread has an error (Last_SQL_Errno ≠ 0)         → BROKEN
 *  4. The IO thread stopped on an error, or keeps failing with
 *     an error that retrying does not cure (access denied …) → BROKEN
 *  5. A thread is stopped without an error (STOP SLAVE)       → STOPPED
 *  6. It replicates from another node than the expected one   → OTHER_SOURCE
 *  7. The IO thread is (re)connecting: not yet connected, or a
 *     network error it retries every second (2003, 2013, …)  → CONNECTING
 *  8. Both threads run                                         → REPLICATING
 * An IO thread that runs ("Yes") is connected: a Last_IO_Errno left from an earlier reconnect is ignored.
 */
import type { Engine, ReplicaStatus, Target } from '../engine/engine.js';

export const ReplicationState = {
  REPLICATING: 'REPLICATING',
  CONNECTING: 'CONNECTING',
  OTHER_SOURCE: 'OTHER_SOURCE',
  STOPPED: 'STOPPED',
  BROKEN: 'BROKEN',
  NOT_CONFIGURED: 'NOT_CONFIGURED',
  UNKNOWN: 'UNKNOWN',
} as const;
export type ReplicationState = (typeof ReplicationState)[keyof typeof ReplicationState];

/** Client errors of an IO thread that cannot reach its source; it retries them every MASTER_CONNECT_RETRY (1 s). */
export const TRANSIENT_IO_ERRNOS: ReadonlySet<number> = new Set([
  2002, // can't connect through the socket
  2003, // can't connect to the server (refused, unreachable)
  2006, // server has gone away
  2013, // lost connection during a query
]);

export interface ReplicationHealth {
  state: ReplicationState;
  /** Why it is not REPLICATING ('' when it is): the thread error, or what was seen. */
  reason: string;
  /** null when not known (UNKNOWN, NOT_CONFIGURED). */
  ioRunning: boolean | null;
  sqlRunning: boolean | null;
  /** Seconds_Behind_Master; null when MariaDB does not know it (a thread not running, IO not connected). */
  secondsBehind: number | null;
  /** Whether it replicates from the expected source; undefined when no source was given or nothing replicates. */
  pointed?: boolean;
}

/** The node a replica should replicate from (a store Node fits). */
export interface ExpectedSource {
  ip: string;
  port: number;
}

/**
 * Classifies one replica status reading.
 * @param rs `undefined` = the node answered and replicates from nobody; `null` = it could not be asked.
 * @param expected the node it should replicate from (the HA primary); omitted = any source will do.
 * @param whyUnknown for `rs === null`: what went wrong (default "the node could not be asked").
 */
export function classifyReplica(rs: ReplicaStatus | undefined | null, expected?: ExpectedSource, whyUnknown?: string): ReplicationHealth {
  if (rs === null) return { state: ReplicationState.UNKNOWN, reason: whyUnknown || 'the node could not be asked', ioRunning: null, sqlRunning: null, secondsBehind: null };
  if (rs === undefined) return { state: ReplicationState.NOT_CONFIGURED, reason: 'the node replicates from no source', ioRunning: null, sqlRunning: null, secondsBehind: null };
  const io = rs.ioRunning;
  const ioRunning = io === 'Yes';
  const ioTrying = io === 'Connecting' || io === 'Preparing';
  const sqlRunning = rs.sqlRunning === 'Yes';
  const pointed = expected ? rs.masterHost === expected.ip && rs.masterPort === expected.port : undefined;
  const base = { ioRunning, sqlRunning, secondsBehind: sqlRunning && ioRunning ? rs.secondsBehind : null, pointed };
  const ioError = `IO thread error ${rs.lastIoErrno}: ${rs.lastIoError}`;
  if (rs.lastSqlErrno !== 0) return { ...base, state: ReplicationState.BROKEN, reason: `SQL thread error ${rs.lastSqlErrno}: ${rs.lastSqlError}` };
  if (!ioRunning && rs.lastIoErrno !== 0 && !(ioTrying && TRANSIENT_IO_ERRNOS.has(rs.lastIoErrno))) {
    return { ...base, state: ReplicationState.BROKEN, reason: ioError };
  }
  if (!sqlRunning || !(ioRunning || ioTrying)) {
    const stopped = [!(ioRunning || ioTrying) && 'IO', !sqlRunning && 'SQL'].filter(Boolean).join(' and ');
    return { ...base, state: ReplicationState.STOPPED, reason: `the ${stopped} thread${stopped.includes(' and ') ? 's are' : ' is'} stopped` };
  }
  if (expected && !pointed) {
    return { ...base, state: ReplicationState.OTHER_SOURCE, reason: `replicates from ${rs.masterHost}:${rs.masterPort}, not from ${expected.ip}:${expected.port}` };
  }
  if (ioTrying) return { ...base, state: ReplicationState.CONNECTING, reason: rs.lastIoErrno ? ioError : 'the IO thread is connecting to its source' };
  return { ...base, state: ReplicationState.REPLICATING, reason: '' };
}

/**
 * Reads `t`'s replica status and classifies it. A failed read (node down, timeout, refused) is
 * "could not ask" → UNKNOWN with the error as the reason, never "replicates from nobody"
 * (NOT_CONFIGURED): a caller that turned errors into `undefined` would take a node it could not
 * reach for one that was never set up.
 */
export async function readReplicaHealth(
  engine: Pick<Engine, 'replicaStatus'>, t: Target, expected?: ExpectedSource, whyUnknown?: string,
): Promise<ReplicationHealth> {
  let failed = '';
  const rs = await engine.replicaStatus(t).catch((e: unknown) => {
    failed = e instanceof Error ? e.message : String(e);
    return null;
  });
  return classifyReplica(rs, expected, whyUnknown ?? (failed && `the node could not be asked: ${failed}`));
}

/**
 * Following: REPLICATING or CONNECTING. The node applies what its source sends, or its IO thread
 * is (re)connecting after a network blip and will catch up by itself. What the HA monitor calls
 * a healthy standby, what the follow check accepts for a read-only node, what switchover requires
 * before it hands over, and what a task accepts as "replication is set up, do not set it up
 * again". From the expected source only when the health was classified with one (otherwise
 * OTHER_SOURCE cannot occur and any source counts). UNKNOWN is not following: not known.
 */
export function isFollowing(h: ReplicationHealth): boolean {
  return h.state === ReplicationState.REPLICATING || h.state === ReplicationState.CONNECTING;
}

/**
 * Replicating: REPLICATING only — both threads run and the IO thread is connected (to the
 * expected source, when one was given). What a task waits for after it (re)started or restarted
 * a replica (create read-only, repair standby, rolling restarts): CONNECTING right after a start
 * has not yet shown that the source can be reached with these credentials (an access-denied IO
 * thread looks like CONNECTING until its first error), and semi-sync needs a connected standby to
 * acknowledge. A wait gives up early on BROKEN, which retrying does not cure.
 */
export function isReplicating(h: ReplicationHealth): boolean {
  return h.state === ReplicationState.REPLICATING;
}

/**
 * Whether the node is set up to replicate from the expected source, whatever its threads do:
 * true when its configured source is the expected one (REPLICATING, CONNECTING, STOPPED or
 * BROKEN from it); false when it replicates from another node (any thread state) or from none
 * (NOT_CONFIGURED); undefined when that is not known: it could not be asked (UNKNOWN), or it
 * replicates from some node and no source was expected. A resumed step repoints a standby unless
 * this is true (src/instances/resume-nodes.ts); its threads are waited for apart (isReplicating).
 */
export function pointedAt(h: ReplicationHealth): boolean | undefined {
  if (h.state === ReplicationState.UNKNOWN) return undefined;
  if (h.state === ReplicationState.NOT_CONFIGURED) return false;
  return h.pointed;
}
