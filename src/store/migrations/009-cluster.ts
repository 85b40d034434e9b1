/**
 * 009: several serve nodes on one store (docs/cluster.md). Serve nodes (members) and their
 * heartbeats, loop leases with fencing tokens, state the background loops carry across a
 * takeover, the step log, the task lease token, and the host of every database node.
 */
import type { Kysely, Migration } from 'kysely';

export const m009Cluster: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('host_id', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('listen', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('loop_leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('token', 'bigint', (c) => c.notNull())
      .addColumn('lease_until', 'bigint', (c) => c.notNull())
      .addColumn('acquired_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('loop_state')
      .addColumn('loop', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('loop_state_pk', ['loop', 'key'])
      .execute();
    await db.schema.createTable('task_steps')
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('token', 'bigint', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('seen_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .addColumn('outcome', 'text', (c) => c.notNull().defaultTo(''))
      .addPrimaryKeyConstraint('task_steps_pk', ['task_id', 'token', 'step', 'attempt'])
      .execute();
    await db.schema.alterTable('tasks').addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('nodes').addColumn('host_id', 'text', (c) => c.notNull().defaultTo('')).execute();
  },
};
