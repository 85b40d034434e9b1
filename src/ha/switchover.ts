/**
 * Controlled switchover (rolling restarts, spec changes): the healthy primary hands over to its
 * caught-up standby with no acknowledged write lost and writes paused only for the hand-over.
 *  1. demote the primary (read_only waits for commits in flight; semi-sync master off);
 *  2. wait until the standby applied the primary's last GTID;
 *  3. promote the standby, move the endpoint (old flows are forgotten);
 *  4. the old primary replicates from the new one; read-only instances follow; semi-sync back on.
 * If the standby does not catch up in time, the primary is made writable again and nothing moved.
 * `fence` (the task's, docs/cluster.md): checked right before the demotion, the promotion and the
 * endpoint move, so a node whose task lease was taken over stops before it changes the pair.
 */
import type { Logger } from 'pino';
import { adminTarget, primaryNode, replTarget } from '../instances/nodes.js';
import type { Services } from '../services.js';
import type { Instance } from '../store/store.js';
import { NO_FENCE, type Fence } from '../cluster/fence.js';
import { moveEndpoint, persistRoles, promoteNode, repointReadOnly } from './promotion.js';
import { classifyReplica, isFollowing } from './replication-health.js';

export async function switchover(svc: Services, inst: Instance, log: Logger, fence: Fence = NO_FENCE, catchUpTimeoutS = 30): Promise<{ from: string; to: string }> {
  const nodes = await svc.store.listNodes(inst.uuid);
  const from = primaryNode(nodes);
  const to = nodes.find((n) => n.role === 'standby');
  if (!from || !to) throw new Error('switchover needs a primary and a standby');
  const ft = adminTarget(svc, inst, from);
  const tt = adminTarget(svc, inst, to);
  const rs = await svc.engine.replicaStatus(tt);
  if (!isFollowing(classifyReplica(rs, from))) throw new Error('the standby is not replicating from the primary; no switchover');
  // The standby should be caught up before writes pause: wait for the primary's position first.
  await svc.engine.waitGtid(tt, (await svc.engine.gtidState(ft)).binlogPos, catchUpTimeoutS);
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const mark = (k: string) => { phases[k] = Date.now() - t0; };
  await fence.assert();
  await svc.engine.demote(ft);
  mark('demoted');
  const { binlogPos } = await svc.engine.gtidState(ft);
  if (!(await svc.engine.waitGtid(tt, binlogPos, catchUpTimeoutS))) {
    await svc.engine.setReadOnly(ft, false);
    throw new Error(`the standby did not reach ${binlogPos} within ${catchUpTimeoutS} s; switchover abandoned, the primary is writable again`);
  }
  mark('caughtUp');
  await fence.assert();
  await promoteNode(svc, inst, from, to, log, 'switchover');
  mark('promoted');
  const fresh = (await svc.store.getInstanceAnyTenant(inst.uuid))!;
  await fence.assert();
  await moveEndpoint(svc, fresh, to);
  mark('endpointMoved');
  log.warn({ from: from.id, to: to.id, writesPausedMs: Date.now() - t0, phases }, 'switchover done');
  await persistRoles(svc, fresh, from, to);
  await svc.engine.startReplication(ft, replTarget(svc, fresh, to), 'current_pos');
  await repointReadOnly(svc, fresh, to, log);
  for (let i = 0; i < 25 && !(await svc.engine.enableSemiSync(tt)); i++) await new Promise((r) => setTimeout(r, 200));
  return { from: from.id, to: to.id };
}
