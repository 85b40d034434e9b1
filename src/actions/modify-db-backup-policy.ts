/**
 * ModifyDbBackupPolicy (spec §4.18): the automatic backup schedule of an instance. Sync: the
 * policy is stored and the scheduler (src/backups/scheduler.ts) acts on it. Counting starts now:
 * a slot that already began is not run. Sending the same schedule again changes nothing, so a
 * slot missed while openrds was down is still caught up. docs/backups.md, "Scheduler".
 */
import { implement } from '../api/contract-params.js';
import { ModifyDbBackupPolicy } from '../contract/backups.js';
import { inUse, invalidParam, notFound, unsupported } from '../api/errors.js';
import { slotHour } from '../backups/index.js';
import { InstanceStatus } from '../instances/status.js';

export const modifyDbBackupPolicy = implement(ModifyDbBackupPolicy, async ({ svc, tenantId, log }, a) => {
  const uuid = a.InstanceUuid;
  const timeSlot = a.DataBackups.TimeSlot;
  if (slotHour(timeSlot) === undefined) {
    throw invalidParam('DataBackups.TimeSlot', 'must be a one-hour slot on the hour: 00:00-01:00, 01:00-02:00 … 23:00-24:00');
  }
  const days = a.DataBackups.DateList;
  days.forEach((day, i) => {
    if (days.indexOf(day) !== i) throw invalidParam(`DataBackups.DateList.${i}`, `day ${day} is given twice`);
  });
  const sign = a.DataBackups.Sign;

  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (inst.parent_uuid) throw unsupported(`instance ${uuid} is a read-only instance; set the backup policy of its primary ${inst.parent_uuid}`);
  if (inst.status === InstanceStatus.DELETING) throw inUse(`instance ${uuid} is being deleted`);

  const dateList = [...days].sort().join(',');
  const now = svc.clock.now();
  const old = await svc.store.backups.getPolicy(uuid);
  const changed = !old || old.time_slot !== timeSlot || old.date_list !== dateList || (Number(old.sign) !== 1 && sign === 1);
  await svc.store.backups.setPolicy({
    instance_uuid: uuid, tenant_id: tenantId, time_slot: timeSlot, date_list: dateList, sign,
    last_slot_at: changed ? now : Number(old!.last_slot_at), updated_at: now,
  });
  log.info({ instance: uuid, timeSlot, dateList, sign, changed }, 'backup policy set');
  return { data: {} };
});
