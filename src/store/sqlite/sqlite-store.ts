/** SQLite backend (better-sqlite3): the embedded default. WAL lets CLI commands share the file with `serve`. */
import BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { Kysely, sql, SqliteDialect } from 'kysely';
import { Store, type StoreBackend, type TableName } from '../store.js';
import { SqliteNonceLog } from './sqlite-nonce-log.js';
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
function withStatementCache(db: BetterSqlite3.Database, onWrite: (table: string | undefined) => void, max = 500, beforeClose = () => {}) {
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

/**
 * The one table a statement writes, for the per-table change token (StoreBackend.changeToken):
 * the table of a single-table INSERT/UPDATE/DELETE/REPLACE, lower case; undefined when the
 * statement is not recognised as one (DDL, a WITH …), which then counts as a write to every
 * table. Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) writes nothing of its
 * own: the statements inside were counted when they ran. `null`: not a write at all. Pure.
 */
export function writtenTable(sqlText: string): string | undefined | null {
  if (/^\s*(?:begin|commit|end|rollback|savepoint|release)\b/i.test(sqlText)) return null;
  const m = /^\s*(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?[\s(]/i.exec(sqlText);
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * Calls `onWrite(table)` after every execution of a statement that may have changed rows
 * (`table` undefined: it cannot say which). A write that changed no row (a task claim that found
 * nothing, an UPDATE whose WHERE matched nothing) does not call it, so the caches survive the
 * loops' idle rounds: `run()` reports its changes; a statement that returns rows (`… RETURNING`)
 * changed exactly the rows it returned; anything else (DDL, `iterate`, a statement that threw)
 * always counts.
 */
function countWrites(st: BetterSqlite3.Statement, onWrite: (table: string | undefined) => void): void {
  const table = writtenTable(st.source);
  if (table === null) return;
  const s = st as unknown as Record<'run' | 'all' | 'get' | 'iterate', (...a: unknown[]) => unknown>;
  const dml = table !== undefined;
  const changed: Record<'run' | 'all' | 'get' | 'iterate', (r: unknown) => boolean> = {
    run: (r) => !dml || (r as BetterSqlite3.RunResult).changes > 0,
    all: (r) => !dml || (r as unknown[]).length > 0,
    get: (r) => !dml || r !== undefined,
    iterate: () => true,
  };
  for (const m of ['run', 'all', 'get', 'iterate'] as const) {
    const f = s[m]!.bind(st);
    s[m] = (...a: unknown[]) => {
      let r: unknown;
      let ok = false;
      try {
        r = f(...a);
        ok = true;
        return r;
      } finally {
        if (!ok || changed[m](r)) onWrite(table);
      }
    };
  }
}

/**
 * Write counters per table, for the change token: what this process wrote. Another connection's
 * commits show in PRAGMA data_version, which the token adds for every table.
 */
export class TableWrites {
  private readonly byTable = new Map<string, number>();
  /** Writes not attributed to one table: they count for every table. */
  private unattributed = 0;
  private total = 0;

  readonly onWrite = (table: string | undefined): void => {
    this.total++;
    if (table === undefined) this.unattributed++;
    else this.byTable.set(table, (this.byTable.get(table) ?? 0) + 1);
  };

  /** Changes when `tables` (omitted: any table) may have been written by this process. */
  token(tables?: readonly string[]): string {
    if (!tables) return `${this.total}`;
    let t = `${this.unattributed}`;
    for (const name of tables) t += `.${this.byTable.get(name) ?? 0}`;
    return t;
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
 * Opens the store in `file` and its nonce log in `noncesFile` (sqlite-nonce-log.ts). The nonces need a file of their
 * own: PRAGMA data_version of the main file changes when any other connection commits to it, so
 * even a second connection to the same file would empty the row cache on every request.
 */
export async function openSqliteStore(file: string, noncesFile = defaultNoncesFile(file)): Promise<Store> {
  const sqlite = openFile(file);
  sqlite.pragma('foreign_keys = ON');
  // Change token for read caches (Store): our own writes bump per-table counters; PRAGMA
  // data_version changes when another connection (a CLI command, another process) commits.
  const writes = new TableWrites();
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, writes.onWrite) }) });
  const nonceFile = openFile(noncesFile);
  // Every API request commits a nonce here: checkpoints run in a worker, off the request path
  // (wal-checkpointer.ts says what a host crash may lose), and the WAL is cut back after each.
  let stopping: Promise<void> | undefined;
  const checkpointer = noncesFile === ':memory:' ? undefined : startWalCheckpointer(nonceFile, noncesFile);
  if (checkpointer) nonceFile.pragma('journal_size_limit = 67108864');
  const nonceDb = new Kysely<NonceDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(nonceFile, noWrites, 500, () => { stopping = checkpointer?.stop(); }) }) });
  const store = new Store(db, {
    ...sqliteBackend, changeToken: (tables?: readonly TableName[]) => `${writes.token(tables)}.${dataVersion.get() as number}`,
    // The worker's last checkpoint and close: the files are settled when close() resolves.
    afterClose: async () => { await (stopping ?? checkpointer?.stop()); },
  }, nonceDb, new SqliteNonceLog(nonceFile, nonceDb));
  await store.migrate();
  return store;
}
