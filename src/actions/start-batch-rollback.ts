/**
 * StartBatchRollback (spec §4.26): restores a finished full physical backup of this instance over
 * it in place (src/tasks/definitions/restore-in-place.ts, docs/recovery.md). The instance and its
 * read-only instances are RESTORING in the same transaction as the task, before this answers.
 */
import { implement } from '../api/contract-params.js';
import { inUse, invalidParam, notFound, unsupported } from '../api/errors.js';
import { BackupStatus, BackupType } from '../backups/index.js';
import { InstanceStatus } from '../instances/status.js';
import { TaskConflictError } from '../store/store.js';
import { RESTORE_IN_PLACE_TASK, type RestoreInPlaceParams } from '../tasks/definitions/restore-in-place.js';
import { newTaskRow } from '../tasks/new-task.js';
import { StartBatchRollback } from '../contract/recovery.js';

export const startBatchRollback = implement(StartBatchRollback, async ({ svc, tenantId, log }, a) => {
    const { InstanceUuid: uuid, BackupId: backupId } = a;
    const inst = await svc.store.getInstance(tenantId, uuid);
    if (!inst) throw notFound('instance', uuid);
    if (inst.parent_uuid) throw unsupported(`instance ${uuid} is a read-only instance; restore its primary ${inst.parent_uuid}, which re-seeds it`);
    const b = await svc.store.backups.get(backupId);
    if (!b || b.tenant_id !== tenantId) throw notFound('backup', backupId);
    if (b.instance_uuid !== uuid) throw invalidParam('BackupId', `backup ${backupId} is a backup of instance ${b.instance_uuid}; StartBatchRollback restores only a backup of the instance itself`);
    if (b.type !== BackupType.physical) throw invalidParam('BackupId', `backup ${backupId} is a ${b.type}; only a full physical backup (physical-backup) can be restored in place`);
    if (b.status !== BackupStatus.finished) throw invalidParam('BackupId', `backup ${backupId} is ${b.status}; only a finished backup can be restored`);
    if (inst.status !== InstanceStatus.RUNNING) throw inUse(`instance ${uuid} is ${inst.status}; a restore can start once it is RUNNING`);
    const children = await svc.store.listReadOnlyChildren(uuid);
    const notRunning = children.find((c) => c.status !== InstanceStatus.RUNNING);
    if (notRunning) throw inUse(`read-only instance ${notRunning.uuid} is ${notRunning.status}; a restore re-seeds it, so it must be RUNNING first`);

    const now = svc.clock.now();
    const params: RestoreInPlaceParams = { backupId, readOnly: children.map((c) => c.uuid) };
    const task = newTaskRow({ tenantId, instanceUuid: uuid, type: RESTORE_IN_PLACE_TASK, now, params });
    const restoring = { status: InstanceStatus.RESTORING, status_detail: `restoring backup ${backupId}`, updated_at: now };
    try {
      await svc.store.startTask(task, restoring, { uuids: params.readOnly, fromStatus: InstanceStatus.RUNNING, patch: restoring });
    } catch (e) {
      if (e instanceof TaskConflictError) throw inUse(`instance ${e.instanceUuid} is busy with another task; retry when its Status is RUNNING`);
      throw e;
    }
    svc.kickTasks();
    log.info({ instance: uuid, backup: backupId, readOnly: params.readOnly, taskId: task.id }, 'restore in place started');
    return { data: {}, taskId: task.id };
});
