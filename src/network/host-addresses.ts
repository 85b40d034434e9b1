/**
 * What the hosts already use outside this home's store, gathered through the ports (so a
 * Kubernetes provisioner answers for its cluster): listeners (Provisioner.listeners) and other
 * owners' endpoint rules (Endpoints.foreign). Two pure decisions read one gathered snapshot:
 * what the allocator must skip (hostUse, then pickFreeIp in network.ts), and whether a node that
 * does not answer has its address taken by someone else (addressTakenBy).
 */
import { ApiError } from '../api/errors.js';
import type { Address } from '../endpoints/endpoints.js';
import { WILDCARD_IP, type Listener } from '../provisioner/provisioner.js';
import type { Services } from '../services.js';

export interface HostSnapshot {
  listeners: readonly Listener[];
  /** Fronts and targets of other homes' endpoint rules. */
  foreign: readonly Address[];
}

/** `owners`: tell this home's nodes' listeners apart (addressTakenBy needs it; the allocator does not). */
export async function gatherHost(svc: Pick<Services, 'provisioner' | 'endpoints'>, owners = false): Promise<HostSnapshot> {
  const [listeners, foreign] = await Promise.all([svc.provisioner.listeners(owners), svc.endpoints.foreign()]);
  return { listeners, foreign };
}

/**
 * Pure: what the allocator must skip for an instance whose nodes listen on `port`. `used` is every
 * address someone listens on (on any port: conservative) or another home's rule names.
 * `wildcard` is a listener on 0.0.0.0/:: at `port` (not one of our nodes, which bind their own
 * address; a snapshot without owners counts it too): then no address can be given, since
 * binding any a.b.c.d:`port` fails while it is there.
 */
export function hostUse(snap: HostSnapshot, port: number): { used: Set<string>; wildcard?: Listener } {
  const used = new Set<string>();
  for (const l of snap.listeners) if (l.ip !== WILDCARD_IP) used.add(l.ip);
  for (const a of snap.foreign) used.add(a.ip);
  const wildcard = snap.listeners.find((l) => l.ip === WILDCARD_IP && l.port === port && l.nodeId === undefined);
  return { used, wildcard };
}

/** The allocation refusal for a wildcard listener (see hostUse); `param` is the parameter that chose the port. */
export function wildcardMessage(param: string, w: Listener): string {
  return `invalid parameter ${param}: no address can be allocated on port ${w.port}: a server outside openrds listens on `
    + `${w.ip}:${w.port} (every address), so no node could bind that port; stop that server (e.g. a system MariaDB/MySQL), `
    + `make it listen on one address, or use another ${param} (another pipe Cidr would not help: the wildcard covers every address)`;
}

/**
 * Pure: why `node`'s address is taken by someone other than the node itself, or undefined when
 * nothing in the snapshot says so (then the node is presumably still starting, e.g. in crash
 * recovery). Taken: another home's endpoint rule names node.ip:port (as front, its DNAT takes our
 * connections; as target, that home sends its clients to us), or a listener on node.ip:port or
 * on the wildcard at that port that is not the node's own server.
 */
export function addressTakenBy(snap: HostSnapshot, node: { id: string; ip: string; port: number }): string | undefined {
  const at = `${node.ip}:${node.port}`;
  if (snap.foreign.some((a) => a.ip === node.ip && a.port === node.port)) {
    return `${at} is taken by an endpoint rule (nftables) of another openrds home on this host`;
  }
  const other = snap.listeners.find((l) => l.port === node.port && (l.ip === node.ip || l.ip === WILDCARD_IP) && l.nodeId !== node.id);
  if (other) {
    const who = other.nodeId ? `node ${other.nodeId} of this home` : 'another program';
    return `${at} is taken by ${who} listening on ${other.ip}:${other.port}`;
  }
  return undefined;
}

/**
 * The address picker of new nodes on `port` in network `cidr`: the provisioner's
 * (Provisioner.planAddresses), told the addresses of other homes' endpoint rules. The pick runs
 * inside the store's transaction (Store.createInstances). InvalidParameter naming `param` when no
 * address can be given on that port at all (wildcardMessage).
 */
export async function planNodeAddresses(
  svc: Pick<Services, 'provisioner' | 'endpoints'>, cidr: string, port: number, param: string,
): Promise<(usedInStore: ReadonlySet<string>) => string | undefined> {
  const foreign = await svc.endpoints.foreign();
  const plan = await svc.provisioner.planAddresses({ cidr, port, alsoTaken: new Set(foreign.map((a) => a.ip)) });
  if (!plan.ok) throw new ApiError('InvalidParameter', wildcardMessage(param, plan.blockedBy));
  return plan.pick;
}
