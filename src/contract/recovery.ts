/** Recovery (spec §4.25–§4.30, docs/recovery.md). */
import { BACKUP_ID } from './backups.js';
import { EMPTY, INSTANCE_UUID } from './common.js';
import { defineAction } from './types.js';

export const StartBatchRollback = defineAction({
  name: 'StartBatchRollback', group: 'recovery', spec: '§4.26', wait: 'instance-running',
  summary: 'restore a finished full physical backup of the instance over it, in place',
  params: { InstanceUuid: INSTANCE_UUID, BackupId: { ...BACKUP_ID, desc: 'a finished physical backup of this instance (DescribeBackups lists them)' } },
  response: EMPTY,
});
