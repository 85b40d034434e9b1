/** SQLite backend (better-sqlite3): the embedded default. WAL lets CLI commands share the file with `serve`. */
import BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { Kysely, sql, SqliteDialect } from 'kysely';
import { Store, type StoreBackend } from '../store.js';
import { startWalCheckpointer } from './wal-checkpointer.js';
import type { Database, NonceDatabase } from '../schema.js';

export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  skipLocked: false,
  isUniqueViolation(e: unknown): boolean {
    const code = (e as { code?: string })?.code ?? '';
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  clock: () => sql<number>`CAST(unixepoch('subsec') * 1000 AS INTEGER)`,
  // An embedded file is there or the process could not have started; a busy file waits (busy_timeout).
  isUnavailable: () => false,
};

/**
 * better-sqlite3 statements reused by SQL text: preparing costs more than running a small query.
 * Safe because kysely drives one SQLite connection serially, so a statement is never in use twice.
 */
function withStatementCache(db: BetterSqlite3.Database, onWrite: () => void, max = 500, beforeClose = () => {}) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      beforeClose();
      db.close();
    },
    prepare(sql: string): BetterSqlite3.Statement {
      let st = cache.get(sql);
      if (!st) {
        st = db.prepare(sql);
        if (!st.readonly && onWrite !== noWrites) countWrites(st, onWrite);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, st);
      }
      return st;
    },
  };
}

const noWrites = () => {};

/** Calls `onWrite` after every execution of a statement that may change the database. */
function countWrites(st: BetterSqlite3.Statement, onWrite: () => void): void {
  const s = st as unknown as Record<'run' | 'all' | 'get' | 'iterate', (...a: unknown[]) => unknown>;
  for (const m of ['run', 'all', 'get', 'iterate'] as const) {
    const f = s[m]!.bind(st);
    s[m] = (...a: unknown[]) => {
      try {
        return f(...a);
      } finally {
        onWrite();
      }
    };
  }
}

function openFile(file: string): BetterSqlite3.Database {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL'); // durable across process crashes; WAL fsyncs at checkpoints
  sqlite.pragma('busy_timeout = 10000');
  return sqlite;
}

/** The nonce file beside a store file (`openrds.db` → `openrds.db-nonces`), unless given. */
export function defaultNoncesFile(file: string): string {
  return file === ':memory:' ? ':memory:' : `${file}-nonces`;
}

/**
 * Opens the store in `file` and its nonce table in `noncesFile`. The nonces need a file of their
 * own: PRAGMA data_version of the main file changes when any other connection commits to it, so
 * even a second connection to the same file would empty the row cache on every request.
 */
export async function openSqliteStore(file: string, noncesFile = defaultNoncesFile(file)): Promise<Store> {
  const sqlite = openFile(file);
  sqlite.pragma('foreign_keys = ON');
  // Change token for read caches (Store): our own writes bump `writes`; PRAGMA data_version changes
  // when another connection (a CLI command, another process) commits.
  let writes = 0;
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, () => { writes++; }) }) });
  const nonceFile = openFile(noncesFile);
  // Every API request commits a nonce here: checkpoints run in a worker, off the request path
  // (wal-checkpointer.ts says what a host crash may lose), and the WAL is cut back after each.
  let stopping: Promise<void> | undefined;
  const checkpointer = noncesFile === ':memory:' ? undefined : startWalCheckpointer(nonceFile, noncesFile);
  if (checkpointer) nonceFile.pragma('journal_size_limit = 67108864');
  const nonceDb = new Kysely<NonceDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(nonceFile, noWrites, 500, () => { stopping = checkpointer?.stop(); }) }) });
  const store = new Store(db, {
    ...sqliteBackend, changeToken: () => `${writes}.${dataVersion.get() as number}`,
    // The worker's last checkpoint and close: the files are settled when close() resolves.
    afterClose: async () => { await (stopping ?? checkpointer?.stop()); },
  }, nonceDb);
  await store.migrate();
  return store;
}
