/** 004: HA bookkeeping per instance, and one node per IP. */
import { sql, type Kysely, type Migration } from 'kysely';

export const m004Ha: Migration = {
  async up(db: Kysely<any>) {
    // JSON: failover history, last semi-sync observation, promoted GTID position, rejoin state.
    await db.schema.alterTable('instances').addColumn('ha_state', 'text', (c) => c.notNull().defaultTo('{}')).execute();
    await sql`CREATE UNIQUE INDEX nodes_ip ON nodes (ip, port)`.execute(db);
  },
};
