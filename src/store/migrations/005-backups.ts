/** 005: backups (docs/backups.md) and automatic backup policies (ModifyDbBackupPolicy). */
import { sql, type Kysely, type Migration } from 'kysely';

export const m005Backups: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('backups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('strategy', 'text', (c) => c.notNull())
      .addColumn('db_list', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_detail', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('gtid', 'text', (c) => c.notNull())
      .addColumn('binlog_file', 'text', (c) => c.notNull())
      .addColumn('binlog_pos', 'bigint', (c) => c.notNull())
      .addColumn('source_node', 'text', (c) => c.notNull())
      .addColumn('source_role', 'text', (c) => c.notNull())
      .addColumn('slot_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('backups_instance').on('backups').columns(['instance_uuid', 'created_at']).execute();
    // One automatic backup per slot of an instance: the scheduler can never run a slot twice.
    await sql`CREATE UNIQUE INDEX backups_one_per_slot ON backups (instance_uuid, slot_at) WHERE slot_at IS NOT NULL`.execute(db);
    await db.schema.createTable('backup_policies')
      .addColumn('instance_uuid', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('time_slot', 'text', (c) => c.notNull())
      .addColumn('date_list', 'text', (c) => c.notNull())
      .addColumn('sign', 'integer', (c) => c.notNull())
      .addColumn('last_slot_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
