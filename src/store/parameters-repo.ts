/**
 * Queries on engine parameters: the values users set per instance (rendered into my.cnf) and
 * the history of changes (DescribeDBParameterModifyHistory). Exposed as `store.parameters`.
 *
 * Contracts:
 * - `insertHistory` is idempotent per (task, parameter): a repeated task step records nothing twice.
 * - `setValues` writes all values of one change in one transaction; `null` removes a value (the
 *   parameter goes back to its default), which is how a failed change is undone.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database, ParameterHistoryTable } from './schema.js';

export type ParameterHistory = Selectable<ParameterHistoryTable>;

/** States of a history row: `valid` only once the new value was read back from every node. */
export const HistoryState = { pending: 'pending', valid: 'valid', invalid: 'invalid' } as const;

export class ParametersRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The user's values of an instance, name → value. */
  async values(instanceUuid: string): Promise<Record<string, string>> {
    const rows = await this.db.selectFrom('instance_parameters').select(['name', 'value'])
      .where('instance_uuid', '=', instanceUuid).orderBy('name').execute();
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  async setValues(instanceUuid: string, values: Readonly<Record<string, string | null>>, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [name, value] of Object.entries(values)) {
        if (value === null) {
          await trx.deleteFrom('instance_parameters').where('instance_uuid', '=', instanceUuid).where('name', '=', name).execute();
          continue;
        }
        await trx.insertInto('instance_parameters').values({ instance_uuid: instanceUuid, name, value, updated_at: now })
          .onConflict((oc) => oc.columns(['instance_uuid', 'name']).doUpdateSet({ value, updated_at: now }))
          .execute();
      }
    });
  }

  /** Records the rows of a task unless that task already recorded them. */
  async insertHistory(rows: ReadonlyArray<Insertable<ParameterHistoryTable>>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const r of rows) {
        await trx.insertInto('parameter_history').values(r).onConflict((oc) => oc.columns(['task_id', 'name']).doNothing()).execute();
      }
    });
  }

  async historyOfTask(taskId: string): Promise<ParameterHistory[]> {
    return this.db.selectFrom('parameter_history').selectAll().where('task_id', '=', taskId).orderBy('name').execute();
  }

  async updateHistory(taskId: string, name: string, patch: Updateable<ParameterHistoryTable>): Promise<void> {
    await this.db.updateTable('parameter_history').set(patch).where('task_id', '=', taskId).where('name', '=', name).execute();
  }

  /** Changes of an instance with `from` ≤ modified_at ≤ `to` (epoch ms), oldest first. */
  async history(instanceUuid: string, from: number, to: number): Promise<ParameterHistory[]> {
    return this.db.selectFrom('parameter_history').selectAll()
      .where('instance_uuid', '=', instanceUuid).where('modified_at', '>=', from).where('modified_at', '<=', to)
      .orderBy('modified_at').orderBy('task_id').orderBy('name').execute();
  }

  /** Forgets an instance's values and history (its deletion). */
  async deleteInstance(instanceUuid: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.deleteFrom('instance_parameters').where('instance_uuid', '=', instanceUuid).execute();
    await db.deleteFrom('parameter_history').where('instance_uuid', '=', instanceUuid).execute();
  }
}
