/**
 * The first thing a task step that stops or switches nodes does (restart-nodes of
 * ModifyDBParameter and ModifyDBInstanceSpec, whose HA path includes the controlled switchover).
 * Such a step may be resumed after the control plane was killed at any point inside it, and its
 * own earlier attempt may have left a node stopped, the old primary demoted, or the pair half
 * switched. ensureNodesInService() puts the instance back into service first — idempotent: "every
 * node runs with the config this step wants, the pair is a pair, then wait for it" — and the step
 * then carries on from what it observes. When nothing was interrupted it only reads.
 *
 * Gather (node processes, read_only, replication source as replication-health.ts pointedAt()
 * says, endpoint target) → decidePairRepair() (pure, unit-tested) → act. docs/state-machines.md
 * "Resuming a step".
 *
 * Instances busy with a task are left alone by the node watchdog and the HA monitor, so a node of
 * such an instance that should run and does not was stopped by the task itself.
 */
import type { Logger } from 'pino';
import { addrKey } from '../endpoints/endpoints.js';
import type { Services } from '../services.js';
import type { Instance, Node } from '../store/store.js';
import { adminTarget, ensureNodeReady, primaryNode, refreshNodeConfig, replTarget, topologyOf } from './nodes.js';
import { waitReplicating } from './restart.js';
import { NO_FENCE, type Fence } from '../cluster/fence.js';
import { pointedAt, readReplicaHealth } from '../ha/replication-health.js';

/** One node of an HA pair as observed (all of them run: stopped ones were started first). */
export interface PairNodeFacts {
  id: string;
  /** Role in the store: the truth a resumed step restores. */
  role: string;
  addr: string;
  /** read_only as the server reports it; undefined when it did not answer. */
  readOnly: boolean | undefined;
  /**
   * Standbys: whether it is set up to replicate from the primary of the store, as
   * replication-health.ts pointedAt() says: false = from another node or from nobody, undefined =
   * it could not be asked. Not used for the primary.
   */
  pointed: boolean | undefined;
}

export interface PairFacts {
  primary: PairNodeFacts;
  standbys: PairNodeFacts[];
  /** Where the instance's endpoint leads now (`ip:port`), undefined when it has none (then it is made). */
  endpointTarget: string | undefined;
  /** The disk guard holds the instance read-only (src/reconciler/disk-guard.ts): the primary stays read-only. */
  diskReadOnly: boolean;
  /** Nodes started or waited for just now (a resumed step had stopped or restarted them). */
  started: readonly string[];
}

export type PairRepair =
  /** A node that is not the primary accepts writes (promoted by an interrupted switchover): read_only ON first. */
  | { kind: 'fence'; nodeId: string }
  /** The endpoint does not lead to the primary. */
  | { kind: 'point-endpoint'; nodeId: string }
  /** The primary was demoted by an interrupted switchover and never handed over. */
  | { kind: 'writable'; nodeId: string }
  /** A standby does not replicate from the primary (an interrupted switchover had not repointed it). */
  | { kind: 'replicate'; nodeId: string }
  /** Wait until this standby replicates, then semi-sync back on (restart.ts waitReplicating). */
  | { kind: 'wait-replicating'; nodeId: string }
  /** Every node's config re-rendered with its role from the store (no restart). */
  | { kind: 'refresh-configs' };

/**
 * Pure: what makes the pair whole again, in this order: no second writer (fence), the endpoint
 * to the primary, the primary writable, every standby replicating from it, configs re-rendered.
 * An empty plan means nothing was interrupted. Only the source of a standby is compared, not its
 * replication health: waiting for that is waitReplicating's, and a standby found healthy-looking
 * but broken is the HA monitor's after the task. A standby that could not be asked (pointed
 * undefined) is repointed too: it answered a ping just before, so it is most likely up; repointing
 * one that is already pointed is harmless, and one that really cannot be reached makes the step
 * fail loudly and retry instead of leaving a standby of unknown source behind.
 */
export function decidePairRepair(f: PairFacts): PairRepair[] {
  const out: PairRepair[] = [];
  for (const s of f.standbys) if (s.readOnly === false) out.push({ kind: 'fence', nodeId: s.id });
  if (f.endpointTarget !== f.primary.addr) out.push({ kind: 'point-endpoint', nodeId: f.primary.id });
  if (f.primary.readOnly === true && !f.diskReadOnly) out.push({ kind: 'writable', nodeId: f.primary.id });
  const repointed = f.standbys.filter((s) => s.pointed !== true);
  for (const s of repointed) out.push({ kind: 'replicate', nodeId: s.id });
  const changedRoles = out.length > 0;
  for (const s of f.standbys) {
    if (repointed.includes(s) || f.started.includes(s.id)) out.push({ kind: 'wait-replicating', nodeId: s.id });
  }
  if (changedRoles) out.push({ kind: 'refresh-configs' });
  return out;
}

/** Starts every node that should run and does not, then (HA) makes the pair whole. Idempotent. */
export async function ensureNodesInService(svc: Services, inst: Instance, log: Logger, fence: Fence = NO_FENCE): Promise<void> {
  const nodes = (await svc.store.listNodes(inst.uuid)).filter((n) => n.desired === 'running');
  const started: string[] = [];
  for (const n of nodes) {
    // Down (stopped by the interrupted attempt), or up but not answering yet (started by it just
    // before the crash, still in crash recovery): start or adopt it, and wait until it answers.
    const alive = (await svc.provisioner.inspect(n.id)).alive;
    if (alive && await svc.engine.ping(adminTarget(svc, inst, n), 1000)) continue;
    log.warn({ node: n.id, alive }, 'resuming: a node that should run does not answer (an interrupted attempt stopped or restarted it); waiting for it');
    await ensureNodeReady(svc, inst, n);
    started.push(n.id);
  }
  if (topologyOf(inst) !== 'ha') return;
  const facts = await gatherPair(svc, inst, nodes, started);
  if (!facts) return;
  const plan = decidePairRepair(facts);
  if (plan.length) log.warn({ plan }, 'resuming: the HA pair was left mid-change; repairing it before the step goes on');
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const primary = byId.get(facts.primary.id)!;
  for (const a of plan) {
    if (a.kind === 'refresh-configs') {
      for (const n of nodes) await refreshNodeConfig(svc, inst, n);
      continue;
    }
    const node = byId.get(a.nodeId)!;
    const t = adminTarget(svc, inst, node);
    await fence.assert(); // each repair changes the pair: only while the task is still this node's
    if (a.kind === 'fence') await svc.engine.setReadOnly(t, true);
    else if (a.kind === 'point-endpoint') await svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: node.ip, port: node.port });
    else if (a.kind === 'writable') await svc.engine.setReadOnly(t, false);
    else if (a.kind === 'replicate') await svc.engine.startReplication(t, replTarget(svc, inst, primary), 'current_pos');
    else await waitReplicating(svc, inst, node);
  }
}

async function gatherPair(svc: Services, inst: Instance, nodes: readonly Node[], started: readonly string[]): Promise<PairFacts | undefined> {
  const primary = primaryNode([...nodes]);
  const standbys = nodes.filter((n) => n.role === 'standby');
  if (!primary || standbys.length === 0) return undefined;
  const facts = async (n: Node): Promise<PairNodeFacts> => {
    const t = adminTarget(svc, inst, n);
    const v = await svc.engine.readVariables(t, ['read_only']).catch(() => undefined);
    const ro = v?.read_only;
    return {
      id: n.id, role: n.role, addr: addrKey(n),
      readOnly: ro === undefined ? undefined : ro === 'ON' || ro === '1',
      pointed: n.id === primary.id ? undefined : pointedAt(await readReplicaHealth(svc.engine, t, primary)),
    };
  };
  const front = addrKey({ ip: inst.ip, port: inst.port });
  const ep = (await svc.endpoints.list()).find((e) => addrKey(e.front) === front);
  return {
    primary: await facts(primary),
    standbys: await Promise.all(standbys.map(facts)),
    endpointTarget: ep ? addrKey(ep.target) : undefined,
    diskReadOnly: Number(inst.disk_read_only) === 1,
    started,
  };
}
