/**
 * Controlled restarts of an instance's nodes (restart-only parameters, docs/parameters.md).
 * One node at a time, the copies (standby, read replicas) before the primary, so a node that
 * does not come back stops the rollout before the primary is touched.
 */
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import { switchover } from '../ha/switchover.js';
import { NO_FENCE, type Fence } from '../cluster/fence.js';
import { adminTarget, ensureNodeReady, primaryNode, topologyOf } from './nodes.js';
import { isReplicating, readReplicaHealth } from '../ha/replication-health.js';

/** Pure: the order in which nodes restart: every non-primary node first (in node order), the primary last. */
export function restartOrder<N extends Pick<Node, 'role'>>(nodes: readonly N[]): N[] {
  return [...nodes.filter((n) => n.role !== 'primary'), ...nodes.filter((n) => n.role === 'primary')];
}

/**
 * Restarts `nodes` one by one in restartOrder(): a clean stop (SIGTERM, forced after
 * engine.stopTimeoutMs), then ensureNodeReady(), which renders the config with the instance's
 * parameters and waits until the node answers. Idempotent: a node that is already down is
 * just started.
 *
 * HA pairs: the standby restarts first and must replicate again; then, instead of stopping the
 * primary, a controlled switchover (src/ha/switchover.ts) hands over to the standby, and the old
 * primary restarts as the new standby. Clients see a short write pause, not an outage. Basic
 * instances restart their one node in place.
 */
export async function restartNodesInOrder(svc: Services, inst: Instance, nodes: readonly Node[], fence: Fence = NO_FENCE): Promise<void> {
  const all = await svc.store.listNodes(inst.uuid);
  const haPair = topologyOf(inst) === 'ha' && all.some((n) => n.role === 'standby');
  for (const n of restartOrder(nodes)) {
    const current = all.find((x) => x.id === n.id) ?? n;
    if (haPair && current.role === 'primary') {
      // HA: hand over to the (already restarted) standby, then restart the old primary as the standby.
      await switchover(svc, inst, svc.log.child({ instance: inst.uuid }), fence);
      const demoted = (await svc.store.listNodes(inst.uuid)).find((x) => x.id === n.id)!;
      await pauseSemiSync(svc, inst);
      await fence.assert();
      await svc.provisioner.stop(demoted.id, svc.config.engine.stopTimeoutMs);
      await ensureNodeReady(svc, inst, demoted);
      await waitReplicating(svc, inst, demoted);
      continue;
    }
    if (haPair) await pauseSemiSync(svc, inst);
    await fence.assert();
    await svc.provisioner.stop(current.id, svc.config.engine.stopTimeoutMs);
    await ensureNodeReady(svc, inst, current);
    if (haPair) await waitReplicating(svc, inst, current);
  }
}

/** Before a planned stop of the standby: commits must not wait for it (waitReplicating turns semi-sync back on). */
async function pauseSemiSync(svc: Services, inst: Instance): Promise<void> {
  const primary = primaryNode(await svc.store.listNodes(inst.uuid));
  if (primary) await svc.engine.disableSemiSync(adminTarget(svc, inst, primary));
}

/**
 * A restarted standby resumes replication by itself; wait until it replicates from the primary
 * of the store (isReplicating: connected, both threads run), then turn semi-sync back on.
 */
export async function waitReplicating(svc: Services, inst: Instance, node: Node): Promise<void> {
  const primary = primaryNode(await svc.store.listNodes(inst.uuid));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const h = await readReplicaHealth(svc.engine, adminTarget(svc, inst, node), primary);
    if (isReplicating(h)) break;
    if (Date.now() > deadline) throw new Error(`node ${node.id} does not replicate after its restart: ${h.state}, ${h.reason}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (primary) await svc.engine.enableSemiSync(adminTarget(svc, inst, primary)).catch(() => false);
}
