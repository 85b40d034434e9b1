/** DescribeTask (spec §2.4), on /ccs. A group TaskId (CreateDBInstance with Amount>1) aggregates its tasks. */
import type { ActionDef } from '../api/action.js';
import { ApiError, notFound } from '../api/errors.js';
import type { Task } from '../store/store.js';
import { apiTime } from './present.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function groupStatus(tasks: Pick<Task, 'status'>[]): string {
  if (tasks.some((t) => t.status === 'ERROR')) return 'ERROR';
  if (tasks.every((t) => t.status === 'FINISH')) return 'FINISH';
  if (tasks.some((t) => t.status === 'DOING' || t.status === 'FINISH')) return 'DOING';
  return 'NEW';
}

export const describeTask: ActionDef = {
  name: 'DescribeTask',
  async handler({ svc, tenantId }, p) {
    const id = p.str('TaskId', { required: true, maxLen: 64 });
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
      },
      taskId: id,
    };
  },
};
