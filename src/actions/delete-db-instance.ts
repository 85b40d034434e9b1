import { implement } from '../api/contract-params.js';
import { DeleteDBInstance } from '../contract/instances.js';
import { inUse, notFound } from '../api/errors.js';
import { InstanceStatus, canTransition } from '../instances/status.js';
import { TaskConflictError } from '../store/store.js';
import { newTaskRow } from '../tasks/new-task.js';

export const deleteDbInstance = implement(DeleteDBInstance, async ({ svc, tenantId, log }, a) => {
  const uuid = a.InstanceUuid;
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (!canTransition(inst.status, InstanceStatus.DELETING)) {
    throw inUse(`instance ${uuid} is ${inst.status}; it can be deleted once it is RUNNING or ERROR`);
  }
  // A primary goes after its read-only instances: deleting it would leave them replicating from nothing.
  const children = await svc.store.listReadOnlyChildren(uuid);
  if (children.length) {
    throw inUse(`instance ${uuid} still has read-only instances (${children.map((c) => c.uuid).join(', ')}); delete them first`);
  }
  const now = svc.clock.now();
  const task = newTaskRow({ tenantId, instanceUuid: uuid, type: 'DeleteDBInstance', now });
  try {
    await svc.store.startTask(task, { status: InstanceStatus.DELETING, status_detail: '', updated_at: now });
  } catch (e) {
    if (e instanceof TaskConflictError) throw inUse(`instance ${uuid} is busy with another task; retry when its Status is RUNNING`);
    throw e;
  }
  svc.kickTasks();
  log.info({ instance: uuid, taskId: task.id }, 'instance deletion started');
  return { data: {}, taskId: task.id };
});
