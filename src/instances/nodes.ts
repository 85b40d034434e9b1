/** How an instance's rows map onto engine node specs and admin connections. */
import type { Fence } from '../cluster/fence.js';
import { ADMIN_USER, REPL_USER, type NodeSpec, type Target } from '../engine/engine.js';
import { addressTakenBy, gatherHost } from '../network/host-addresses.js';
import type { InternalCredentials } from '../provisioner/provisioner.js';
import { derivePassword, nativePasswordHash } from '../security/secrets.js';
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import { InstanceStatus } from './status.js';

export function topologyOf(inst: Pick<Instance, 'architecture' | 'parent_uuid'>): NonNullable<NodeSpec['topology']> {
  if (inst.parent_uuid) return 'readonly';
  return Number(inst.architecture) === 1 ? 'ha' : 'none';
}

/**
 * `overrides`: the instance's user parameters (store.parameters.values), rendered into the config.
 * `rejoinTruncation` (config ha.rejoinTruncation): an HA standby starts with the crash recovery
 * that removes unacknowledged transactions (NodeSpec.rejoinAsStandby); the role is the store's,
 * which a failover swaps before the old primary starts again. `archive` (config archive.enabled):
 * binlogs are purged by the archiver once archived, not by time (docs/recovery.md).
 */
export function nodeSpec(inst: Instance, node: Node, overrides: Readonly<Record<string, string>> = {}, semiSyncTimeoutMs?: number, rejoinTruncation = true, archive = false): NodeSpec {
  const topology = topologyOf(inst);
  return {
    // The archive purges archived binlogs of an instance's own nodes; read-only instances are not archived.
    binlogExpireSeconds: archive && !inst.parent_uuid ? 0 : undefined,
    topology,
    semiSyncTimeoutMs,
    rejoinAsStandby: rejoinTruncation && topology === 'ha' && node.role === 'standby' ? true : undefined,
    // The disk guard's hold outlives a restart: the server comes up read-only (the guard lifts it online).
    readOnly: Number(inst.disk_read_only) === 1 ? true : undefined,
    nodeId: node.id,
    serverId: node.server_id,
    ip: node.ip,
    port: node.port,
    cpu: inst.cpu,
    ramGb: inst.ram_gb,
    diskGb: inst.disk_gb,
    diskType: inst.disk_type,
    timeZone: inst.time_zone,
    role: node.role as NodeSpec['role'],
    overrides,
  };
}

export function adminPassword(svc: Pick<Services, 'masterKey'>, inst: Pick<Instance, 'uuid'>): string {
  return derivePassword(svc.masterKey, inst.uuid, 'admin');
}

export function adminHash(svc: Pick<Services, 'masterKey'>, inst: Pick<Instance, 'uuid'>): string {
  return nativePasswordHash(adminPassword(svc, inst));
}

/** The instance's replication account: the same on every node, derived like the admin password. */
export function replTarget(svc: Pick<Services, 'masterKey'>, inst: Pick<Instance, 'uuid'>, source: Pick<Node, 'ip' | 'port'>): Target {
  return { host: source.ip, port: source.port, user: REPL_USER, password: derivePassword(svc.masterKey, inst.uuid, 'repl') };
}

export function internalCredentials(svc: Pick<Services, 'masterKey'>, inst: Pick<Instance, 'uuid'>): InternalCredentials {
  return { adminHash: adminHash(svc, inst), replHash: nativePasswordHash(derivePassword(svc.masterKey, inst.uuid, 'repl')) };
}

export function adminTarget(svc: Pick<Services, 'masterKey'>, inst: Pick<Instance, 'uuid'>, node: Pick<Node, 'ip' | 'port'>): Target {
  return { host: node.ip, port: node.port, user: ADMIN_USER, password: adminPassword(svc, inst) };
}

/**
 * A node whose address someone else takes on the host (addressTakenBy: another home's endpoint
 * rule, another program's listener). Waiting again would not help, so the step fails for good at
 * once (nonRetryable, as the task runner reads it) and the task's compensation shows the reason.
 */
export class NodeNotReadyError extends Error {
  readonly nonRetryable = true;
}

/**
 * Pure: the error for a node still running but silent at the readiness bound, from what was
 * gathered then. An address taken by someone else is final (NodeNotReadyError, the precise
 * reason); otherwise the node is presumably still starting (a long crash recovery…), so it is a
 * plain error the task runner retries (each retry adopts the same process and waits again), with
 * the tail of the node's log to show what it is doing.
 */
export function notReadyError(node: Pick<Node, 'id' | 'ip' | 'port'>, waitedMs: number, takenBy: string | undefined, logTail: string): Error {
  const head = `node ${node.id} runs but does not answer on ${node.ip}:${node.port} after ${Math.round(waitedMs / 1000)} s`;
  if (takenBy) return new NodeNotReadyError(`${head}: ${takenBy}`);
  return new Error(`${head}, and nothing else on the host takes that address (still starting?); its log ends: ${logTail}`);
}

/**
 * Starts (or adopts) a node and waits until it answers as the admin. Idempotent. `timeoutMs`
 * (default engine.readyTimeoutMs) bounds the wait: a node still running but silent then is
 * notReadyError (final only when its address is taken); a node that exited is a plain
 * (retryable) error with its log's last lines.
 */
/** `fence`: the task's lease check (docs/cluster.md), asked right before the node is provisioned or started. */
export async function ensureNodeReady(svc: Services, inst: Instance, node: Node, timeoutMs = svc.config.engine.readyTimeoutMs, fence?: Fence): Promise<void> {
  // The user's parameters go into the config at every (re)start, so they survive restarts and rebuilds.
  const overrides = await svc.store.parameters.values(inst.uuid);
  await fence?.assert();
  const rt = await svc.provisioner.ensureRunning(nodeSpec(inst, node, overrides, svc.config.ha.semiSyncTimeoutMs, svc.config.ha.rejoinTruncation, svc.config.archive?.enabled === true), internalCredentials(svc, inst));
  const target = adminTarget(svc, inst, node);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await svc.engine.ping(target, 1000)) break;
    const now = await svc.provisioner.inspect(node.id);
    if (!now.alive) {
      throw new Error(`node ${node.id} exited while starting: ${await svc.provisioner.logTail(node.id)}`);
    }
    if (Date.now() > deadline) {
      // A snapshot that cannot be gathered proves nothing taken: the retryable answer.
      const [snap, tail] = await Promise.all([gatherHost(svc, true).catch(() => undefined), svc.provisioner.logTail(node.id, 5)]);
      throw notReadyError(node, timeoutMs, snap && addressTakenBy(snap, node), tail);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await svc.store.updateNode(node.id, { incarnation: rt.incarnation ?? null, last_seen_at: svc.clock.now() });
}

/** Re-renders a running node's config (e.g. after a role change) without restarting it. */
export async function refreshNodeConfig(svc: Services, inst: Instance, node: Node): Promise<void> {
  const overrides = await svc.store.parameters.values(inst.uuid);
  await svc.provisioner.ensureRunning(nodeSpec(inst, node, overrides, svc.config.ha.semiSyncTimeoutMs, svc.config.ha.rejoinTruncation, svc.config.archive?.enabled === true), internalCredentials(svc, inst));
}

/**
 * Starts the node if it is down (config rendered from the store's role), without waiting for it
 * to answer: the caller's next step, or the next task, waits (ensureNodeReady adopts it).
 */
export async function startNode(svc: Services, inst: Instance, node: Node): Promise<void> {
  await refreshNodeConfig(svc, inst, node); // ensureRunning: renders the config, starts a node that is down
}

/**
 * A task that made new nodes failed for good: each node's resources are destroyed and the node is
 * left stopped (so the watchdog does not start it again), and the instance is ERROR with `detail`.
 * Shared by the tasks that create an instance's nodes from nothing (create-read-only, restore-to-temporary).
 */
export async function failNewNodes(svc: Services, instanceUuid: string, detail: string): Promise<void> {
  for (const n of await svc.store.listNodes(instanceUuid)) {
    await svc.provisioner.destroy(n.id);
    await svc.store.updateNode(n.id, { desired: 'stopped', incarnation: null });
  }
  await svc.store.updateInstance(instanceUuid, { status: InstanceStatus.ERROR, status_detail: detail.slice(0, 1000), updated_at: svc.clock.now() });
}

export function primaryNode(nodes: Node[]): Node | undefined {
  return nodes.find((n) => n.role === 'primary');
}
