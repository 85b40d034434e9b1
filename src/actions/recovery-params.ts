/** Shared by the recovery actions (spec §4.25–§4.30, docs/recovery.md): lookups and shapes. */
import { invalidParam, notFound, unsupported } from '../api/errors.js';
import type { Services } from '../services.js';
import type { Instance } from '../store/store.js';
import { InstanceStatus, STATUS_STR } from '../instances/status.js';
import { apiTime } from './present.js';
import { TASK_STEP_COUNT } from '../tasks/definitions/index.js';

/** The tenant's regular instance a recovery action is about (not a read-only or temporary one). */
export async function sourceInstance(svc: Services, tenantId: string, uuid: string): Promise<Instance> {
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (inst.parent_uuid) throw unsupported(`instance ${uuid} is a read-only instance; its primary ${inst.parent_uuid} is the one with backups and a binlog archive`);
  if (inst.temp_source_uuid) throw unsupported(`instance ${uuid} is a temporary instance; regularize it first (RegularizeTemporaryDBInstances)`);
  return inst;
}

/** InstanceUuid + TemporaryInstanceUuid: the temporary instance, which must have been restored from that instance. */
export async function temporaryOf(svc: Services, tenantId: string, uuid: string, tempUuid: string): Promise<{ source: Instance; temp: Instance }> {
  const source = await sourceInstance(svc, tenantId, uuid);
  const temp = await svc.store.getInstance(tenantId, tempUuid);
  if (!temp || !temp.temp_source_uuid) throw notFound('temporary instance', tempUuid);
  if (temp.temp_source_uuid !== source.uuid) {
    throw invalidParam('TemporaryInstanceUuid', `temporary instance ${tempUuid} was restored from instance ${temp.temp_source_uuid}, not from ${uuid}`);
  }
  return { source, temp };
}

/** One item of DescribeTemporaryDBInstances (spec §4.28): Port an int (0 until RUNNING), Ip '' until RUNNING. */
export function presentTemporary(i: Instance, progress: number) {
  const running = i.status === InstanceStatus.RUNNING;
  return {
    TemporaryInstanceUuid: i.uuid,
    TemporaryInstanceName: i.name,
    Status: i.status,
    StatusStr: STATUS_STR[i.status as InstanceStatus] ?? i.status,
    SelectRecoveryTime: apiTime(i.recovery_time),
    CreateTime: apiTime(i.created_at),
    Ip: running ? i.ip : '',
    Port: running ? Number(i.port) : 0,
    Progress: String(Math.round(progress)),
    // openrds extension
    StatusDetail: i.status_detail,
  };
}

export async function progressOf(svc: Services, i: Instance): Promise<number> {
  if (i.status === InstanceStatus.RUNNING) return 100;
  const t = await svc.store.activeTask(i.uuid);
  const total = t ? TASK_STEP_COUNT.get(t.type) : undefined;
  return t && total ? (100 * Number(t.step)) / total : 0;
}
