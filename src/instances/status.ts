/**
 * Instance status: one state machine, described in docs/state-machines.md.
 * `RUNNING` is the only idle state; Terraform polls for it (spec §5).
 */
export const InstanceStatus = {
  CREATING: 'CREATING',
  RUNNING: 'RUNNING',
  RECOVERING: 'RECOVERING',
  FAILOVER: 'FAILOVER',
  REBUILDING: 'REBUILDING',
  /** ModifyDBParameter is applying parameters (and may restart nodes). */
  MODIFYING_PARAMETERS: 'MODIFYING_PARAMETERS',
  /** ModifyDBInstanceSpec is changing CPU/RAM (rolling restart) and/or growing the disk. */
  MODIFYING: 'MODIFYING',
  /** StartBatchRollback is restoring a backup over the instance (and re-seeding its standby and read-only instances). */
  RESTORING: 'RESTORING',
  DELETING: 'DELETING',
  DELETED: 'DELETED',
  ERROR: 'ERROR',
} as const;
export type InstanceStatus = (typeof InstanceStatus)[keyof typeof InstanceStatus];

export const INSTANCE_TRANSITIONS: Record<InstanceStatus, readonly InstanceStatus[]> = {
  CREATING: ['RUNNING', 'ERROR'],
  RUNNING: ['DELETING', 'RECOVERING', 'FAILOVER', 'REBUILDING', 'MODIFYING_PARAMETERS', 'MODIFYING', 'RESTORING'],
  RECOVERING: ['RUNNING', 'ERROR'],
  FAILOVER: ['RUNNING', 'ERROR'],
  REBUILDING: ['RUNNING', 'ERROR'],
  MODIFYING_PARAMETERS: ['RUNNING', 'ERROR'],
  MODIFYING: ['RUNNING', 'ERROR'],
  RESTORING: ['RUNNING', 'ERROR'],
  ERROR: ['DELETING', 'RECOVERING'],
  DELETING: ['DELETED', 'ERROR'],
  DELETED: [],
};

export function canTransition(from: string, to: InstanceStatus): boolean {
  // hasOwn: a stored status such as "constructor" must give false, not a TypeError.
  return Object.hasOwn(INSTANCE_TRANSITIONS, from) && INSTANCE_TRANSITIONS[from as InstanceStatus].includes(to);
}

/** Chinese labels shown as StatusStr, as the CDS console does. */
export const STATUS_STR: Record<InstanceStatus, string> = {
  CREATING: '创建中',
  RUNNING: '运行中',
  RECOVERING: '恢复中',
  FAILOVER: '主备切换中',
  REBUILDING: '重建备库中',
  MODIFYING_PARAMETERS: '参数修改中',
  MODIFYING: '规格变更中',
  RESTORING: '恢复备份中',
  DELETING: '删除中',
  DELETED: '已删除',
  ERROR: '异常',
};
