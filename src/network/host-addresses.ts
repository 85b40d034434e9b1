/**
 * Gathers the addresses the hosts already use outside this home's store, through the ports
 * (so a Kubernetes provisioner answers for its cluster): listeners (Provisioner.addressesInUse)
 * and other owners' endpoint rules (Endpoints.foreign). The choice itself stays pure:
 * pickFreeIp(cidr, used ∪ these) in network.ts.
 */
import type { Services } from '../services.js';

export async function hostUsedAddresses(svc: Pick<Services, 'provisioner' | 'endpoints'>): Promise<Set<string>> {
  const [listening, foreign] = await Promise.all([svc.provisioner.addressesInUse(), svc.endpoints.foreign()]);
  return new Set([...listening, ...foreign.map((a) => a.ip)]);
}
