/** DeleteTemporaryDBInstances (spec §4.30): the DeleteDBInstance task for a temporary instance. Async. */
import { implement } from '../api/contract-params.js';
import { DeleteTemporaryDBInstances } from '../contract/recovery.js';
import { inUse } from '../api/errors.js';
import { InstanceStatus, canTransition } from '../instances/status.js';
import { TaskConflictError } from '../store/store.js';
import { newTaskRow } from '../tasks/new-task.js';
import { temporaryOf } from './recovery-params.js';

export const deleteTemporaryDbInstances = implement(DeleteTemporaryDBInstances, async ({ svc, tenantId, log }, a) => {
    const { source, temp } = await temporaryOf(svc, tenantId, a.InstanceUuid, a.TemporaryInstanceUuid);
    if (!canTransition(temp.status, InstanceStatus.DELETING)) {
      throw inUse(`temporary instance ${temp.uuid} is ${temp.status}; it can be deleted once it is RUNNING or ERROR`);
    }
    const now = svc.clock.now();
    const task = newTaskRow({ tenantId, instanceUuid: temp.uuid, type: 'DeleteDBInstance', now });
    try {
      await svc.store.startTask(task, { status: InstanceStatus.DELETING, status_detail: '', updated_at: now });
    } catch (e) {
      if (e instanceof TaskConflictError) throw inUse(`temporary instance ${temp.uuid} is busy with another task`);
      throw e;
    }
    svc.kickTasks();
    log.info({ source: source.uuid, instance: temp.uuid, taskId: task.id }, 'temporary instance deletion started');
    return { data: {}, taskId: task.id };
});
