/**
 * 002: monitoring rollups (docs/monitoring.md). One row per instance, period and bucket holds
 * every metric (a sum and a count each): six times fewer rows and upserts than a row per
 * metric. The primary key (series_id, period, ts) is the index that queries and retention use.
 *
 * Backend difference (named `clustered`): on SQLite the points table is WITHOUT ROWID, so rows
 * are stored in primary-key order — no second copy of the key in a separate index, and a range
 * read (one series, one period, a time span) reads adjacent rows in place. PostgreSQL keeps its
 * usual heap plus primary-key btree. Measurements: bench/RESULTS.md (metrics query).
 */
import { SqliteAdapter, sql, type Kysely, type Migration } from 'kysely';

const METRIC_COLUMNS = ['cpu', 'mem', 'space', 'net', 'sessions', 'slow'];

export const m002Metrics: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('metric_series')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('instance_uuid', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    let points = db.schema.createTable('metric_points')
      .addColumn('series_id', 'integer', (c) => c.notNull())
      .addColumn('period', 'integer', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull());
    for (const m of METRIC_COLUMNS) {
      points = points
        .addColumn(`${m}_sum`, 'double precision', (c) => c.notNull().defaultTo(0))
        .addColumn(`${m}_n`, 'integer', (c) => c.notNull().defaultTo(0));
    }
    const clustered = db.getExecutor().adapter instanceof SqliteAdapter;
    let table = points.addPrimaryKeyConstraint('metric_points_pk', ['series_id', 'period', 'ts']);
    if (clustered) table = table.modifyEnd(sql`WITHOUT ROWID`);
    await table.execute();
    await db.schema.createTable('metric_last_readings')
      .addColumn('node_id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('reading', 'text', (c) => c.notNull())
      .execute();
  },
};
