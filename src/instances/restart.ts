/**
 * Controlled restarts of an instance's nodes (restart-only parameters, docs/parameters.md).
 * One node at a time, the copies (standby, read replicas) before the primary, so a node that
 * does not come back stops the rollout before the primary is touched.
 */
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import { ensureNodeReady } from './nodes.js';

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
 * The extension point for HA: before the primary goes down, an HA instance is to switch over
 * to its caught-up standby (and restart the old primary as the new standby), so clients see a
 * switchover instead of an outage. Basic instances restart their one node in place.
 */
export async function restartNodesInOrder(svc: Services, inst: Instance, nodes: readonly Node[]): Promise<void> {
  for (const n of restartOrder(nodes)) {
    await svc.provisioner.stop(n.id, svc.config.engine.stopTimeoutMs);
    await ensureNodeReady(svc, inst, n);
  }
}
