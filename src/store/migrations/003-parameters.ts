/** 003: per-instance engine parameters set by users, and the history of their changes. */
import type { Kysely, Migration } from 'kysely';

export const m003Parameters: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('instance_parameters')
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_parameters_pk', ['instance_uuid', 'name'])
      .execute();
    await db.schema.createTable('parameter_history')
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('old_value', 'text', (c) => c.notNull())
      .addColumn('new_value', 'text', (c) => c.notNull())
      .addColumn('modified_at', 'bigint', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('status_message', 'text', (c) => c.notNull())
      // One row per parameter per task: re-running the task's first step cannot record twice.
      .addPrimaryKeyConstraint('parameter_history_pk', ['task_id', 'name'])
      .execute();
    await db.schema.createIndex('parameter_history_instance').on('parameter_history').columns(['instance_uuid', 'modified_at']).execute();
  },
};
