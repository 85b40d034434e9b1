/**
 * PostgreSQL backend (pg, a connection pool): for a store shared by several machines or kept on
 * a managed database. Selected by a `postgres://` or `postgresql://` store URL (docs/operator-guide.md).
 *
 * Differences from SQLite, all decided here:
 * - Numbers: pg hands int8 (`bigint` columns, count(*)) and numeric (sum()) over as strings; the
 *   pool's own type parsers turn them into numbers, so every numeric column is a JS number as on
 *   SQLite. Values are epoch milliseconds, counts and sizes: far below 2^53.
 * - Claiming tasks locks the candidate rows with FOR UPDATE SKIP LOCKED (`skipLocked`).
 * - No change token: another node may write at any time and there is no cheap, exact way to
 *   notice, so the instance-row cache stays off.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { Store, type StoreBackend } from '../store.js';
import type { Database } from '../schema.js';

const OID_INT8 = 20;
const OID_NUMERIC = 1700;

export const postgresBackend: StoreBackend = {
  name: 'postgres',
  skipLocked: true,
  isUniqueViolation(e: unknown): boolean {
    return (e as { code?: string })?.code === '23505'; // unique_violation (also primary keys)
  },
};

/** Type parsers of the store's pool: int8 and numeric as numbers, everything else as pg does it. */
export const numberTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === OID_INT8 || oid === OID_NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openPostgresStore(url: string, opts: { maxConnections?: number } = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, types: numberTypes, max: opts.maxConnections ?? 10 });
  // A connection the server dropped (a PostgreSQL restart) must not crash the process. pg emits
  // 'error' on it when no query is running: the pool's own listener covers idle connections, this
  // one also connections checked out between two queries (kysely's). The pool discards a broken
  // connection when it comes back; the next query opens a new one or fails with its own error.
  pool.on('error', () => {});
  pool.on('connect', (client) => { client.on('error', () => {}); });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = new Store(db, postgresBackend);
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
