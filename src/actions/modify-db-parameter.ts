/**
 * ModifyDBParameter (spec §4.24): validates every Name and Value against the parameter catalog,
 * then starts the ModifyDBParameter task (src/tasks/definitions/modify-parameters.ts). The
 * instance leaves RUNNING in the same transaction, before this answers (spec §5).
 */
import { implement } from '../api/contract-params.js';
import { ModifyDBParameter } from '../contract/parameters.js';
import { inUse, invalidParam, notFound } from '../api/errors.js';
import { InstanceStatus, canTransition } from '../instances/status.js';
import { TaskConflictError } from '../store/store.js';
import { MODIFY_PARAMETERS_TASK, type ModifyParametersParams } from '../tasks/definitions/modify-parameters.js';
import { newTaskRow } from '../tasks/new-task.js';

export const modifyDbParameter = implement(ModifyDBParameter, async ({ svc, tenantId, log }, a) => {
  const uuid = a.InstanceUuid;
  const items = a.Parameters.map((o, i) => ({ name: o.Name, value: o.Value, i }));
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);

  const catalog = svc.engine.parameters;
  const spec = { cpu: inst.cpu, ramGb: inst.ram_gb, diskType: inst.disk_type };
  const seen = new Set<string>();
  const changes = items.map(({ name, value, i }) => {
    const n = catalog.canonicalName(name);
    const fixed = catalog.protectedReason(n);
    if (fixed) throw invalidParam(`Parameters.${i}.Name`, fixed);
    if (!catalog.get(n)) throw invalidParam(`Parameters.${i}.Name`, `${name} is not a tunable parameter; DescribeDBParameter lists them`);
    if (seen.has(n)) throw invalidParam(`Parameters.${i}.Name`, `${n} is given twice`);
    seen.add(n);
    const r = catalog.check(n, value, spec);
    if (!r.ok) throw invalidParam(`Parameters.${i}.Value`, `${n} ${r.why} (CheckingCode ${catalog.checkingCode(n, spec)})`);
    return { name: n, value: r.value };
  });

  if (!canTransition(inst.status, InstanceStatus.MODIFYING_PARAMETERS)) {
    throw inUse(`instance ${uuid} is ${inst.status}; parameters can be changed once it is RUNNING`);
  }
  const now = svc.clock.now();
  const params: ModifyParametersParams = { changes };
  const task = newTaskRow({ tenantId, instanceUuid: uuid, type: MODIFY_PARAMETERS_TASK, now, params });
  try {
    await svc.store.startTask(task, { status: InstanceStatus.MODIFYING_PARAMETERS, status_detail: '', updated_at: now });
  } catch (e) {
    if (e instanceof TaskConflictError) throw inUse(`instance ${uuid} is busy with another task; retry when its Status is RUNNING`);
    throw e;
  }
  svc.kickTasks();
  log.info({ instance: uuid, taskId: task.id, changes }, 'parameter change started');
  return { data: {}, taskId: task.id, message: 'Parameter configuration is being configured' };
});
