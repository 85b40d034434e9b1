/** DescribeBackups (spec §4.15): the instance's backups, newest first, every field in its documented type. */
import { implement } from '../api/contract-params.js';
import { DescribeBackups } from '../contract/backups.js';
import { backupInstance, presentBackup } from './backup-params.js';

export const describeBackups = implement(DescribeBackups, async ({ svc, tenantId }, a) => {
  const inst = await backupInstance(svc, tenantId, a.InstanceUuid);
  return { data: (await svc.store.backups.list(tenantId, inst.uuid)).map(presentBackup) };
});
