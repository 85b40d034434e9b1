/** 006: the disk guard's state per instance (docs/storage.md). */
import type { Kysely, Migration } from 'kysely';

export const m006DiskGuard: Migration = {
  async up(db: Kysely<any>) {
    // 1 while the disk guard holds the instance read-only because a node's disk is nearly full.
    await db.schema.alterTable('instances').addColumn('disk_read_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // The fullest node's used share of its disk, in percent (one decimal), as last measured.
    await db.schema.alterTable('instances').addColumn('disk_used_pct', 'real').execute();
  },
};
