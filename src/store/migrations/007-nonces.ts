/**
 * 007: used request nonces (schema.ts NonceTable). Applied to the nonce database, which is its own
 * file on SQLite and may be the main database elsewhere: it is run by its own migrator with its
 * own bookkeeping tables (migrations/index.ts), so it fits either place.
 */
import type { Kysely, Migration } from 'kysely';

export const m007Nonces: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('nonces')
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('nonces_pk', ['key_id', 'nonce'])
      .execute();
    // Pruning deletes by expiry.
    await db.schema.createIndex('nonces_expires_at').on('nonces').column('expires_at').execute();
  },
};
