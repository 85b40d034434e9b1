/**
 * Rejoining a standby without a full copy: the I/O around the pure decision (decideRejoin in
 * rejoin.ts). One place for both callers (docs/ha.md "Rejoin after a failover"):
 * - the Failover task's `rejoin-old-primary` step, right after the endpoint moved, for the old primary;
 * - RepairStandby's `rejoin` and `wait-replicating` steps, for any standby (and the old primary
 *   when the failover left it: a full copy, or a node that did not come up in time).
 * Each function is idempotent: a step that runs again after a crash of serve redoes it.
 */
import type { Logger } from 'pino';
import type { Fence } from '../cluster/fence.js';
import { adminTarget, replTarget } from '../instances/nodes.js';
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import { parseHaState, withSemiSync } from './ha-state.js';
import { countRejoin, decideRejoin } from './rejoin.js';
import { isReplicating, readReplicaHealth, ReplicationState, type ReplicationHealth } from './replication-health.js';

/** A standby and the primary it must replicate from, as the store has them now. */
export interface RejoinPair {
  svc: Services;
  inst: Instance;
  standby: Node;
  primary: Node;
  log: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the standby's replication until it replicates from the primary (ok) or `waitMs` ran out.
 * Gives up at once on BROKEN, and with `onlyIfMoving` on any state that does not change by
 * itself (not set up, stopped, another source): only CONNECTING (or not answering yet) is waited for.
 */
export async function waitReplicating(p: RejoinPair, waitMs: number, onlyIfMoving = false): Promise<{ ok: boolean; health: ReplicationHealth }> {
  const deadline = Date.now() + waitMs;
  const moving: ReadonlySet<string> = new Set([ReplicationState.CONNECTING, ReplicationState.UNKNOWN]);
  const t = adminTarget(p.svc, p.inst, p.standby);
  for (;;) {
    const h = await readReplicaHealth(p.svc.engine, t, p.primary);
    if (isReplicating(h)) return { ok: true, health: h };
    if (Date.now() > deadline || h.state === ReplicationState.BROKEN || (onlyIfMoving && !moving.has(h.state))) return { ok: false, health: h };
    await sleep(25);
  }
}

export type RejoinOutcome =
  | { kind: 'replicating' }
  | { kind: 'rejoined' }
  | { kind: 'copy'; reason: string };

/**
 * Gather (the standby's replication and GTID state, the primary's), decide (decideRejoin), act:
 * a standby whose state is a subset of the primary's history replicates again with
 * MASTER_USE_GTID=current_pos. `copy`: only a full copy brings it back (the caller rebuilds it,
 * or leaves that to RepairStandby); nothing was changed then, unless the node was pointed at the
 * primary and did not replicate within 5 s. The node must be up (ensureNodeReady).
 */
export async function rejoinStandby(p: RejoinPair, fence: Fence): Promise<RejoinOutcome> {
  const first = await waitReplicating(p, 1500, true);
  if (first.ok) return { kind: 'replicating' };
  const { svc, inst, standby, primary } = p;
  const t = adminTarget(svc, inst, standby);
  const [mine, theirs] = await Promise.all([svc.engine.gtidState(t), svc.engine.gtidState(adminTarget(svc, inst, primary))]);
  const plan = decideRejoin({
    health: first.health,
    node: { binlogPos: mine.binlogPos, currentPos: mine.currentPos },
    primary: { binlogPos: theirs.binlogPos, serverId: primary.server_id },
    promotedAt: parseHaState(inst.ha_state).promotedAt,
  });
  if (plan.kind !== 'rejoin') return plan.kind === 'copy' ? plan : { kind: 'replicating' };
  await fence.assert();
  await svc.engine.startReplication(t, replTarget(svc, inst, primary), 'current_pos');
  const after = await waitReplicating(p, 5000);
  if (!after.ok) return { kind: 'copy', reason: `it did not replicate after rejoining at ${mine.currentPos || 'an empty position'}: ${after.health.state} ${after.health.reason}` };
  p.log.info({ node: standby.id, binlogPos: mine.binlogPos, currentPos: mine.currentPos, primaryPos: theirs.binlogPos }, 'standby rejoined without a copy');
  return { kind: 'rejoined' };
}

/**
 * The standby replicates: semi-sync back ON at the primary (a heartbeat write makes the standby
 * acknowledge, so it switches at once), recorded with the repair's count (HaState.rejoins, once per
 * `taskId`; `fullCopyReason` when it needed a copy) in one store write. Semi-sync that stays off
 * for `semiSyncWaitMs` is logged and left to the HA monitor, which retries it.
 */
export async function completeRejoin(p: RejoinPair, taskId: string, fullCopyReason: string | undefined, fence: Fence, semiSyncWaitMs = 15_000): Promise<void> {
  const { svc, inst, primary } = p;
  const deadline = Date.now() + semiSyncWaitMs;
  let on = false;
  for (;;) {
    await fence.assert();
    on = await svc.engine.enableSemiSync(adminTarget(svc, inst, primary));
    if (on) break;
    if (Date.now() > deadline) {
      p.log.warn(`semi-sync did not come back ON within ${Math.round(semiSyncWaitMs / 1000)} s; the HA monitor reports it`);
      break;
    }
    await sleep(100);
  }
  if (on) p.log.info({ instance: inst.uuid }, 'semi-sync replication is ON: acknowledged commits are on the standby');
  // On the row as it is now (patchHaState): the HA monitor may write its own fields meanwhile.
  await fence.assert();
  const now = svc.clock.now();
  await svc.store.patchHaState(inst.uuid, (cur) => {
    const ha = parseHaState(cur);
    return JSON.stringify(countRejoin(on ? withSemiSync(ha, true, now) : ha, taskId, fullCopyReason));
  });
}
