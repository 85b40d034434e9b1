/**
 * At the start of `serve`: every HA instance's endpoint is put back from the store (front →
 * the primary node), making the home's endpoint table again when `openrds halt` removed it, or
 * a reboot or a flushed ruleset did. Idempotent: an endpoint already in force is left as it is.
 * An instance still being created gets it here too (its create task may be past its `endpoint`
 * step); pointing it early is harmless, and a failed create removes it.
 */
import type { Logger } from 'pino';
import { primaryNode } from '../instances/nodes.js';
import type { Services } from '../services.js';

export async function restoreEndpoints(svc: Services, log: Logger): Promise<number> {
  let n = 0;
  for (const inst of await svc.store.listLiveInstancesOf('ha-primary')) {
    const primary = primaryNode(await svc.store.listNodes(inst.uuid));
    if (!primary) continue;
    try {
      await svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: primary.ip, port: primary.port });
      n++;
    } catch (err) {
      log.error({ err, instance: inst.uuid }, 'could not restore the endpoint; the HA monitor retries');
    }
  }
  return n;
}
