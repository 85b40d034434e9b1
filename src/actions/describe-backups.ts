/** DescribeBackups (spec §4.15): the instance's backups, newest first, every field in its documented type. */
import type { ActionDef } from '../api/action.js';
import { backupInstance, INSTANCE_PARAM, presentBackup } from './backup-params.js';

export const describeBackups: ActionDef = {
  name: 'DescribeBackups',
  async handler({ svc, tenantId }, p) {
    const uuid = p.str('InstanceUuid', INSTANCE_PARAM);
    const inst = await backupInstance(svc, tenantId, uuid);
    return { data: (await svc.store.backups.list(tenantId, inst.uuid)).map(presentBackup) };
  },
};
