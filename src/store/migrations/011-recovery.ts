/** 011: temporary instances, the binlog archive and its timelines and gaps (docs/recovery.md). */
import type { Kysely, Migration } from 'kysely';

export const m011Recovery: Migration = {
  async up(db: Kysely<any>) {
    // A temporary instance (StartBatchRollbackToTemporaryDBInstance): the instance it was restored
    // from, until RegularizeTemporaryDBInstances clears it; and the point it was restored to.
    await db.schema.alterTable('instances').addColumn('temp_source_uuid', 'text').execute();
    await db.schema.alterTable('instances').addColumn('recovery_time', 'bigint').execute();
    await db.schema.createIndex('instances_temp_source').on('instances').column('temp_source_uuid').execute();

    // One archive stream per instance: where the archiver is, what is durable, when it was caught up.
    await db.schema.createTable('archive_streams')
      .addColumn('instance_uuid', 'text', (c) => c.primaryKey())
      .addColumn('timeline', 'integer', (c) => c.notNull())
      .addColumn('run', 'integer', (c) => c.notNull())
      .addColumn('source_node', 'text', (c) => c.notNull())
      .addColumn('server_id', 'bigint', (c) => c.notNull())
      .addColumn('start_file', 'text', (c) => c.notNull())
      .addColumn('start_gtid', 'text', (c) => c.notNull())
      .addColumn('archived_gtid', 'text', (c) => c.notNull())
      .addColumn('archived_event_at', 'bigint')
      .addColumn('caught_up_at', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_detail', 'text', (c) => c.notNull())
      .addColumn('close_requested_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    // Closed segments: compressed, checksummed copies of a byte range of one archived binlog file.
    await db.schema.createTable('archive_segments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('timeline', 'integer', (c) => c.notNull())
      .addColumn('run', 'integer', (c) => c.notNull())
      .addColumn('source_node', 'text', (c) => c.notNull())
      .addColumn('binlog_file', 'text', (c) => c.notNull())
      .addColumn('start_offset', 'bigint', (c) => c.notNull())
      .addColumn('end_offset', 'bigint', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('raw_bytes', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('first_gtid', 'text', (c) => c.notNull())
      .addColumn('last_gtid', 'text', (c) => c.notNull())
      .addColumn('end_gtid', 'text', (c) => c.notNull())
      .addColumn('first_event_at', 'bigint')
      .addColumn('last_event_at', 'bigint')
      .addColumn('transactions', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('archive_segments_instance').on('archive_segments').columns(['instance_uuid', 'timeline', 'run', 'binlog_file', 'start_offset']).unique().execute();

    // Timelines: a restore in place starts a new one; old and new binlogs are never spliced.
    await db.schema.createTable('archive_timelines')
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('timeline', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('start_gtid', 'text', (c) => c.notNull())
      .addColumn('first_run', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('archive_timelines_pk', ['instance_uuid', 'timeline'])
      .execute();

    // Gaps (events lost to the archive) and cuts (errant transactions of a discarded history).
    await db.schema.createTable('archive_gaps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'text', (c) => c.notNull())
      .addColumn('timeline', 'integer', (c) => c.notNull())
      .addColumn('run', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('from_gtid', 'text', (c) => c.notNull())
      .addColumn('to_gtid', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('archive_gaps_instance').on('archive_gaps').columns(['instance_uuid', 'at']).execute();
  },
};
