/**
 * The ModifyDBParameter task (src/tasks/definitions/modify-parameters.ts) run step by step over a
 * real SQLite store and hand-written fakes of the Engine and Provisioner ports: a two-node
 * instance, restart order, idempotent re-runs after a "crash", verification, and the undo after
 * a node that does not start (the fault is injected by the fake provisioner).
 */
import { NO_FENCE } from '../../src/cluster/fence.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Engine, NodeSpec, Target } from '../../src/engine/engine.js';
import { MARIADB_PARAMETERS } from '../../src/engine/mariadb/profile/parameters.js';
import type { InternalCredentials, NodeRuntime, Provisioner } from '../../src/provisioner/provisioner.js';
import type { Services } from '../../src/services.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { modifyParametersTask, type ModifyParametersParams } from '../../src/tasks/definitions/modify-parameters.js';
import { newTaskRow } from '../../src/tasks/new-task.js';
import type { StepContext } from '../../src/tasks/task.js';

const SPEC = { cpu: 1, ramGb: 2, diskType: 'ssd_disk' };

/** One fake server: what its config says, what it runs, and how often it started. */
class FakeNode {
  running = true;
  config: Record<string, string> = {};
  vars: Record<string, string>;
  starts = 0;
  constructor(readonly id: string, readonly ip: string) {
    this.vars = Object.fromEntries(MARIADB_PARAMETERS.list().map((p) => [p.name, MARIADB_PARAMETERS.defaultValue(p.name, SPEC)]));
  }
}

/** The world the fakes share, with the faults a test can switch on. */
class World {
  nodes = new Map<string, FakeNode>();
  stops: string[] = [];
  /** A config with which the server exits at start. */
  failsToStart: (config: Record<string, string>, nodeId: string) => boolean = () => false;
  /** Variables a node silently ignores in SET GLOBAL. */
  ignoreSet = new Set<string>();
  byIp(ip: string): FakeNode {
    const n = [...this.nodes.values()].find((x) => x.ip === ip);
    if (!n) throw new Error(`no node at ${ip}`);
    return n;
  }
}

function fakeProvisioner(w: World): Pick<Provisioner, 'ensureRunning' | 'inspect' | 'stop' | 'logTail'> {
  return {
    async ensureRunning(spec: NodeSpec, _c: InternalCredentials): Promise<NodeRuntime> {
      const n = w.nodes.get(spec.nodeId)!;
      n.config = { ...(spec.overrides ?? {}) };
      if (!n.running && !w.failsToStart(n.config, n.id)) {
        n.running = true;
        n.starts++;
        n.vars = { ...new FakeNode(n.id, n.ip).vars, ...n.config }; // a start reads the config
      }
      return { alive: n.running, incarnation: n.running ? 'run-1' : undefined };
    },
    async inspect(id: string) { return { alive: w.nodes.get(id)!.running }; },
    async stop(id: string) { w.stops.push(id); w.nodes.get(id)!.running = false; },
    async logTail() { return '[ERROR] bad config'; },
  };
}

function fakeEngine(w: World): Pick<Engine, 'parameters' | 'ping' | 'readVariables' | 'setGlobal'> {
  const up = (t: Target) => {
    const n = w.byIp(t.host);
    if (!n.running) throw new Error(`connect ECONNREFUSED ${t.host}`);
    return n;
  };
  return {
    parameters: MARIADB_PARAMETERS,
    async ping(t) { return w.byIp(t.host).running; },
    async readVariables(t, names) {
      const n = up(t);
      return Object.fromEntries(names.filter((x) => x in n.vars).map((x) => [x, n.vars[x]!]));
    },
    async setGlobal(t, name, value) {
      const n = up(t);
      if (MARIADB_PARAMETERS.get(name)?.restart) throw new Error(`Variable '${name}' is a read only variable`);
      if (!w.ignoreSet.has(name)) n.vars[name] = value;
    },
  };
}

interface Fixture { w: World; store: Store; svc: Services; ctx: StepContext<ModifyParametersParams> }

async function fixture(changes: ModifyParametersParams['changes'], stored: Record<string, string> = {}): Promise<Fixture> {
  const w = new World();
  const store = await openSqliteStore(':memory:');
  const now = 1_700_000_000_000;
  // Architecture 0 with two nodes: this fake has no replication, so the plain restart order is
  // what is tested here; the HA hand-over (switchover) is tested for real in test/integration/ha.test.ts.
  await store.db.insertInto('instances').values({
    uuid: 'i1', tenant_id: 't1', name: 'x', region_id: 'r', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 1, architecture: 0, cpu: 1, ram_gb: 2,
    disk_type: 'ssd_disk', disk_gb: 100, ip: '10.0.0.1', port: 3306, time_zone: '+08:00', status: 'MODIFYING_PARAMETERS', status_detail: '',
    version: '10.11', parent_uuid: null, created_at: now, updated_at: now, deleted_at: null,
  }).execute();
  for (const [id, role, ip] of [['n1', 'primary', '10.0.0.1'], ['n2', 'standby', '10.0.0.2']] as const) {
    await store.db.insertInto('nodes').values({ id, instance_uuid: 'i1', role, ip, port: 3306, server_id: 1, desired: 'running', incarnation: null, last_seen_at: null, created_at: now + (id === 'n1' ? 0 : 1) }).execute();
    w.nodes.set(id, new FakeNode(id, ip));
  }
  if (Object.keys(stored).length) {
    await store.parameters.setValues('i1', stored, now);
    for (const n of w.nodes.values()) Object.assign(n.vars, stored);
  }
  const svc = {
    config: { engine: { stopTimeoutMs: 10, readyTimeoutMs: 60_000 }, ha: { semiSyncTimeoutMs: 10_000 } }, store, engine: fakeEngine(w), provisioner: fakeProvisioner(w), masterKey: Buffer.alloc(32),
    clock: { now: () => now + 5000 }, log: pino({ level: 'silent' }), engineVersion: '10.11.0', kickTasks() {},
  } as unknown as Services;
  const task = { ...newTaskRow({ tenantId: 't1', instanceUuid: 'i1', type: 'ModifyDBParameter', now, params: { changes } }) } as any;
  await store.insertTask(task);
  return { w, store, svc, ctx: { task, params: { changes }, state: {}, svc, log: pino({ level: 'silent' }), fence: NO_FENCE } };
}

const step = (name: string) => modifyParametersTask.steps.find((s) => s.name === name)!;

/** Runs every step in order; the first failure goes to onError (as the runner does after its retries). */
async function runAll(f: Fixture): Promise<Error | undefined> {
  for (const s of modifyParametersTask.steps) {
    try {
      await s.run(f.ctx);
    } catch (e) {
      await modifyParametersTask.onError!(f.ctx, e as Error);
      return e as Error;
    }
  }
  return undefined;
}

const historyOf = async (f: Fixture) => Object.fromEntries((await f.store.parameters.historyOfTask(f.ctx.task.id)).map((h) => [h.name, h]));
const statusOf = async (f: Fixture) => (await f.store.getInstanceAnyTenant('i1'))!;

test('dynamic and restart-only together: every node runs the new values, standby restarted before primary, history valid', async () => {
  const f = await fixture([{ name: 'wait_timeout', value: '600' }, { name: 'back_log', value: '120' }]);
  assert.equal(await runAll(f), undefined);
  for (const n of f.w.nodes.values()) {
    assert.equal(n.vars.wait_timeout, '600', n.id);
    assert.equal(n.vars.back_log, '120', n.id);
    assert.deepEqual(n.config, { back_log: '120', wait_timeout: '600' }, `${n.id} config`);
    assert.equal(n.starts, 1, `${n.id} restarted once`);
  }
  assert.deepEqual(f.w.stops, ['n2', 'n1']);
  assert.deepEqual(await f.store.parameters.values('i1'), { back_log: '120', wait_timeout: '600' });
  const h = await historyOf(f);
  assert.deepEqual([h.back_log!.old_value, h.back_log!.new_value, h.back_log!.state, h.back_log!.status_message], ['130', '120', 'valid', '已生效']);
  assert.deepEqual([h.wait_timeout!.old_value, h.wait_timeout!.state, h.wait_timeout!.role], ['28800', 'valid', '用户']);
  assert.equal((await statusOf(f)).status, 'RUNNING');
});

test('dynamic only: no node restarts', async () => {
  const f = await fixture([{ name: 'long_query_time', value: '2' }, { name: 'sql_mode', value: 'STRICT_ALL_TABLES' }]);
  assert.equal(await runAll(f), undefined);
  assert.deepEqual(f.w.stops, []);
  for (const n of f.w.nodes.values()) assert.equal(n.vars.long_query_time, '2');
  assert.ok(Object.values(await historyOf(f)).every((h) => h.state === 'valid'));
});

test('steps repeated after a crash: history recorded once, no second restart, still valid', async () => {
  const f = await fixture([{ name: 'back_log', value: '120' }]);
  for (const s of modifyParametersTask.steps.slice(0, 4)) await s.run(f.ctx);
  // The control plane died after the restart but before saving progress: every step runs again.
  const stopsBefore = f.w.stops.length;
  for (const s of modifyParametersTask.steps) await s.run(f.ctx);
  assert.equal(f.w.stops.length, stopsBefore, 'no node restarted twice');
  const rows = await f.store.parameters.historyOfTask(f.ctx.task.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.old_value, '130', 'the old value of the first run is kept');
  assert.equal(rows[0]!.state, 'valid');
});

test('a crash before verify leaves the change pending, never valid', async () => {
  const f = await fixture([{ name: 'wait_timeout', value: '600' }]);
  for (const s of modifyParametersTask.steps.slice(0, 3)) await s.run(f.ctx);
  const [row] = await f.store.parameters.historyOfTask(f.ctx.task.id);
  assert.deepEqual([row!.state, row!.status_message], ['pending', '修改中']);
});

test('a node that ignores the value: the task fails, the whole change is undone, and the history says where', async () => {
  const f = await fixture([{ name: 'wait_timeout', value: '600' }, { name: 'long_query_time', value: '3' }]);
  f.w.ignoreSet.add('wait_timeout');
  const err = await runAll(f);
  assert.match(err?.message ?? '', /^not in effect after the change: wait_timeout: node n1 runs 28800; node n2 runs 28800$/);
  const h = await historyOf(f);
  assert.equal(h.wait_timeout!.state, 'invalid');
  assert.match(h.wait_timeout!.status_message, /^未生效: not in effect after the change: wait_timeout: node n1 runs 28800; node n2 runs 28800$/);
  // The change that did take effect is undone with the rest: a task is all or nothing.
  assert.equal(h.long_query_time!.state, 'invalid');
  for (const n of f.w.nodes.values()) assert.equal(n.vars.long_query_time, '1', `${n.id} long_query_time set back`);
  assert.deepEqual(await f.store.parameters.values('i1'), {});
  assert.equal((await statusOf(f)).status, 'RUNNING');
});

test('a node that does not start with the new config: everything is undone and recorded as not in effect', async () => {
  const f = await fixture([{ name: 'wait_timeout', value: '600' }, { name: 'back_log', value: '7' }], { wait_timeout: '300' });
  f.w.failsToStart = (cfg) => cfg.back_log === '7';
  const err = await runAll(f);
  assert.match(err?.message ?? '', /exited while starting/);
  // The standby went first and did not come back, so the primary was never touched …
  assert.deepEqual(f.w.stops, ['n2']);
  // … and the undo put the old values back everywhere and started the standby on the old config.
  assert.deepEqual(await f.store.parameters.values('i1'), { wait_timeout: '300' });
  for (const n of f.w.nodes.values()) {
    assert.equal(n.running, true, `${n.id} runs`);
    assert.equal(n.vars.wait_timeout, '300', `${n.id} wait_timeout set back`);
    assert.equal(n.vars.back_log, '130', `${n.id} back_log`);
    assert.deepEqual(n.config, { wait_timeout: '300' }, `${n.id} config`);
  }
  const h = await historyOf(f);
  for (const name of ['wait_timeout', 'back_log']) {
    assert.equal(h[name]!.state, 'invalid', name);
    assert.match(h[name]!.status_message, /^未生效: node n2 exited while starting/, name);
  }
  assert.equal(h.wait_timeout!.old_value, '300');
  const inst = await statusOf(f);
  assert.equal(inst.status, 'RUNNING');
  assert.match(inst.status_detail, /parameter change failed and was undone/);
});

test('the standby restarted with the new value, then the primary failed: the standby is restarted back to the old value', async () => {
  const f = await fixture([{ name: 'back_log', value: '120' }]);
  f.w.failsToStart = (cfg, id) => id === 'n1' && cfg.back_log === '120';
  assert.match((await runAll(f))?.message ?? '', /node n1 exited while starting/);
  for (const n of f.w.nodes.values()) {
    assert.equal(n.running, true, n.id);
    assert.equal(n.vars.back_log, '130', `${n.id} runs the old value`);
    assert.deepEqual(n.config, {}, `${n.id} config`);
  }
  assert.equal(f.w.nodes.get('n2')!.starts, 2, 'the standby went to 120 and back');
  assert.equal((await historyOf(f)).back_log!.state, 'invalid');
  assert.equal((await statusOf(f)).status, 'RUNNING');
});

test('a node that cannot be brought back even on the old config: instance ERROR', async () => {
  const f = await fixture([{ name: 'back_log', value: '7' }]);
  f.w.failsToStart = () => true;
  await runAll(f);
  const inst = await statusOf(f);
  assert.equal(inst.status, 'ERROR');
  assert.match(inst.status_detail, /node n2/);
  assert.deepEqual(await f.store.parameters.values('i1'), {}, 'the value that broke the node is not kept');
});
