/** SDK waiters against a hand-written WaitApi fake: progress, success, ERROR, a resource that disappears, the deadline. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenRDSError } from '../../src/sdk/errors.js';
import { waitForAction, waitForTask, waitUntilDeleted, waitUntilRunning, type WaitApi, type WaitProgress } from '../../src/sdk/waiters.js';

type Answer = object | 'gone';
/** Answers each call with the next scripted answer (the last one repeats). */
function fake(tasks: Answer[], instances: Answer[]): WaitApi & { calls: string[] } {
  const calls: string[] = [];
  const next = (xs: Answer[]) => {
    const a = xs.length > 1 ? xs.shift()! : xs[0]!;
    if (a === 'gone') throw new OpenRDSError('ResourceNotFound', 'not found', { httpStatus: 404 });
    return a;
  };
  return {
    calls,
    async describeTask(p) { calls.push(`task ${p.TaskId}`); return next(tasks) as never; },
    async describeDBInstances(p) { calls.push(`inst ${p.InstanceUuid}`); return [next(instances)] as never; },
  };
}
const T = (Status: string, StepName = '', ErrorMessage = '') => ({ Status, StepName, StepsDone: 1, StepCount: 3, ErrorMessage });
const I = (Status: string, StatusDetail = '') => ({ Status, StatusDetail });
const fast = { intervalMs: 0 };
const failsWith = (code: string, re: RegExp) => (e: unknown) => e instanceof OpenRDSError && e.code === code && re.test(e.message);

test('waitForTask: reports each poll with the step, resolves on FINISH', async () => {
  const seen: WaitProgress[] = [];
  const api = fake([T('NEW'), T('DOING', 'start-nodes'), T('FINISH')], []);
  const t = await waitForTask(api, 't1', { ...fast, onProgress: (p) => seen.push(p) });
  assert.equal(t.Status, 'FINISH');
  assert.deepEqual(seen.map((p) => `${p.status}/${p.step}`), ['NEW/', 'DOING/start-nodes', 'FINISH/']);
  assert.equal(seen[1]!.subject, 'task t1');
});
test('waitForTask: ERROR fails with its message; a task that disappears fails saying so', async () => {
  await assert.rejects(waitForTask(fake([T('DOING'), T('ERROR', '', 'disk full')], []), 't', fast), failsWith('WaitFailed', /task t failed: disk full/));
  await assert.rejects(waitForTask(fake(['gone'], []), 't', fast), failsWith('WaitFailed', /task t no longer exists/));
});
test('waitUntilRunning: resolves on RUNNING; ERROR and a deleted instance fail clearly', async () => {
  assert.equal((await waitUntilRunning(fake([], [I('CREATING'), I('RUNNING')]), 'u', fast)).Status, 'RUNNING');
  await assert.rejects(waitUntilRunning(fake([], [I('ERROR', 'no space')]), 'u', fast), failsWith('WaitFailed', /instance u is in ERROR: no space/));
  await assert.rejects(waitUntilRunning(fake([], [I('CREATING'), 'gone']), 'u', fast), failsWith('WaitFailed', /instance u is gone/));
});
test('waitUntilDeleted: resolves when not found, reporting deleted', async () => {
  const seen: string[] = [];
  await waitUntilDeleted(fake([], [I('DELETING'), 'gone']), 'u', { ...fast, onProgress: (p) => seen.push(p.status) });
  assert.deepEqual(seen, ['DELETING', 'deleted']);
});
test('the deadline fails with WaitTimeout', async () => {
  await assert.rejects(waitForTask(fake([T('DOING')], []), 't', { intervalMs: 5, timeoutMs: 30 }), failsWith('WaitTimeout', /timed out .* task t/));
});
test('waitForAction: task then each created instance; delete: task then gone; backups: the task only', async () => {
  const c = fake([T('FINISH')], [I('RUNNING')]);
  await waitForAction(c, 'instances-running', {}, { TaskId: 't', Data: { InstancesUuid: ['a', 'b'] } }, fast);
  assert.deepEqual(c.calls, ['task t', 'inst a', 'inst b']);
  const d = fake([T('FINISH')], ['gone']);
  await waitForAction(d, 'instance-deleted', { InstanceUuid: 'x' }, { TaskId: 't', Data: {} }, fast);
  assert.deepEqual(d.calls, ['task t', 'inst x']);
  const b = fake([T('FINISH')], ['gone']);
  await waitForAction(b, 'task', { InstanceUuid: 'deleted-instance' }, { TaskId: 't', Data: {} }, fast);
  assert.deepEqual(b.calls, ['task t'], 'a backup of a deleted instance is waited for through its task alone');
});
