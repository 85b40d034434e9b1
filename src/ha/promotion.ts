/**
 * The pieces of a failover or switchover, each idempotent, shared by the Failover task and the
 * controlled switchover of rolling restarts (docs/ha.md).
 */
import type { Logger } from 'pino';
import { adminTarget, refreshNodeConfig, replTarget } from '../instances/nodes.js';
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import { parseHaState } from './ha-state.js';

/**
 * Makes `to` the primary: replication stopped and reset, writes allowed, roles swapped in the
 * store. Failovers are counted for the flap guard; controlled switchovers are not.
 */
export async function promoteNode(svc: Services, inst: Instance, from: Node, to: Node, log: Logger, kind: 'failover' | 'switchover' = 'failover'): Promise<void> {
  if (to.role !== 'primary') {
    const t = adminTarget(svc, inst, to);
    await svc.engine.promote(t);
    const { binlogPos } = await svc.engine.gtidState(t);
    const now = svc.clock.now();
    const ha = parseHaState(inst.ha_state);
    const failovers = kind === 'failover' ? [...(ha.failovers ?? []), now].slice(-20) : ha.failovers;
    // No standby yet: commits are asynchronous until the old primary replicates again.
    await svc.store.swapPrimary(inst.uuid, from.id, to.id, {
      ha_state: JSON.stringify({ ...ha, failovers, switchovers: (ha.switchovers ?? 0) + (kind === 'switchover' ? 1 : 0), promotedAt: binlogPos, withheld: undefined, semiSync: false, semiSyncCheckedAt: now }),
      updated_at: now,
    });
    log.warn({ newPrimary: to.id, promotedAt: binlogPos }, 'standby promoted');
  }
}

/** Persists both new roles in the nodes' configs (no restart). Off the critical path: after the endpoint moved. */
export async function persistRoles(svc: Services, inst: Instance, from: Node, to: Node): Promise<void> {
  await refreshNodeConfig(svc, inst, { ...to, role: 'primary' });
  if ((await svc.provisioner.inspect(from.id)).alive) await refreshNodeConfig(svc, inst, { ...from, role: 'standby' });
}

export async function moveEndpoint(svc: Services, inst: Instance, to: Node): Promise<void> {
  await svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: to.ip, port: to.port });
}

/** Read-only instances replicate from the new primary. Failures are logged; the watchdog retries. */
export async function repointReadOnly(svc: Services, inst: Instance, to: Node, log: Logger): Promise<void> {
  for (const ro of await svc.store.listReadOnlyChildren(inst.uuid)) {
    for (const n of await svc.store.listNodes(ro.uuid)) {
      try {
        await svc.engine.startReplication(adminTarget(svc, ro, n), replTarget(svc, inst, to), 'slave_pos');
      } catch (err) {
        log.warn({ err, readOnly: ro.uuid }, 'could not repoint a read-only instance; the watchdog retries');
      }
    }
  }
}
