/** Pure decisions and state machines: watchdog recoveries, DescribeTask aggregation, status tables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRecoveries, type InstanceObservation, type NodeObservation, type WatchdogAction } from '../../src/reconciler/decide.js';
import { groupStatus } from '../../src/actions/describe-task.js';
import { canTransition, INSTANCE_TRANSITIONS, InstanceStatus, STATUS_STR } from '../../src/instances/status.js';
import { TASK_TRANSITIONS, TaskStatus } from '../../src/tasks/task.js';

// ---- fluent builders -------------------------------------------------------------------------

class InstanceBuilder {
  private o: InstanceObservation;
  constructor(uuid: string) {
    this.o = { uuid, tenantId: 't1', status: 'RUNNING', hasActiveTask: false, nodes: [] };
  }
  tenant(t: string): this { this.o.tenantId = t; return this; }
  status(s: string): this { this.o.status = s; return this; }
  busy(): this { this.o.hasActiveTask = true; return this; }
  /** A node that should run and does. */
  up(nodeId: string): this { return this.node(nodeId, 'running', true); }
  /** A node that should run and does not. */
  down(nodeId: string): this { return this.node(nodeId, 'running', false); }
  /** A node that is meant to be stopped and is. */
  stopped(nodeId: string): this { return this.node(nodeId, 'stopped', false); }
  node(nodeId: string, desired: string, alive: boolean): this {
    this.o.nodes.push({ nodeId, desired, alive } satisfies NodeObservation);
    return this;
  }
  build(): InstanceObservation { return structuredClone(this.o); }
}
const instance = (uuid: string) => new InstanceBuilder(uuid);
const recover = (uuid: string, nodeIds: string[], tenantId = 't1'): WatchdogAction => ({ kind: 'recover', uuid, tenantId, nodeIds });

// ---- decideRecoveries ------------------------------------------------------------------------

const RECOVERY_CASES: Array<{ name: string; snapshot: InstanceObservation[]; want: WatchdogAction[] }> = [
  { name: 'empty snapshot', snapshot: [], want: [] },
  { name: 'healthy single node', snapshot: [instance('i1').up('n1').build()], want: [] },
  { name: 'healthy pair', snapshot: [instance('i1').up('n1').up('n2').build()], want: [] },
  { name: 'idle RUNNING with dead node is recovered', snapshot: [instance('i1').down('n1').build()], want: [recover('i1', ['n1'])] },
  { name: 'dead standby of a pair', snapshot: [instance('i1').up('n1').down('n2').build()], want: [recover('i1', ['n2'])] },
  { name: 'dead primary of a pair', snapshot: [instance('i1').down('n1').up('n2').build()], want: [recover('i1', ['n1'])] },
  { name: 'both nodes dead: one task for both, in node order', snapshot: [instance('i1').down('n1').down('n2').build()], want: [recover('i1', ['n1', 'n2'])] },
  { name: 'three nodes, two dead', snapshot: [instance('i1').down('n1').up('n2').down('n3').build()], want: [recover('i1', ['n1', 'n3'])] },
  { name: 'busy instance is left to its task', snapshot: [instance('i1').busy().down('n1').build()], want: [] },
  { name: 'busy instance with every node dead', snapshot: [instance('i1').busy().down('n1').down('n2').build()], want: [] },
  { name: 'CREATING is not recovered', snapshot: [instance('i1').status('CREATING').down('n1').build()], want: [] },
  { name: 'RECOVERING is not recovered again', snapshot: [instance('i1').status('RECOVERING').down('n1').build()], want: [] },
  { name: 'DELETING is not recovered', snapshot: [instance('i1').status('DELETING').down('n1').build()], want: [] },
  { name: 'DELETED is not recovered', snapshot: [instance('i1').status('DELETED').down('n1').build()], want: [] },
  { name: 'ERROR is not recovered automatically', snapshot: [instance('i1').status('ERROR').down('n1').build()], want: [] },
  { name: 'status match is exact (lowercase running)', snapshot: [instance('i1').status('running').down('n1').build()], want: [] },
  { name: 'desired stopped and not alive: nothing', snapshot: [instance('i1').stopped('n1').build()], want: [] },
  { name: 'desired stopped next to a healthy node', snapshot: [instance('i1').up('n1').stopped('n2').build()], want: [] },
  { name: 'desired stopped is not recovered with a dead one', snapshot: [instance('i1').stopped('n1').down('n2').build()], want: [recover('i1', ['n2'])] },
  { name: 'desired stopped but alive: not the watchdog\'s job', snapshot: [instance('i1').node('n1', 'stopped', true).build()], want: [] },
  { name: 'unknown desired state is ignored', snapshot: [instance('i1').node('n1', 'deleted', false).build()], want: [] },
  { name: 'instance without nodes', snapshot: [instance('i1').build()], want: [] },
  {
    name: 'several instances: only the idle broken ones, in snapshot order',
    snapshot: [
      instance('i1').up('n1').build(),
      instance('i2').down('n2').build(),
      instance('i3').busy().down('n3').build(),
      instance('i4').status('CREATING').down('n4').build(),
      instance('i5').up('n5a').down('n5b').build(),
    ],
    want: [recover('i2', ['n2']), recover('i5', ['n5b'])],
  },
  {
    name: 'tenant is carried into the action',
    snapshot: [instance('i1').tenant('acme').down('n1').build(), instance('i2').tenant('other').down('n2').build()],
    want: [recover('i1', ['n1'], 'acme'), recover('i2', ['n2'], 'other')],
  },
];

for (const c of RECOVERY_CASES) {
  test(`decideRecoveries: ${c.name}`, () => {
    const before = structuredClone(c.snapshot);
    assert.deepEqual(decideRecoveries(c.snapshot), c.want);
    assert.deepEqual(c.snapshot, before, 'the snapshot must not be modified');
  });
}

// ---- groupStatus (DescribeTask of a task group) -------------------------------------------------

const GROUP_CASES: Array<{ name: string; statuses: string[]; want: string }> = [
  { name: 'single NEW', statuses: ['NEW'], want: 'NEW' },
  { name: 'single DOING', statuses: ['DOING'], want: 'DOING' },
  { name: 'single FINISH', statuses: ['FINISH'], want: 'FINISH' },
  { name: 'single ERROR', statuses: ['ERROR'], want: 'ERROR' },
  { name: 'all NEW', statuses: ['NEW', 'NEW', 'NEW'], want: 'NEW' },
  { name: 'one started', statuses: ['NEW', 'DOING', 'NEW'], want: 'DOING' },
  { name: 'all running', statuses: ['DOING', 'DOING'], want: 'DOING' },
  { name: 'one finished, one not started: in progress', statuses: ['FINISH', 'NEW'], want: 'DOING' },
  { name: 'one finished, one running', statuses: ['FINISH', 'DOING'], want: 'DOING' },
  { name: 'all finished', statuses: ['FINISH', 'FINISH', 'FINISH'], want: 'FINISH' },
  { name: 'one failed among finished', statuses: ['FINISH', 'ERROR', 'FINISH'], want: 'ERROR' },
  { name: 'one failed while others run: ERROR at once', statuses: ['DOING', 'ERROR'], want: 'ERROR' },
  { name: 'one failed while others wait', statuses: ['ERROR', 'NEW'], want: 'ERROR' },
  { name: 'all failed', statuses: ['ERROR', 'ERROR'], want: 'ERROR' },
  { name: 'every status at once', statuses: ['NEW', 'DOING', 'FINISH', 'ERROR'], want: 'ERROR' },
];

const SDK_STATUSES = ['NEW', 'DOING', 'FINISH', 'ERROR'];

for (const c of GROUP_CASES) {
  test(`groupStatus: ${c.name}`, () => {
    const got = groupStatus(c.statuses.map((status) => ({ status })));
    assert.equal(got, c.want);
    assert.ok(SDK_STATUSES.includes(got), 'only the upper-case statuses the SDK knows (spec §2.4)');
  });
}

test('groupStatus does not depend on the order of the tasks', () => {
  for (const c of GROUP_CASES) {
    const reversed = c.statuses.slice().reverse().map((status) => ({ status }));
    assert.equal(groupStatus(reversed), c.want, c.name);
  }
});

// ---- instance status machine ---------------------------------------------------------------------

/** The allowed edges, written out independently of INSTANCE_TRANSITIONS (docs/state-machines.md). */
const INSTANCE_EDGES = new Set([
  'CREATING>RUNNING', 'CREATING>ERROR',
  'RUNNING>DELETING', 'RUNNING>RECOVERING', 'RUNNING>FAILOVER', 'RUNNING>REBUILDING', 'RUNNING>MODIFYING_PARAMETERS', 'RUNNING>MODIFYING', 'RUNNING>RESTORING',
  'RESTORING>RUNNING', 'RESTORING>ERROR',
  'RECOVERING>RUNNING', 'RECOVERING>ERROR',
  'FAILOVER>RUNNING', 'FAILOVER>ERROR',
  'REBUILDING>RUNNING', 'REBUILDING>ERROR',
  'MODIFYING_PARAMETERS>RUNNING', 'MODIFYING_PARAMETERS>ERROR',
  'MODIFYING>RUNNING', 'MODIFYING>ERROR',
  'ERROR>DELETING', 'ERROR>RECOVERING',
  'DELETING>DELETED', 'DELETING>ERROR',
]);
const INSTANCE_STATES = Object.values(InstanceStatus);

test('instance statuses are exactly the documented ones', () => {
  assert.deepEqual(INSTANCE_STATES.slice().sort(), ['CREATING', 'DELETED', 'DELETING', 'ERROR', 'FAILOVER', 'MODIFYING', 'MODIFYING_PARAMETERS', 'REBUILDING', 'RECOVERING', 'RESTORING', 'RUNNING']);
  assert.deepEqual(Object.keys(INSTANCE_TRANSITIONS).sort(), INSTANCE_STATES.slice().sort());
});

for (const from of INSTANCE_STATES) {
  for (const to of INSTANCE_STATES) {
    const want = INSTANCE_EDGES.has(`${from}>${to}`);
    test(`canTransition ${from} → ${to}: ${want ? 'allowed' : 'refused'}`, () => {
      assert.equal(canTransition(from, to), want);
    });
  }
}

const UNKNOWN_FROM = ['', 'running', 'STOPPED', 'toString', 'constructor'];
for (const from of UNKNOWN_FROM) {
  test(`canTransition from unknown status ${JSON.stringify(from)} is refused`, () => {
    for (const to of INSTANCE_STATES) assert.equal(canTransition(from, to), false, `${from} → ${to}`);
  });
}

/** States reachable from `start` over `edges`. */
function reachable<S extends string>(edges: Record<S, readonly S[]>, start: S): Set<S> {
  const seen = new Set<S>([start]);
  const todo = [start];
  while (todo.length) for (const n of edges[todo.pop()!]) if (!seen.has(n)) { seen.add(n); todo.push(n); }
  return seen;
}

const INSTANCE_SANITY: Array<{ name: string; check: () => void }> = [
  { name: 'DELETED is terminal', check: () => assert.deepEqual(INSTANCE_TRANSITIONS.DELETED, []) },
  { name: 'no state goes back to CREATING', check: () => assert.ok(INSTANCE_STATES.every((s) => !canTransition(s, 'CREATING'))) },
  { name: 'no self-transitions', check: () => assert.ok(INSTANCE_STATES.every((s) => !canTransition(s, s))) },
  { name: 'every state is reachable from CREATING', check: () => assert.deepEqual([...reachable(INSTANCE_TRANSITIONS, 'CREATING')].sort(), INSTANCE_STATES.slice().sort()) },
  { name: 'DELETED is reachable from every live state', check: () => assert.ok(INSTANCE_STATES.every((s) => reachable(INSTANCE_TRANSITIONS, s).has('DELETED'))) },
  { name: 'only DELETED is terminal', check: () => assert.deepEqual(INSTANCE_STATES.filter((s) => INSTANCE_TRANSITIONS[s].length === 0), ['DELETED']) },
  { name: 'targets are known states without duplicates', check: () => {
    for (const s of INSTANCE_STATES) {
      const t = INSTANCE_TRANSITIONS[s];
      assert.equal(new Set(t).size, t.length, s);
      assert.ok(t.every((x) => INSTANCE_STATES.includes(x)), s);
    }
  } },
  { name: 'STATUS_STR labels every state; RUNNING is 运行中 (spec §3)', check: () => {
    assert.deepEqual(Object.keys(STATUS_STR).sort(), INSTANCE_STATES.slice().sort());
    assert.equal(STATUS_STR.RUNNING, '运行中');
    assert.equal(STATUS_STR.CREATING, '创建中');
  } },
];

for (const c of INSTANCE_SANITY) test(`instance state machine: ${c.name}`, c.check);

// ---- task status machine -------------------------------------------------------------------------

const TASK_STATES = Object.values(TaskStatus);
const TASK_EDGES = new Set(['NEW>DOING', 'DOING>DOING', 'DOING>FINISH', 'DOING>ERROR']);

for (const from of TASK_STATES) {
  for (const to of TASK_STATES) {
    const want = TASK_EDGES.has(`${from}>${to}`);
    test(`TASK_TRANSITIONS ${from} → ${to}: ${want ? 'allowed' : 'refused'}`, () => {
      assert.equal(TASK_TRANSITIONS[from].includes(to), want);
    });
  }
}

const TASK_SANITY: Array<{ name: string; check: () => void }> = [
  { name: 'statuses are the DescribeTask ones of spec §2.4', check: () => assert.deepEqual(TASK_STATES.slice().sort(), SDK_STATUSES.slice().sort()) },
  { name: 'the table has a row per status', check: () => assert.deepEqual(Object.keys(TASK_TRANSITIONS).sort(), TASK_STATES.slice().sort()) },
  { name: 'FINISH and ERROR are terminal', check: () => assert.deepEqual(TASK_STATES.filter((s) => TASK_TRANSITIONS[s].length === 0).sort(), ['ERROR', 'FINISH']) },
  { name: 'nothing returns to NEW', check: () => assert.ok(TASK_STATES.every((s) => !TASK_TRANSITIONS[s].includes('NEW'))) },
  { name: 'every status is reachable from NEW', check: () => assert.deepEqual([...reachable(TASK_TRANSITIONS, 'NEW')].sort(), TASK_STATES.slice().sort()) },
  { name: 'every non-terminal status can end', check: () => {
    for (const s of TASK_STATES) {
      const r = reachable(TASK_TRANSITIONS, s);
      assert.ok(r.has('FINISH') || TASK_TRANSITIONS[s].length === 0, s);
    }
  } },
];

for (const c of TASK_SANITY) test(`task state machine: ${c.name}`, c.check);
