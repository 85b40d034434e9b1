/**
 * DescribeDbBackupPolicy: an openrds extension (the CDS API has no way to read back what
 * ModifyDbBackupPolicy set, spec §4.18). `Data.DataBackups` has exactly the shape and JSON types
 * of ModifyDbBackupPolicy's `DataBackups` parameter, so a client can read, change and send it back;
 * null while no policy was ever set (no automatic backups). docs/backups.md, "Reading the policy".
 */
import { implement } from '../api/contract-params.js';
import { notFound, unsupported } from '../api/errors.js';
import type { BackupPolicy } from '../store/backups-repo.js';
import { DescribeDbBackupPolicy } from '../contract/backups.js';
import { apiTime } from './present.js';

/** A stored policy → the ModifyDbBackupPolicy parameter shape (DateList as strings, Sign an int). */
export function presentPolicy(p: BackupPolicy | undefined) {
  if (!p) return null;
  return {
    TimeSlot: p.time_slot,
    DateList: p.date_list === '' ? [] : p.date_list.split(','),
    Sign: Number(p.sign),
  };
}

export const describeDbBackupPolicy = implement(DescribeDbBackupPolicy, async ({ svc, tenantId }, a) => {
    const uuid = a.InstanceUuid;
    const inst = await svc.store.getInstance(tenantId, uuid);
    if (!inst) throw notFound('instance', uuid);
    if (inst.parent_uuid) throw unsupported(`instance ${uuid} is a read-only instance; its primary ${inst.parent_uuid} has the backup policy`);
    const policy = await svc.store.backups.getPolicy(uuid);
    return {
      data: {
        InstanceUuid: uuid,
        DataBackups: presentPolicy(policy),
        // The slot is in the instance's TimeZone (docs/backups.md "Scheduler").
        TimeZone: inst.time_zone,
        UpdatedTime: policy ? apiTime(Number(policy.updated_at)) : '',
      },
    };
});
