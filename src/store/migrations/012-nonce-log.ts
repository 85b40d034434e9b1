/**
 * 012 (SQLite nonce file only): the used nonces as an append-only log (sqlite/sqlite-nonce-log.ts).
 *
 * Why: the `nonces` table of 007 is keyed by (key id, nonce), random values, so every recorded
 * nonce dirtied a page of its own in the primary key and another in the expiry index (~45 µs of
 * every API request, bench/RESULTS.md 2h). Rows keyed by a sequential INTEGER PRIMARY KEY (the
 * rowid) are appended to the last page; the serve process keeps the live ones in memory, and
 * pruning deletes a range of ids. The rows of 007's table are carried over (still refused after
 * the upgrade), then that table goes. PostgreSQL keeps 007's shared table (nonce-store.ts).
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const m012NonceLog: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('nonce_log')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .execute();
    await sql`INSERT INTO nonce_log (key_id, nonce, expires_at) SELECT key_id, nonce, expires_at FROM nonces ORDER BY expires_at`.execute(db);
    await db.schema.dropTable('nonces').execute();
  },
};
