/**
 * PostgreSQL backend (pg, a connection pool): for a store shared by several serve nodes or kept on
 * a managed database. Selected by a `postgres://` or `postgresql://` store URL (docs/operator-guide.md).
 *
 * Differences from SQLite, all decided here:
 * - Numbers: pg hands int8 (`bigint` columns, count(*)) and numeric (sum()) over as strings; the
 *   pool's own type parsers turn them into numbers, so every numeric column is a JS number as on
 *   SQLite. Values are epoch milliseconds, counts and sizes: far below 2^53.
 * - Claiming tasks locks the candidate rows with FOR UPDATE SKIP LOCKED (`skipLocked`).
 * - No change token: another node may write at any time and there is no cheap, exact way to
 *   notice, so the instance-row cache stays off.
 * - Task submissions are announced with NOTIFY and heard with LISTEN on a connection of its own.
 * - Bounded waits (docs/cluster.md "Losing the database"): a connection attempt gives up after
 *   CONNECT_TIMEOUT_MS and a statement after STATEMENT_TIMEOUT_MS, so a node that lost the database
 *   answers ServiceUnavailable within seconds instead of hanging.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { someCause, Store, type StoreBackend } from '../store.js';
import type { Database } from '../schema.js';

const OID_INT8 = 20;
const OID_NUMERIC = 1700;
export const CONNECT_TIMEOUT_MS = 3000;
export const STATEMENT_TIMEOUT_MS = 10_000;

/** libpq/pg failures that mean "the server is out of reach", not "this statement is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error|Client was closed|not queryable|the database system is (starting up|shutting down|in recovery mode)/i;

export function isPostgresUnavailable(e: unknown): boolean {
  return someCause(e, (c) => {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const msg = (c as { message?: unknown }).message;
    return typeof msg === 'string' && UNAVAILABLE_MESSAGES.test(msg);
  });
}

function backendFor(url: string): StoreBackend {
  return {
    name: 'postgres',
    skipLocked: true,
    isUniqueViolation(e: unknown): boolean {
      return (e as { code?: string })?.code === '23505'; // unique_violation (also primary keys)
    },
    clock: () => sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`,
    isUnavailable: isPostgresUnavailable,
    async notify(db, channel) {
      await sql`SELECT pg_notify(${channel}, '')`.execute(db);
    },
    listen: (channel, onNotify) => listenLoop(url, channel, onNotify),
  };
}

/**
 * LISTEN on a client of its own (a pooled connection cannot keep a LISTEN), connected again one
 * second after it drops; a notification missed meanwhile is caught by the claimer's poll.
 */
function listenLoop(url: string, channel: string, onNotify: () => void): () => Promise<void> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    client = c;
    const again = () => {
      if (stopped || client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      retry = setTimeout(() => void connect(), 1000);
    };
    c.on('error', again);
    c.on('end', again);
    c.on('notification', () => onNotify());
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      onNotify(); // anything submitted while we were not listening
    } catch {
      again();
    }
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

/** Type parsers of the store's pool: int8 and numeric as numbers, everything else as pg does it. */
export const numberTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === OID_INT8 || oid === OID_NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Named (server-side prepared) statements for every parameterised query, instead of pg's unnamed
 * ones: PostgreSQL parses and plans each SQL text once per connection, and the serve sends no SQL
 * text after the first time (bench/RESULTS.md "API cost"). Kysely calls `client.query(sql, params)`;
 * this wraps that call. At most MAX_NAMED texts get names (queries with generated IN lists could
 * make endless variants); beyond them, queries run unnamed as before. Queries without parameters
 * (BEGIN, COMMIT, migrations' DDL) keep the simple protocol.
 */
const MAX_NAMED = 500;
const statementNames = new Map<string, string>();
export function nameStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, cb?: unknown) => {
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(text, values, cb);
    let name = statementNames.get(text);
    if (name === undefined && statementNames.size < MAX_NAMED) statementNames.set(text, (name = `openrds_${statementNames.size}`));
    return name === undefined ? query(text, values, cb) : query({ name, text, values }, cb);
  };
}

export async function openPostgresStore(url: string, opts: { maxConnections?: number } = {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url, types: numberTypes, max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true,
    statement_timeout: STATEMENT_TIMEOUT_MS, query_timeout: STATEMENT_TIMEOUT_MS + 2000,
  });
  // A connection the server dropped (a PostgreSQL restart) must not crash the process. pg emits
  // 'error' on it when no query is running: the pool's own listener covers idle connections, this
  // one also connections checked out between two queries (kysely's). The pool discards a broken
  // connection when it comes back; the next query opens a new one or fails with its own error.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    nameStatements(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = new Store(db, backendFor(url));
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
