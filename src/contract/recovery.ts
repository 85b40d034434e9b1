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

const TEMPORARY_INSTANCE_UUID = { ...INSTANCE_UUID, desc: 'the temporary instance (DescribeTemporaryDBInstances lists them)' } as const;

export const DescribeRollbackRangeTime = defineAction({
  name: 'DescribeRollbackRangeTime', group: 'recovery', spec: '§4.25', idempotent: true,
  summary: 'the window a point-in-time restore can reach (UTC; empty with a Reason when there is none)',
  params: { InstanceUuid: INSTANCE_UUID },
  response: {
    LeftBorderTime: 'string', RightBorderTime: 'string', Reason: 'string', Timeline: 'number?', ArchiveStatus: 'string', ArchiveDetail: 'string',
    Gaps: [{ Time: 'string', FromGtid: 'string', ToGtid: 'string', Detail: 'string' }],
  },
});

export const StartBatchRollbackToTemporaryDBInstance = defineAction({
  name: 'StartBatchRollbackToTemporaryDBInstance', group: 'recovery', spec: '§4.27', wait: 'task',
  summary: 'a new temporary instance holding exactly the transactions committed at or before SelectTime',
  params: {
    InstanceUuid: INSTANCE_UUID,
    SelectTime: { type: 'string', required: true, maxLen: 32, desc: 'the point to restore to, in UTC (docs/recovery.md)', example: '2026-12-01 10:15:00', range: 'within DescribeRollbackRangeTime' },
    TemporaryInstanceName: { type: 'text', required: true, minLen: 1, maxLen: 64, desc: 'a name for the temporary instance (free text)', example: 'shop-before-drop' },
  },
  response: EMPTY,
});

export const DescribeTemporaryDBInstances = defineAction({
  name: 'DescribeTemporaryDBInstances', group: 'recovery', spec: '§4.28', idempotent: true,
  summary: "the instance's temporary instances not yet regularized",
  params: { InstanceUuid: INSTANCE_UUID },
  response: [{
    TemporaryInstanceUuid: 'string', TemporaryInstanceName: 'string', Status: 'string', StatusStr: 'string', SelectRecoveryTime: 'string',
    CreateTime: 'string', Ip: 'string', Port: 'number', Progress: 'string', StatusDetail: 'string',
  }],
});

export const RegularizeTemporaryDBInstances = defineAction({
  name: 'RegularizeTemporaryDBInstances', group: 'recovery', spec: '§4.29',
  summary: 'make a RUNNING temporary instance a regular one (it keeps its endpoint)',
  params: { InstanceUuid: INSTANCE_UUID, TemporaryInstanceUuid: TEMPORARY_INSTANCE_UUID },
  response: 'unknown',
});

export const DeleteTemporaryDBInstances = defineAction({
  name: 'DeleteTemporaryDBInstances', group: 'recovery', spec: '§4.30', wait: 'task',
  summary: 'delete a temporary instance',
  params: { InstanceUuid: INSTANCE_UUID, TemporaryInstanceUuid: TEMPORARY_INSTANCE_UUID },
  response: EMPTY,
});
