/**
 * ModifyDBInstanceSpec (spec §4.6): validates the request (src/instances/spec-plan.ts), then starts
 * the ModifyDBInstanceSpec task (src/tasks/definitions/modify-spec.ts). The instance is MODIFYING in
 * the same transaction, before this answers (spec §5).
 */
import { implement } from '../api/contract-params.js';
import { ModifyDBInstanceSpec } from '../contract/instances.js';
import { ApiError, inUse, notFound } from '../api/errors.js';
import { decideSpecChange } from '../instances/spec-plan.js';
import { InstanceStatus, canTransition } from '../instances/status.js';
import { TaskConflictError } from '../store/store.js';
import { MODIFY_SPEC_TASK, type ModifySpecParams } from '../tasks/definitions/modify-spec.js';
import { newTaskRow } from '../tasks/new-task.js';

export const modifyDbInstanceSpec = implement(ModifyDBInstanceSpec, async ({ svc, tenantId, log }, a) => {
  const { InstanceUuid: uuid, PaasGoodsId: paasGoodsId, DiskType: diskType, DiskValue: diskValue } = a;
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  const parent = inst.parent_uuid ? await svc.store.getInstanceAnyTenant(inst.parent_uuid) : undefined;
  const children = inst.parent_uuid ? [] : await svc.store.listReadOnlyChildren(inst.uuid);
  const d = decideSpecChange(svc.config.catalog, inst, { paasGoodsId, diskType, diskValue }, parent, children);
  if (!d.ok) throw new ApiError(d.code, d.code === 'ArgMissing' ? `missing required parameter ${d.param}: ${d.why}` : `invalid parameter ${d.param}: ${d.why}`);

  if (!canTransition(inst.status, InstanceStatus.MODIFYING)) {
    throw inUse(`instance ${uuid} is ${inst.status}; its spec can be changed once it is RUNNING`);
  }
  const now = svc.clock.now();
  const params: ModifySpecParams = d.plan;
  const task = newTaskRow({ tenantId, instanceUuid: uuid, type: MODIFY_SPEC_TASK, now, params });
  try {
    await svc.store.startTask(task, { status: InstanceStatus.MODIFYING, status_detail: '', updated_at: now });
  } catch (e) {
    if (e instanceof TaskConflictError) throw inUse(`instance ${uuid} is busy with another task; retry when its Status is RUNNING`);
    throw e;
  }
  svc.kickTasks();
  log.info({ instance: uuid, taskId: task.id, plan: d.plan }, 'spec change started');
  return { data: {}, taskId: task.id };
});
