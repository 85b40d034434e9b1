/**
 * The HA monitor: every `ha.checkIntervalMs` (250 ms) it gathers the state of every idle HA
 * instance (primary process and answers, semi-sync, standby replication, endpoint target),
 * decides with decideHa(), and acts: a Failover task, a RecoverNode task (restart in place),
 * a RepairStandby task, or repointing the endpoint. The standby's replication health is
 * classified once (replication-health.ts) and reported to the ReplicationReporter. See docs/ha.md.
 */
import type { Logger } from 'pino';
import { PeriodicLoop } from '../common/periodic-loop.js';
import { UnchangedCache } from '../common/unchanged-cache.js';
import { addrKey } from '../endpoints/endpoints.js';
import { adminTarget, primaryNode } from '../instances/nodes.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import { TaskConflictError, type Instance } from '../store/store.js';
import { newTaskRow } from '../tasks/new-task.js';
import { decideHa, type HaSnapshot } from './decide-ha.js';
import { parseHaState, withSemiSync } from './ha-state.js';
import { classifyReplica, isFollowing } from './replication-health.js';
import type { ReplicationReporter } from './replication-reporter.js';
import { NO_FENCE, type Fence } from '../cluster/fence.js';
import { HA_MEMORY_LOOP, memoryToStore, parseMemory, restoreMemory, type HaMemory } from './ha-memory.js';

interface Memory extends HaMemory {
  lastWithheld?: string;
  lastEnableAttempt?: number;
  /** What the store holds for this instance (ha-memory.ts), as last written or read. */
  stored?: HaMemory;
}

/**
 * How old the endpoint map the monitor checks may be: reading it is not free (the nftables adapter runs `nft`), and every change
 * openrds makes is in the cached copy at once; only a change made behind its back (a flushed
 * ruleset, a reboot) waits this long to be repaired.
 */
const ENDPOINT_READ_MS = 5000;

/** How often the monitor tries to bring semi-sync back ON when the standby is healthy again. */
const SEMI_SYNC_RETRY_MS = 3000;

export class HaMonitor extends PeriodicLoop {
  private readonly memory = new Map<string, Memory>();
  /** The observations were read from the store since this node took the loop (docs/cluster.md). */
  private restored = false;
  /** The first round since this node took the loop has ended (logged once: takeover measurements read it). */
  private firstRoundLogged = false;
  /** The HA loop's lease (cluster/membership.ts): checked right before a failover or an endpoint move. */
  fence: Fence = NO_FENCE;
  /** This node's member id (cluster/membership.ts): the writer named in the stored observations. */
  memberId = 'local';
  private readonly lists = new UnchangedCache<{ insts: Instance[]; busy: Set<string> }>(['instances', 'tasks']);
  /** `replication`: where standby observations go (DescribeDBInstances, /metrics); none in tests that do not look. */
  constructor(private readonly svc: Services, log: Logger, private readonly replication?: ReplicationReporter) {
    super('HA monitor', log);
  }

  protected intervalMs(): number {
    return this.svc.config.ha.checkIntervalMs;
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.restored = false; // another node may own the loop meanwhile: read its observations when it is ours again
    this.firstRoundLogged = false;
  }

  async runOnce(): Promise<void> {
    const checked = await this.checkAll();
    if (!this.firstRoundLogged) {
      this.firstRoundLogged = true;
      this.log.info({ instances: checked }, 'HA monitor: first round on this node done');
    }
  }

  /** One round; the number of HA instances checked. */
  private async checkAll(): Promise<number> {
    const { store } = this.svc;
    if (!this.restored) {
      this.memory.clear();
      const stored = await store.cluster.loadLoopState(HA_MEMORY_LOOP);
      const seen = new Map(stored.size ? (await store.cluster.listMembers()).map((m) => [m.id, Number(m.heartbeat_at)]) : []);
      for (const [uuid, v] of stored) {
        const m = parseMemory(v);
        this.memory.set(uuid, { ...restoreMemory(m, m.by === undefined ? undefined : seen.get(m.by)), stored: m });
      }
      this.restored = true;
    }
    // Read again only after a store write (UnchangedCache); the nodes' own state is asked every round.
    const { insts, busy } = await this.lists.get(store.backend, async () => {
      const insts = await store.listLiveInstancesOf('ha-primary', InstanceStatus.RUNNING);
      return { insts, busy: insts.length ? await store.busyInstances() : new Set<string>() };
    });
    if (!insts.length) return 0;
    const endpoints = new Map((await this.svc.endpoints.list({ maxAgeMs: ENDPOINT_READ_MS })).map((e) => [addrKey(e.front), addrKey(e.target)]));
    const idle = insts.filter((i) => !busy.has(i.uuid));
    await Promise.all(idle.map((i) => this.check(i, endpoints).catch((err) => {
      this.log.error({ err, instance: i.uuid }, 'HA check failed');
    })));
    return idle.length;
  }

  private async check(inst: Instance, endpoints: Map<string, string>): Promise<void> {
    const { svc } = this;
    const nodes = await svc.store.listNodes(inst.uuid);
    const primary = primaryNode(nodes);
    const standby = nodes.find((n) => n.role === 'standby');
    if (!primary) return;
    const now = svc.clock.now();
    const mem = this.memory.get(inst.uuid) ?? {};
    this.memory.set(inst.uuid, mem);

    const pAlive = (await svc.provisioner.inspect(primary.id)).alive;
    const semi = pAlive ? await svc.engine.semiSyncStatus(adminTarget(svc, inst, primary)).catch(() => undefined) : undefined;
    const pAnswering = semi !== undefined;
    if (pAnswering) mem.silentSince = undefined;
    else mem.silentSince ??= now;

    let sb: HaSnapshot['standby'];
    if (standby) {
      const alive = (await svc.provisioner.inspect(standby.id)).alive;
      const rs = alive ? await svc.engine.replicaStatus(adminTarget(svc, inst, standby)).catch(() => null) : null;
      const health = classifyReplica(rs, primary, alive ? 'the standby did not answer' : 'the standby is not running');
      sb = { nodeId: standby.id, alive, answering: rs !== null, replicating: isFollowing(health) };
      await this.replication?.observe(inst, standby, health).catch((err) => this.log.warn({ err, instance: inst.uuid }, 'could not record the replication state'));
    }
    if (pAnswering && semi) {
      mem.lastGood = { at: now, standbyReplicating: !!sb?.replicating, semiSyncOn: semi.masterOn };
      // Compare with the stored state: tasks (promotions) change it too.
      if (parseHaState(inst.ha_state).semiSync !== semi.masterOn) await this.recordSemiSync(inst, semi.masterOn, mem);
    }
    const endpointOk = endpoints.get(addrKey({ ip: inst.ip, port: inst.port })) === addrKey({ ip: primary.ip, port: primary.port });
    const snapshot: HaSnapshot = {
      now,
      primary: { nodeId: primary.id, alive: pAlive, answering: pAnswering, silentSinceMs: mem.silentSince === undefined ? 0 : now - mem.silentSince },
      standby: sb,
      lastGood: mem.lastGood,
      failovers: parseHaState(inst.ha_state).failovers ?? [],
      endpointOk,
    };
    if (pAnswering && semi && !semi.masterOn && sb?.replicating && now - (mem.lastEnableAttempt ?? 0) > SEMI_SYNC_RETRY_MS) {
      mem.lastEnableAttempt = now;
      const on = await svc.engine.enableSemiSync(adminTarget(svc, inst, primary)).catch(() => false);
      if (on) await this.recordSemiSync(inst, true, mem);
    }
    await this.persist(inst.uuid, mem, now);
    const { action, withheld } = decideHa(snapshot, svc.config.ha);
    if (withheld && withheld !== mem.lastWithheld) this.log.warn({ instance: inst.uuid, reason: withheld }, 'automatic failover withheld');
    mem.lastWithheld = withheld;
    switch (action.kind) {
      case 'none':
        return;
      case 'repoint-endpoint':
        this.log.warn({ instance: inst.uuid, primary: primary.id }, 'endpoint did not point at the primary; repointing');
        await this.fence.assert();
        await svc.endpoints.point({ ip: inst.ip, port: inst.port }, { ip: primary.ip, port: primary.port });
        return;
      case 'failover':
        this.log.error({ instance: inst.uuid, from: action.from, to: action.to, dead: !pAlive }, 'primary failed; failing over to the standby');
        await this.submit(inst, 'Failover', { from: action.from, to: action.to }, InstanceStatus.FAILOVER, `failing over from ${action.from} to ${action.to}`);
        await this.forget(inst.uuid);
        return;
      case 'restart-primary':
        this.log.error({ instance: inst.uuid, node: action.nodeId, why: action.why }, 'primary failed; restarting it in place');
        await this.submit(inst, 'RecoverNode', { nodeIds: [action.nodeId], kill: action.kill }, InstanceStatus.RECOVERING, withheld ?? 'restarting the primary');
        await this.forget(inst.uuid);
        return;
      case 'repair-standby':
        this.log.warn({ instance: inst.uuid, node: action.nodeId }, 'standby down or not replicating; repairing it');
        await this.submit(inst, 'RepairStandby', { nodeId: action.nodeId }, InstanceStatus.REBUILDING, `repairing standby ${action.nodeId}`);
        return;
    }
  }

  /** Writes the observations another owner needs after a takeover, when memoryToStore() says they changed. */
  private async persist(uuid: string, mem: Memory, now: number): Promise<void> {
    const next = memoryToStore(mem.stored, mem, this.memberId);
    if (next === undefined) return;
    await this.svc.store.cluster.saveLoopState(HA_MEMORY_LOOP, uuid, JSON.stringify(next), now);
    mem.stored = next;
  }

  private async forget(uuid: string): Promise<void> {
    this.memory.delete(uuid);
    await this.svc.store.cluster.deleteLoopState(HA_MEMORY_LOOP, uuid);
  }

  private async recordSemiSync(inst: Instance, on: boolean, mem: Memory): Promise<void> {
    // Only these two fields, on the row as it is now: inst.ha_state may be an older copy.
    await this.svc.store.patchHaState(inst.uuid, (cur) => JSON.stringify(withSemiSync(parseHaState(cur), on, this.svc.clock.now())));
    if (on) this.log.info({ instance: inst.uuid }, 'semi-sync replication is ON: acknowledged commits are on the standby');
    else this.log.warn({ instance: inst.uuid }, 'semi-sync replication fell back to ASYNC: acknowledged commits may be missing on the standby; no zero-loss failover until it is back');
  }

  private async submit(inst: Instance, type: string, params: unknown, status: string, detail: string): Promise<void> {
    await this.fence.assert(); // a paused owner that lost the loop must not submit a second failover
    const now = this.svc.clock.now();
    try {
      await this.svc.store.startTask(newTaskRow({ tenantId: inst.tenant_id, instanceUuid: inst.uuid, type, now, params }), {
        status, status_detail: detail, updated_at: now,
      });
      this.svc.kickTasks();
    } catch (e) {
      if (!(e instanceof TaskConflictError)) throw e;
    }
  }
}

