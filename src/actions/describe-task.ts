/** DescribeTask (spec §2.4), on /ccs. A group TaskId (CreateDBInstance with Amount>1) aggregates its tasks. */
import { implement } from '../api/contract-params.js';
import { DescribeTask } from '../contract/monitoring.js';
import { ApiError, notFound } from '../api/errors.js';
import type { Task } from '../store/store.js';
import { TASK_DEFINITIONS } from '../tasks/definitions/index.js';
import { apiTime } from './present.js';

const STEP_NAMES: ReadonlyMap<string, readonly string[]> = new Map(TASK_DEFINITIONS.map((d) => [d.type, d.steps.map((s) => s.name)]));

/**
 * openrds extensions for progress lines (`--wait`, SDK waiters): the step the first unfinished task
 * of the group is at (`''` when all are done), and steps done / total over the group.
 */
export function stepProgress(tasks: Pick<Task, 'type' | 'step' | 'status'>[]) {
  const names = (t: Pick<Task, 'type'>) => STEP_NAMES.get(t.type) ?? [];
  const current = tasks.find((t) => t.status !== 'FINISH' && t.status !== 'ERROR');
  return {
    StepName: current ? names(current)[Number(current.step)] ?? '' : '',
    StepsDone: tasks.reduce((n, t) => n + (t.status === 'FINISH' ? names(t).length : Math.min(Number(t.step), names(t).length)), 0),
    StepCount: tasks.reduce((n, t) => n + names(t).length, 0),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function groupStatus(tasks: Pick<Task, 'status'>[]): string {
  if (tasks.some((t) => t.status === 'ERROR')) return 'ERROR';
  if (tasks.every((t) => t.status === 'FINISH')) return 'FINISH';
  if (tasks.some((t) => t.status === 'DOING' || t.status === 'FINISH')) return 'DOING';
  return 'NEW';
}

export const describeTask = implement(DescribeTask, async ({ svc, tenantId }, a) => {
  const id = a.TaskId;
  if (!UUID.test(id)) throw new ApiError('InvalidTaskID.Malformed', `TaskId ${id} is malformed; TaskIds are UUIDs`);
  const tasks = await svc.store.getTaskGroup(tenantId, id);
  if (tasks.length === 0) throw notFound('task', id);
  const errors = tasks.filter((t) => t.error).map((t) => `${t.instance_uuid}: ${t.error}`);
  return {
    data: {
      Status: groupStatus(tasks),
      ResourceId: tasks[0]!.instance_uuid,
      ResourceIds: tasks.map((t) => t.instance_uuid),
      TaskType: tasks[0]!.type,
      ErrorMessage: errors.join('; '),
      CreateTime: apiTime(tasks[0]!.created_at),
      FinishTime: tasks.every((t) => t.finished_at) ? apiTime(Math.max(...tasks.map((t) => Number(t.finished_at)))) : '',
      ...stepProgress(tasks),
    },
    taskId: id,
  };
});
