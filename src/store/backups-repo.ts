/**
 * Queries on backups and backup policies (docs/backups.md). Exposed as `store.backups`.
 *
 * Contracts:
 * - A backup row and the task working on it are written in one transaction (create,
 *   createForSlot, startDeletion), so a backup is never `running` or `deleting` without a task.
 * - createForSlot moves the policy's last_slot_at with a compare-and-set, and the unique index
 *   (instance_uuid, slot_at) backs it: one automatic backup per slot, whoever tries.
 * - Tenant scoping: every read meant for the API takes the tenant id.
 */
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { BackupPolicyTable, BackupTable, Database, InstanceTable, TaskTable } from './schema.js';

export type Backup = Selectable<BackupTable>;
export type BackupPolicy = Selectable<BackupPolicyTable>;

const ACTIVE = ['NEW', 'DOING'] as const;

/** Result of startDeletion(). */
export type DeletionStart = 'ok' | 'missing' | 'running' | 'deleting' | 'busy';

export interface BackupFactRow {
  id: string;
  instance_uuid: string;
  mode: string;
  status: string;
  tenant_id: string;
  created_at: number;
  updated_at: number;
  instance_deleted_at: number | null;
  instance_exists: number;
  task_status: string | null;
}

export interface PolicyRow extends BackupPolicy {
  time_zone: string | null;
  instance_status: string | null;
  instance_deleted_at: number | null;
}

export class BackupsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly isUniqueViolation: (e: unknown) => boolean) {}

  async create(b: Insertable<BackupTable>, task: Insertable<TaskTable>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('backups').values(b).execute();
      await trx.insertInto('tasks').values(task).execute();
    });
  }

  /** False when this slot was already handled (another round moved last_slot_at, or the slot has its backup). */
  async createForSlot(b: Insertable<BackupTable>, task: Insertable<TaskTable>, expectLastSlotAt: number): Promise<boolean> {
    if (b.slot_at === null || b.slot_at === undefined) throw new Error('createForSlot needs slot_at');
    try {
      return await this.db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('backup_policies').set({ last_slot_at: b.slot_at! })
          .where('instance_uuid', '=', b.instance_uuid).where('last_slot_at', '=', expectLastSlotAt).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return false;
        await trx.insertInto('backups').values(b).execute();
        await trx.insertInto('tasks').values(task).execute();
        return true;
      });
    } catch (e) {
      if (this.isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async get(id: string): Promise<Backup | undefined> {
    return this.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A backup as the API sees it: only within its tenant and instance. */
  async getOf(tenantId: string, instanceUuid: string, id: string): Promise<Backup | undefined> {
    return this.db.selectFrom('backups').selectAll()
      .where('id', '=', id).where('tenant_id', '=', tenantId).where('instance_uuid', '=', instanceUuid).executeTakeFirst();
  }

  /** The backups of an instance, newest first. */
  async list(tenantId: string, instanceUuid: string): Promise<Backup[]> {
    return this.db.selectFrom('backups').selectAll().where('tenant_id', '=', tenantId).where('instance_uuid', '=', instanceUuid)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  async countRunning(instanceUuid: string): Promise<number> {
    const r = await this.db.selectFrom('backups').select((e) => e.fn.countAll<number>().as('n'))
      .where('instance_uuid', '=', instanceUuid).where('status', '=', 'running').executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Running backups of the same instance recorded before `b` whose task is still active: `b` waits for them. */
  async aheadOf(b: Pick<Backup, 'id' | 'instance_uuid' | 'created_at'>): Promise<string[]> {
    const rows = await this.db.selectFrom('backups').innerJoin('tasks', 'tasks.id', 'backups.task_id')
      .select('backups.id').where('backups.instance_uuid', '=', b.instance_uuid).where('backups.status', '=', 'running')
      .where('tasks.status', 'in', ACTIVE)
      .where((eb) => eb.or([
        eb('backups.created_at', '<', b.created_at),
        eb.and([eb('backups.created_at', '=', b.created_at), eb('backups.id', '<', b.id)]),
      ]))
      .orderBy('backups.created_at').orderBy('backups.id').execute();
    return rows.map((r) => r.id);
  }

  /** Updates a backup; with `onlyIf`, only while it has that status. True when a row changed. */
  async update(id: string, patch: Updateable<BackupTable>, onlyIf?: string): Promise<boolean> {
    let q = this.db.updateTable('backups').set(patch).where('id', '=', id);
    if (onlyIf !== undefined) q = q.where('status', '=', onlyIf);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * finished or failed → deleting, with the DeleteBackup task, in one transaction. A backup left
   * `deleting` by a deletion task that ended is started again. `task.instance_uuid` is the BackupId.
   */
  async startDeletion(id: string, task: Insertable<TaskTable>, now: number): Promise<DeletionStart> {
    try {
      return await this.db.transaction().execute(async (trx): Promise<DeletionStart> => {
        const b = await trx.selectFrom('backups').select(['status', 'task_id']).where('id', '=', id).executeTakeFirst();
        if (!b) return 'missing';
        if (b.status === 'running') return 'running';
        if (b.status === 'deleting') {
          const t = await trx.selectFrom('tasks').select('id').where('id', '=', b.task_id).where('status', 'in', ACTIVE).executeTakeFirst();
          if (t) return 'deleting';
        }
        await trx.updateTable('backups').set({ status: 'deleting', task_id: task.id!, updated_at: now }).where('id', '=', id).execute();
        await trx.insertInto('tasks').values(task).execute();
        return 'ok';
      });
    } catch (e) {
      if (this.isUniqueViolation(e)) return 'busy'; // the backup's create task has not quite ended
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('backups').where('id', '=', id).execute();
  }

  /** Every backup with what retention and repair need (src/backups/housekeeping.ts). */
  async facts(): Promise<BackupFactRow[]> {
    const rows = await this.db.selectFrom('backups')
      .leftJoin('instances', 'instances.uuid', 'backups.instance_uuid')
      .leftJoin('tasks', 'tasks.id', 'backups.task_id')
      .select([
        'backups.id', 'backups.tenant_id', 'backups.instance_uuid', 'backups.mode', 'backups.status', 'backups.created_at', 'backups.updated_at',
        'instances.deleted_at as instance_deleted_at', sql<number>`CASE WHEN instances.uuid IS NULL THEN 0 ELSE 1 END`.as('instance_exists'),
        'tasks.status as task_status',
      ]).execute();
    return rows.map((r) => ({ ...r, created_at: Number(r.created_at), updated_at: Number(r.updated_at), instance_deleted_at: r.instance_deleted_at === null ? null : Number(r.instance_deleted_at), instance_exists: Number(r.instance_exists) }));
  }

  // --- policies ---

  async getPolicy(instanceUuid: string): Promise<BackupPolicy | undefined> {
    return this.db.selectFrom('backup_policies').selectAll().where('instance_uuid', '=', instanceUuid).executeTakeFirst();
  }

  async setPolicy(p: Insertable<BackupPolicyTable>): Promise<void> {
    await this.db.insertInto('backup_policies').values(p)
      .onConflict((oc) => oc.column('instance_uuid').doUpdateSet({
        time_slot: p.time_slot, date_list: p.date_list, sign: p.sign, last_slot_at: p.last_slot_at, updated_at: p.updated_at,
      }))
      .execute();
  }

  /** Every policy with the instance facts the scheduler needs. */
  async policies(): Promise<PolicyRow[]> {
    const rows = await this.db.selectFrom('backup_policies')
      .leftJoin('instances', 'instances.uuid', 'backup_policies.instance_uuid')
      .selectAll('backup_policies')
      .select(['instances.time_zone as time_zone', 'instances.status as instance_status', 'instances.deleted_at as instance_deleted_at'])
      .execute();
    return rows.map((r) => ({ ...r, last_slot_at: Number(r.last_slot_at), instance_deleted_at: r.instance_deleted_at === null ? null : Number(r.instance_deleted_at) }));
  }

  async deletePolicy(instanceUuid: string): Promise<void> {
    await this.db.deleteFrom('backup_policies').where('instance_uuid', '=', instanceUuid).execute();
  }

  /**
   * The tenant's instance, deleted or not: the backups of a deleted instance stay listed,
   * downloadable and deletable for a while (docs/backups.md, "Deleting an instance").
   */
  async instanceOf(tenantId: string, uuid: string): Promise<Selectable<InstanceTable> | undefined> {
    return this.db.selectFrom('instances').selectAll().where('uuid', '=', uuid).where('tenant_id', '=', tenantId).executeTakeFirst();
  }
}
