/**
 * Queries of restores (docs/recovery.md). Exposed as `store.recovery`.
 *
 * Contracts:
 * - Archive rows (src/archive/): `updateStream` writes only while the row is still at the run the
 *   writer read (compare-and-set), so a restore that started a new timeline is never overwritten
 *   by an archiver round that began before it.
 * - `replaceAccounts` makes the instance's account rows exactly the accounts read back from the
 *   restored engine, in one transaction: rows of accounts the data no longer has go, accounts it
 *   has get a row (`available`), the rest take the restored password hash and type. Descriptions
 *   of kept accounts stay.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { AccountSpec } from '../engine/engine.js';
import type { ArchiveGapTable, ArchiveSegmentTable, ArchiveStreamTable, ArchiveTimelineTable, Database } from './schema.js';

export type ArchiveStream = Selectable<ArchiveStreamTable>;
export type ArchiveSegment = Selectable<ArchiveSegmentTable>;
export type ArchiveGap = Selectable<ArchiveGapTable>;
export type ArchiveTimeline = Selectable<ArchiveTimelineTable>;

export class RecoveryRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async replaceAccounts(instanceUuid: string, accounts: readonly AccountSpec[], now: number): Promise<{ added: string[]; removed: string[]; changed: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('accounts').selectAll().where('instance_uuid', '=', instanceUuid).execute();
      const have = new Map(rows.map((r) => [r.name, r]));
      const want = new Map(accounts.map((a) => [a.name, a]));
      const out = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
      for (const r of rows) {
        if (want.has(r.name)) continue;
        await trx.deleteFrom('accounts').where('instance_uuid', '=', instanceUuid).where('name', '=', r.name).execute();
        out.removed.push(r.name);
      }
      for (const a of accounts) {
        const r = have.get(a.name);
        if (!r) {
          await trx.insertInto('accounts').values({
            instance_uuid: instanceUuid, name: a.name, type: a.type, description: '', password_hash: a.passwordHash, status: 'available', created_at: now,
          }).execute();
          out.added.push(a.name);
        } else if (r.type !== a.type || r.password_hash !== a.passwordHash || r.status !== 'available') {
          await trx.updateTable('accounts').set({ type: a.type, password_hash: a.passwordHash, status: 'available' })
            .where('instance_uuid', '=', instanceUuid).where('name', '=', a.name).execute();
          out.changed.push(a.name);
        }
      }
      return out;
    });
  }

  // --- the binlog archive ---

  async getStream(instanceUuid: string): Promise<ArchiveStream | undefined> {
    return this.db.selectFrom('archive_streams').selectAll().where('instance_uuid', '=', instanceUuid).executeTakeFirst();
  }

  async listStreams(): Promise<ArchiveStream[]> {
    return this.db.selectFrom('archive_streams').selectAll().execute();
  }

  /** The first stream of an instance and its first timeline; false when one exists already. */
  async createStream(row: Insertable<ArchiveStreamTable>, timelineStartedAt: number): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('archive_streams').values(row).execute();
        await trx.insertInto('archive_timelines').values({ instance_uuid: row.instance_uuid, timeline: row.timeline, started_at: timelineStartedAt, start_gtid: row.start_gtid, first_run: row.run }).execute();
      });
      return true;
    } catch (e) {
      if (await this.getStream(row.instance_uuid)) return false;
      throw e;
    }
  }

  /** Writes `patch` if the stream is still at `run`; false otherwise. */
  async updateStream(instanceUuid: string, run: number, patch: Updateable<ArchiveStreamTable>): Promise<boolean> {
    const r = await this.db.updateTable('archive_streams').set(patch).where('instance_uuid', '=', instanceUuid).where('run', '=', run).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Moves streams' caught_up_at forward (never back), each only while its run is `run`: one
   * statement per distinct (run, at) pair, in one transaction, so that the archiver records the
   * RightBorderTime of many idle instances in one write.
   */
  async advanceCaughtUp(items: ReadonlyArray<{ instanceUuid: string; run: number; at: number }>, now: number): Promise<void> {
    const groups = new Map<string, { run: number; at: number; ids: string[] }>();
    for (const i of items) {
      const k = `${i.run}/${i.at}`;
      const g = groups.get(k) ?? { run: i.run, at: i.at, ids: [] };
      g.ids.push(i.instanceUuid);
      groups.set(k, g);
    }
    if (groups.size === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const g of groups.values()) {
        await trx.updateTable('archive_streams').set({ caught_up_at: g.at, updated_at: now })
          .where('run', '=', g.run).where('instance_uuid', 'in', g.ids)
          .where((eb) => eb.or([eb('caught_up_at', 'is', null), eb('caught_up_at', '<', g.at)])).execute();
      }
    });
  }

  /** A restore in place: the stream moves to a new timeline (and run) starting at `gtid`. */
  async startTimeline(instanceUuid: string, patch: { source_node: string; start_file: string; gtid: string; now: number }): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const cur = await trx.selectFrom('archive_streams').selectAll().where('instance_uuid', '=', instanceUuid).executeTakeFirst();
      if (!cur) return 0;
      const timeline = Number(cur.timeline) + 1;
      const run = Number(cur.run) + 1;
      await trx.updateTable('archive_streams').set({
        timeline, run, source_node: patch.source_node, start_file: patch.start_file, start_gtid: patch.gtid,
        archived_gtid: patch.gtid, archived_event_at: null, caught_up_at: null, status: 'starting', status_detail: 'new timeline after a restore in place', updated_at: patch.now,
      }).where('instance_uuid', '=', instanceUuid).execute();
      await trx.insertInto('archive_timelines').values({ instance_uuid: instanceUuid, timeline, started_at: patch.now, start_gtid: patch.gtid, first_run: run }).execute();
      return timeline;
    });
  }

  async deleteStream(instanceUuid: string): Promise<void> {
    await this.db.deleteFrom('archive_streams').where('instance_uuid', '=', instanceUuid).execute();
  }

  async insertSegment(row: Insertable<ArchiveSegmentTable>): Promise<void> {
    await this.db.insertInto('archive_segments').values(row).onConflict((oc) => oc.columns(['instance_uuid', 'timeline', 'run', 'binlog_file', 'start_offset']).doNothing()).execute();
  }

  /** Segments of a timeline in stream order (run, file, offset). */
  async listSegments(instanceUuid: string, timeline?: number): Promise<ArchiveSegment[]> {
    let q = this.db.selectFrom('archive_segments').selectAll().where('instance_uuid', '=', instanceUuid);
    if (timeline !== undefined) q = q.where('timeline', '=', timeline);
    return q.orderBy('timeline').orderBy('run').orderBy('binlog_file').orderBy('start_offset').execute();
  }

  async deleteSegment(id: string): Promise<void> {
    await this.db.deleteFrom('archive_segments').where('id', '=', id).execute();
  }

  async insertGap(row: Insertable<ArchiveGapTable>): Promise<void> {
    await this.db.insertInto('archive_gaps').values(row).execute();
  }

  async listGaps(instanceUuid: string): Promise<ArchiveGap[]> {
    return this.db.selectFrom('archive_gaps').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('at').execute();
  }

  /** Gaps and errant cuts recorded, per instance and kind (for /metrics). */
  async countGaps(): Promise<Array<{ instance_uuid: string; kind: string; n: number }>> {
    const rows = await this.db.selectFrom('archive_gaps').select(['instance_uuid', 'kind']).select((eb) => eb.fn.countAll().as('n')).groupBy(['instance_uuid', 'kind']).execute();
    return rows.map((r) => ({ instance_uuid: r.instance_uuid, kind: r.kind, n: Number(r.n) }));
  }

  async listTimelines(instanceUuid: string): Promise<ArchiveTimeline[]> {
    return this.db.selectFrom('archive_timelines').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('timeline').execute();
  }

  // --- temporary instances ---

  /** Live temporary instances restored from `sourceUuid` (not yet regularized), oldest first. */
  async listTemporaries(sourceUuid: string): Promise<Selectable<Database['instances']>[]> {
    return this.db.selectFrom('instances').selectAll().where('temp_source_uuid', '=', sourceUuid).where('deleted_at', 'is', null).orderBy('created_at').execute();
  }

  /** RegularizeTemporaryDBInstances: the temporary instance becomes a regular one (its row only). */
  async regularize(uuid: string, now: number): Promise<void> {
    await this.db.updateTable('instances').set({ temp_source_uuid: null, updated_at: now }).where('uuid', '=', uuid).execute();
  }
}
