/**
 * The task runner's fencing on a real store (both backends): a runner whose task was taken over
 * while a step ran writes no progress, passes no fence, runs no further step and does not finish
 * the task; the new owner finishes it once. Every attempt is in the step log, and the log shows
 * no step on two owners at once when the old owner stops at its fence.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { FencedError } from '../../src/cluster/fence.js';
import type { Services } from '../../src/services.js';
import { overlappingSteps } from '../../src/store/cluster-repo.js';
import type { Store } from '../../src/store/store.js';
import { newTaskRow } from '../../src/tasks/new-task.js';
import { TaskRunner } from '../../src/tasks/runner.js';
import type { StepContext, TaskDefinition } from '../../src/tasks/task.js';
import { STORE_BACKENDS, type FreshStore } from '../support/stores.js';

function services(store: Store, leaseMs: number, concurrency = 4): Services {
  return {
    config: { hostId: 'h1', tasks: { concurrency, leaseMs, stepRetries: 0 } },
    store, clock: { now: () => Date.now() }, log: pino({ level: 'silent' }), kickTasks() {},
  } as unknown as Services;
}

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const backend of STORE_BACKENDS) {
  describe(`task runner fencing on ${backend.name}`, () => {
    let f: FreshStore;
    let store: Store;
    before(async () => {
      f = await backend.fresh();
      store = f.store;
    });
    after(() => store.close());

    test('a taken-over runner stops at its fence, writes nothing, and the task finishes once', async () => {
      const events: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let fencedOnA: unknown;
      const def: TaskDefinition = {
        type: 'FenceTest',
        steps: [
          {
            name: 'slow',
            async run(ctx: StepContext) {
              events.push(`slow:${ctx.task.lease_owner}`);
              if (ctx.task.lease_owner === 'runner-a') {
                await gate; // "SIGSTOP" in the middle of the step
                try {
                  await ctx.fence.assert(); // right before the side effect
                } catch (e) {
                  fencedOnA = e;
                  throw e;
                }
              }
              events.push(`side-effect:${ctx.task.lease_owner}`);
              ctx.state.by = ctx.task.lease_owner;
            },
          },
          { name: 'second', async run(ctx: StepContext) { events.push(`second:${ctx.task.lease_owner}`); } },
        ],
      };
      const task = newTaskRow({ tenantId: 't', instanceUuid: 'rf-1', type: 'FenceTest', now: Date.now() });
      await store.insertTask(task);
      // Runner-a has no free slot while its step hangs (a paused node claims nothing): with one,
      // its own next poll could claim the expired task again before runner-b starts, and the
      // test would wait on the gate forever.
      const a = new TaskRunner(services(store, 60_000, 1), 'runner-a', pino({ level: 'silent' }));
      a.register(def);
      a.start();
      await until(() => events.includes('slow:runner-a'), 'runner-a in the step');
      // Runner-a's lease "runs out" while it is paused; runner-b takes the task over.
      await store.db.updateTable('tasks').set({ lease_until: 0 }).where('id', '=', task.id).execute();
      const b = new TaskRunner(services(store, 60_000), 'runner-b', pino({ level: 'silent' }));
      b.register(def);
      b.start();
      await until(async () => (await store.getTask(task.id))?.status === 'FINISH', 'runner-b finishes the task');
      release(); // "SIGCONT"
      await a.idle();
      await a.stop(100);
      await b.stop(100);
      assert.ok(fencedOnA instanceof FencedError, 'runner-a\'s fence refused it');
      assert.deepEqual(events, ['slow:runner-a', 'slow:runner-b', 'side-effect:runner-b', 'second:runner-b'], 'no side effect and no second step on runner-a');
      const t = (await store.getTask(task.id))!;
      assert.equal(t.status, 'FINISH');
      assert.equal(t.lease_token, 2);
      assert.equal(JSON.parse(t.state).by, 'runner-b', 'progress is runner-b\'s only');
      const steps = await store.cluster.listSteps(task.id);
      assert.deepEqual(steps.map((s) => [s.owner, s.token, s.name, s.outcome]), [
        ['runner-a', 1, 'slow', 'fenced'], ['runner-b', 2, 'slow', 'done'], ['runner-b', 2, 'second', 'done'],
      ]);
      assert.deepEqual(overlappingSteps(steps), [], 'the fenced attempt ends where it last held the lease, before runner-b began');
    });

    test('a lease lost while no fence is asked: the progress write is refused and the task is not finished twice', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const runs: string[] = [];
      const def: TaskDefinition = {
        type: 'ProgressTest',
        steps: [{ name: 'only', async run(ctx: StepContext) { runs.push(String(ctx.task.lease_owner)); if (ctx.task.lease_owner === 'ra') await gate; } }],
      };
      const task = newTaskRow({ tenantId: 't', instanceUuid: 'rf-2', type: 'ProgressTest', now: Date.now() });
      await store.insertTask(task);
      const a = new TaskRunner(services(store, 60_000), 'ra', pino({ level: 'silent' }));
      a.register(def);
      a.start();
      await until(() => runs.includes('ra'), 'ra in the step');
      const taken = await store.db.updateTable('tasks').set({ lease_owner: 'rb', lease_token: 7 }).where('id', '=', task.id).executeTakeFirst();
      assert.equal(Number(taken.numUpdatedRows), 1);
      release();
      await a.idle();
      await a.stop(100);
      const t = (await store.getTask(task.id))!;
      assert.equal(t.status, 'DOING', 'ra could not finish a task it no longer holds');
      assert.equal(t.step, 0, 'nor write its progress');
      assert.equal(t.lease_owner, 'rb');
      assert.equal(overlappingSteps(await store.cluster.listSteps(task.id)).length, 0);
    });
  });
}
