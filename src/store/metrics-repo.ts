/**
 * Queries of the monitoring rollups (src/metrics/, docs/monitoring.md), through kysely so that
 * SQLite and PostgreSQL share them. Store exposes it as `store.metrics`.
 *
 * Contracts:
 * - `record` adds a round's rows to stored points (sum += sum, n += n) in one transaction, so a
 *   bucket is complete whatever restarts of serve happened while it was open.
 * - Points are read and deleted by (series, period, ts) ranges: the primary key serves both.
 */
import { sql, type Kysely } from 'kysely';
import { METRIC_COLUMNS } from '../metrics/definitions.js';
import type { PointRow } from '../metrics/rollup.js';
import type { Database } from './schema.js';

/** A point's value for one metric: its bucket start and the average (or the sum) of its readings. */
export interface SeriesPoint {
  ts: number;
  value: number;
}

export interface LastReading {
  node_id: string;
  at: number;
  reading: string;
}

/** Rows per INSERT: 15 bound values each, far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;
const VALUE_COLUMNS = METRIC_COLUMNS.flatMap((c) => [`${c}_sum`, `${c}_n`] as const);

export class MetricsRepo {
  private readonly seriesCache = new Map<string, number>();

  constructor(private readonly db: Kysely<Database>, private readonly isUniqueViolation: (e: unknown) => boolean) {}

  /** The series id of each instance, created when missing (ids are small integers to keep points small). */
  async seriesIds(instanceUuids: Iterable<string>, now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const u of instanceUuids) {
      const id = this.seriesCache.get(u);
      if (id === undefined) missing.push(u);
      else out.set(u, id);
    }
    if (missing.length === 0) return out;
    const found = await this.db.selectFrom('metric_series').select(['id', 'instance_uuid']).where('instance_uuid', 'in', missing).execute();
    for (const r of found) this.seriesCache.set(r.instance_uuid, Number(r.id));
    for (const u of missing) {
      if (!this.seriesCache.has(u)) this.seriesCache.set(u, await this.createSeries(u, now));
      out.set(u, this.seriesCache.get(u)!);
    }
    return out;
  }

  private async createSeries(instanceUuid: string, now: number): Promise<number> {
    // Explicit ids (max + 1) work the same on both backends; the unique indexes settle races.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const again = await trx.selectFrom('metric_series').select('id').where('instance_uuid', '=', instanceUuid).executeTakeFirst();
          if (again) return Number(again.id);
          const top = await trx.selectFrom('metric_series').select((e) => e.fn.max('id').as('m')).executeTakeFirst();
          const id = Number(top?.m ?? 0) + 1;
          await trx.insertInto('metric_series').values({ id, instance_uuid: instanceUuid, created_at: now }).execute();
          return id;
        });
      } catch (e) {
        if (attempt < 5 && this.isUniqueViolation(e)) continue;
        throw e;
      }
    }
  }

  /** Adds rollup rows (unique by series, period, ts) and replaces the nodes' last readings, atomically. */
  async record(points: Array<PointRow & { series_id: number }>, readings: LastReading[]): Promise<void> {
    if (points.length === 0 && readings.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < points.length; i += CHUNK) {
        await trx.insertInto('metric_points').values(points.slice(i, i + CHUNK))
          .onConflict((oc) => oc.columns(['series_id', 'period', 'ts']).doUpdateSet((eb) => Object.fromEntries(
            VALUE_COLUMNS.map((c) => [c, eb(`metric_points.${c}`, '+', eb.ref(`excluded.${c}`))]),
          ) as any))
          .execute();
      }
      for (let i = 0; i < readings.length; i += CHUNK) {
        await trx.insertInto('metric_last_readings').values(readings.slice(i, i + CHUNK))
          .onConflict((oc) => oc.column('node_id').doUpdateSet((eb) => ({ at: eb.ref('excluded.at'), reading: eb.ref('excluded.reading') })))
          .execute();
      }
    });
  }

  async lastReadings(): Promise<LastReading[]> {
    return this.db.selectFrom('metric_last_readings').selectAll().execute();
  }

  /**
   * Points of one instance and metric column in [fromTs, toTs] (bucket starts), oldest first;
   * only buckets where the metric was measured (n > 0). `value` is sum / n (`avg`) or the sum.
   * Two columns per row and no second object per row: a 2-day answer reads 2,880 of them.
   */
  async points(instanceUuid: string, period: number, fromTs: number, toTs: number, column: string, report: 'avg' | 'sum'): Promise<SeriesPoint[]> {
    if (!(METRIC_COLUMNS as readonly string[]).includes(column)) throw new Error(`unknown metric column ${column}`);
    const sum = sql.ref(`${column}_sum`);
    const n = sql.ref(`${column}_n`);
    const rows = await this.db.selectFrom('metric_points')
      .select(['ts', (report === 'sum' ? sql<number>`${sum}` : sql<number>`${sum} / ${n}`).as('value')])
      .where('series_id', '=', (eb) => eb.selectFrom('metric_series').select('id').where('instance_uuid', '=', instanceUuid))
      .where('period', '=', period)
      .where('ts', '>=', fromTs)
      .where('ts', '<=', toTs)
      .where(n, '>', 0)
      .orderBy('ts')
      .execute();
    // PostgreSQL returns bigint as a string; SQLite gives numbers already.
    if (rows.length && typeof rows[0]!.ts !== 'number') for (const r of rows) r.ts = Number(r.ts);
    return rows as SeriesPoint[];
  }

  async listSeries(): Promise<Array<{ id: number; instance_uuid: string }>> {
    const rows = await this.db.selectFrom('metric_series').select(['id', 'instance_uuid']).execute();
    return rows.map((r) => ({ id: Number(r.id), instance_uuid: r.instance_uuid }));
  }

  /** Deletes one series' points of `period` older than `before`; a primary-key range, so cheap. */
  async deletePointsBefore(seriesId: number, period: number, before: number): Promise<number> {
    const r = await this.db.deleteFrom('metric_points')
      .where('series_id', '=', seriesId).where('period', '=', period).where('ts', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Series whose instance was deleted before `before` (or never existed, for series made before
   * `before`): their points answer nobody any more. The margin lets a collector round that read
   * the instance just before its deletion finish writing before its series goes.
   */
  async orphanSeries(before: number): Promise<Array<{ id: number; instance_uuid: string }>> {
    const rows = await this.db.selectFrom('metric_series').select(['id', 'instance_uuid'])
      .where('metric_series.created_at', '<', before)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('instances').select('uuid')
        .whereRef('instances.uuid', '=', 'metric_series.instance_uuid')
        .where((w) => w.or([w('instances.deleted_at', 'is', null), w('instances.deleted_at', '>=', before)])))))
      .execute();
    return rows.map((r) => ({ id: Number(r.id), instance_uuid: r.instance_uuid }));
  }

  /** Removes a series with all its points. */
  async dropSeries(id: number, instanceUuid: string): Promise<number> {
    const n = await this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('metric_points').where('series_id', '=', id).executeTakeFirst();
      await trx.deleteFrom('metric_series').where('id', '=', id).execute();
      return Number(r.numDeletedRows);
    });
    this.seriesCache.delete(instanceUuid);
    return n;
  }

  /** Last readings of nodes that no longer exist. */
  async dropStaleReadings(): Promise<number> {
    const r = await this.db.deleteFrom('metric_last_readings')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('nodes').select('id').whereRef('nodes.id', '=', 'metric_last_readings.node_id'))))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
