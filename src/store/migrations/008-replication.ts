/** 008: the last recorded replication observation per instance (src/ha/replication-record.ts, docs/ha.md). */
import type { Kysely, Migration } from 'kysely';

export const m008Replication: Migration = {
  async up(db: Kysely<any>) {
    // JSON ReplicationRecord of the HA standby (on the HA primary's row) or of a read-only instance's node; null before the first observation.
    await db.schema.alterTable('instances').addColumn('replication', 'text').execute();
  },
};
