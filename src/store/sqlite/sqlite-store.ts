/** SQLite backend (better-sqlite3): the embedded default. WAL lets CLI commands share the file with `serve`. */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Store, type StoreBackend } from '../store.js';
import type { Database } from '../schema.js';

export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  skipLocked: false,
  isUniqueViolation(e: unknown): boolean {
    const code = (e as { code?: string })?.code ?? '';
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
};

/**
 * better-sqlite3 statements reused by SQL text: preparing costs more than running a small query.
 * Safe because kysely drives one SQLite connection serially, so a statement is never in use twice.
 */
function withStatementCache(db: BetterSqlite3.Database, max = 500) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string): BetterSqlite3.Statement {
      let st = cache.get(sql);
      if (!st) {
        st = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, st);
      }
      return st;
    },
  };
}

export async function openSqliteStore(file: string): Promise<Store> {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL'); // durable across process crashes; WAL fsyncs at checkpoints
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const store = new Store(db, sqliteBackend);
  await store.migrate();
  return store;
}
