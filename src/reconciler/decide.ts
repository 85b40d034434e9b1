/** Pure decisions of the node watchdog: from a snapshot of what should run and what runs, the plan. */
export interface NodeObservation {
  nodeId: string;
  desired: string;
  alive: boolean;
}

export interface InstanceObservation {
  uuid: string;
  tenantId: string;
  status: string;
  hasActiveTask: boolean;
  nodes: NodeObservation[];
}

export type WatchdogAction = { kind: 'recover'; uuid: string; tenantId: string; nodeIds: string[] };

/**
 * An idle RUNNING instance with a node that should run but does not gets one RecoverNode task.
 * Instances busy with a task are left alone: that task owns the nodes until it ends.
 */
export function decideRecoveries(snapshot: InstanceObservation[]): WatchdogAction[] {
  const out: WatchdogAction[] = [];
  for (const i of snapshot) {
    if (i.status !== 'RUNNING' || i.hasActiveTask) continue;
    const dead = i.nodes.filter((n) => n.desired === 'running' && !n.alive).map((n) => n.nodeId);
    if (dead.length) out.push({ kind: 'recover', uuid: i.uuid, tenantId: i.tenantId, nodeIds: dead });
  }
  return out;
}
