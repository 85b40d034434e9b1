/** 001: tenants, keys, instances, nodes, accounts, tasks. */
import { sql, type Kysely, type Migration } from 'kysely';

export const m001Initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('access_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('instances')
      .addColumn('uuid', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('region_id', 'text', (c) => c.notNull())
      .addColumn('vdc_id', 'text', (c) => c.notNull())
      .addColumn('pipe_id', 'text', (c) => c.notNull())
      .addColumn('paas_goods_id', 'integer', (c) => c.notNull())
      .addColumn('architecture', 'integer', (c) => c.notNull())
      .addColumn('cpu', 'integer', (c) => c.notNull())
      .addColumn('ram_gb', 'integer', (c) => c.notNull())
      .addColumn('disk_type', 'text', (c) => c.notNull())
      .addColumn('disk_gb', 'integer', (c) => c.notNull())
      .addColumn('ip', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_detail', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('parent_uuid', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint')
      .execute();
    await db.schema.createIndex('instances_tenant').on('instances').columns(['tenant_id', 'created_at']).execute();
    // An IP is held by at most one live instance of a pipe: makes allocation race-free on both backends.
    await sql`CREATE UNIQUE INDEX instances_live_ip ON instances (pipe_id, ip) WHERE deleted_at IS NULL`.execute(db);
    await db.schema.createTable('nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('ip', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('server_id', 'integer', (c) => c.notNull())
      .addColumn('desired', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer')
      .addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_seen_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('nodes_instance').on('nodes').column('instance_uuid').execute();
    await db.schema.createTable('accounts')
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('accounts_pk', ['instance_uuid', 'name'])
      .execute();
    await db.schema.createTable('tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('group_id', 'text', (c) => c.notNull())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    // At most one unfinished task per instance: the ResourceInUse rule, enforced by the store itself.
    await sql`CREATE UNIQUE INDEX tasks_one_active ON tasks (instance_uuid) WHERE status IN ('NEW','DOING')`.execute(db);
    await db.schema.createIndex('tasks_group').on('tasks').column('group_id').execute();
    await db.schema.createIndex('tasks_status').on('tasks').columns(['status', 'lease_until']).execute();
  },
};
