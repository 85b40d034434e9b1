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

export async function openSqliteStore(file: string): Promise<Store> {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL'); // durable across process crashes; WAL fsyncs at checkpoints
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const store = new Store(db, sqliteBackend);
  await store.migrate();
  return store;
}
