/**
 * The node watchdog: every interval it gathers the live instances and their processes,
 * decides with decideRecoveries(), and acts by submitting RecoverNode tasks. It also finishes
 * accounts that a crash left in `processing`. It adopts running servers as a side effect of
 * inspecting them, so a restarted control plane takes over without touching them.
 */
import type { Logger } from 'pino';
import { PeriodicLoop } from '../common/periodic-loop.js';
import { applyAccount } from '../accounts/accounts.js';
import { adminTarget, primaryNode, replTarget } from '../instances/nodes.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import { TaskConflictError, type Account, type Instance, type InstanceSummary, type Node } from '../store/store.js';
import { UnchangedCache } from '../common/unchanged-cache.js';
import { newTaskRow } from '../tasks/new-task.js';
import { decideRecoveries, type InstanceObservation } from './decide.js';
import { classifyReplica, isFollowing } from '../ha/replication-health.js';
import type { ReplicationReporter } from '../ha/replication-reporter.js';

/** The store's side of a round, shared by its three parts. */
interface StoreView {
  running: InstanceSummary[];
  nodesByInstance: Map<string, Node[]>;
  busy: Set<string>;
  readOnly: Instance[];
  pendingAccounts: Account[];
}

export class NodeWatchdog extends PeriodicLoop {
  /** `replication`: where read-only observations go (DescribeDBInstances, /metrics). */
  constructor(private readonly svc: Services, log: Logger, private readonly replication?: ReplicationReporter) {
    super('watchdog', log);
  }

  protected intervalMs(): number {
    return this.svc.config.reconciler.intervalMs;
  }

  /**
   * What the store says, read again only after a write (UnchangedCache): an idle host's rounds then
   * cost the process checks alone, not five queries a second.
   */
  private readonly lists = new UnchangedCache<StoreView>(['instances', 'nodes', 'tasks', 'accounts']);

  private view(): Promise<StoreView> {
    const { store } = this.svc;
    return this.lists.get(store.backend, async () => {
      // HA pairs belong to the HA monitor (src/ha/), which may fail over instead of restarting.
      const running = (await store.listInstanceSummaries())
        .filter((i) => i.status === InstanceStatus.RUNNING && !(Number(i.architecture) === 1 && !i.parent_uuid));
      const nodesByInstance = new Map<string, Node[]>();
      for (const n of running.length ? await store.listAllNodes() : []) {
        const list = nodesByInstance.get(n.instance_uuid) ?? [];
        list.push(n);
        nodesByInstance.set(n.instance_uuid, list);
      }
      return {
        running, nodesByInstance,
        busy: await store.busyInstances(),
        readOnly: running.some((i) => i.parent_uuid) ? await store.listLiveInstancesOf('read-only', InstanceStatus.RUNNING) : [],
        pendingAccounts: await store.listAccountsByStatus('processing'),
      };
    });
  }

  async gather(): Promise<InstanceObservation[]> {
    const { store, provisioner } = this.svc;
    const { running, busy, nodesByInstance } = await this.view();
    if (running.length === 0) return [];
    const out: InstanceObservation[] = [];
    for (const inst of running) {
      const obs: InstanceObservation = { uuid: inst.uuid, tenantId: inst.tenant_id, status: inst.status, hasActiveTask: busy.has(inst.uuid), nodes: [] };
      for (const n of nodesByInstance.get(inst.uuid) ?? []) {
        if (n.desired !== 'running') continue;
        const rt = await provisioner.inspect(n.id);
        obs.nodes.push({ nodeId: n.id, desired: n.desired, alive: rt.alive });
        if (rt.alive && rt.incarnation !== n.incarnation) await store.updateNode(n.id, { incarnation: rt.incarnation ?? null });
      }
      out.push(obs);
    }
    return out;
  }

  async runOnce(): Promise<void> {
    const actions = decideRecoveries(await this.gather());
    for (const a of actions) {
      const now = this.svc.clock.now();
      const task = newTaskRow({ tenantId: a.tenantId, instanceUuid: a.uuid, type: 'RecoverNode', now, params: { nodeIds: a.nodeIds } });
      try {
        await this.svc.store.startTask(task, { status: InstanceStatus.RECOVERING, status_detail: `restarting node(s) ${a.nodeIds.join(', ')}`, updated_at: now });
        this.log.warn({ instance: a.uuid, nodes: a.nodeIds, taskId: task.id }, 'node not running; recovering');
        this.svc.kickTasks();
      } catch (e) {
        if (!(e instanceof TaskConflictError)) throw e; // a user task got there first; it owns the nodes
      }
    }
    await this.finishPendingAccounts();
    await this.followPrimaries();
  }

  /** Per read-only instance: when its replication may next be restarted (backoff while it keeps failing). */
  private readonly followRetry = new Map<string, { at: number; delayMs: number }>();

  /**
   * Read-only instances replicate from their primary's current primary node (after a failover
   * too). A replica that keeps failing (an SQL error, say) is restarted with a backoff from 2 s to
   * 60 s instead of every round, and the error is logged.
   */
  private async followPrimaries(): Promise<void> {
    const { store, engine } = this.svc;
    const { busy, readOnly } = await this.view();
    const now = Date.now();
    for (const ro of readOnly.filter((i) => !busy.has(i.uuid))) {
      const parent = await store.getInstanceAnyTenant(ro.parent_uuid!);
      const primary = parent ? primaryNode(await store.listNodes(parent.uuid)) : undefined;
      const node = (await store.listNodes(ro.uuid))[0];
      if (!parent || !primary || !node || busy.has(parent.uuid)) continue;
      try {
        const t = adminTarget(this.svc, ro, node);
        const rs = await engine.replicaStatus(t).catch(() => null);
        const health = classifyReplica(rs, primary, 'the read-only node did not answer');
        await this.replication?.observe(ro, node, health).catch((err) => this.log.warn({ err, instance: ro.uuid }, 'could not record the replication state'));
        if (rs === null) continue; // down or hung: the recovery above restarts it
        if (isFollowing(health)) {
          this.followRetry.delete(ro.uuid);
          continue;
        }
        const pointed = health.pointed === true;
        const retry = this.followRetry.get(ro.uuid);
        if (pointed && retry && now < retry.at) continue; // failing at the right source: back off
        const delayMs = Math.min(60_000, (retry?.delayMs ?? 1000) * 2);
        this.followRetry.set(ro.uuid, { at: now + delayMs, delayMs });
        this.log.warn({ instance: ro.uuid, primary: primary.id, was: rs?.masterHost, state: health.state, reason: health.reason, nextRetryMs: delayMs },
          pointed ? 'read-only instance stopped replicating; restarting replication' : 'read-only instance does not follow the primary; repointing it');
        await engine.startReplication(t, replTarget(this.svc, parent, primary), 'slave_pos');
      } catch (err) {
        this.log.debug({ err, instance: ro.uuid }, 'read-only follow check failed');
      }
    }
  }

  private async finishPendingAccounts(): Promise<void> {
    for (const a of (await this.view()).pendingAccounts) {
      const inst = await this.svc.store.getInstanceAnyTenant(a.instance_uuid);
      if (!inst || inst.status !== InstanceStatus.RUNNING) continue;
      if (a.created_at > this.svc.clock.now() - 30_000) continue; // still being created by its request
      try {
        await applyAccount(this.svc, inst, a);
        this.log.info({ instance: inst.uuid, account: a.name }, 'finished an account left in processing');
      } catch (err) {
        this.log.warn({ err, instance: inst.uuid, account: a.name }, 'could not finish account');
      }
    }
  }
}
