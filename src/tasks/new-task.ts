/** Builds the row of a new task; every submitter goes through here. */
import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { TaskTable } from '../store/schema.js';

export function newTaskRow(t: {
  tenantId: string;
  instanceUuid: string;
  type: string;
  now: number;
  params?: unknown;
  id?: string;
  groupId?: string;
}): Insertable<TaskTable> {
  const id = t.id ?? randomUUID();
  return {
    id, group_id: t.groupId ?? id, tenant_id: t.tenantId, instance_uuid: t.instanceUuid, type: t.type, status: 'NEW', step: 0,
    params: JSON.stringify(t.params ?? {}), state: '{}', error: '', attempts: 0, lease_owner: null, lease_until: null,
    created_at: t.now, updated_at: t.now, finished_at: null,
  };
}
