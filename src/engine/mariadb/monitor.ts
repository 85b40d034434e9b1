/**
 * Monitoring reads for the MariaDB adapter: the status-counter query and its parsing (pure),
 * and the long-lived connections they run on. Opening a connection costs about 5 ms of CPU in
 * Node (handshake and auth), a query on an open one about 0.2 ms: a collector that reads every
 * node every 10 s keeps one connection per node open.
 */
import { createHash } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { ADMIN_USER, REPL_USER, type StatusCounters, type Target } from '../engine.js';
import { openConnection } from './client.js';

/**
 * The counters, plus `Internal_sessions`: the connections of openrds' own accounts (the admin
 * account: this collector's connection, probes, tasks; the replication account: a standby's or
 * read-only node's binlog dump, the binlog archiver's stream). They are in Threads_connected but
 * are not user sessions. A connection still in its handshake ('unauthenticated user': openrds' probes
 * open and close connections all the time) is not a session yet and is left out too.
 */
export const STATUS_COUNTERS_SQL =
  "SELECT VARIABLE_NAME AS Variable_name, VARIABLE_VALUE AS Value FROM information_schema.GLOBAL_STATUS" +
  " WHERE VARIABLE_NAME IN ('Uptime', 'Threads_connected', 'Slow_queries', 'Bytes_received', 'Bytes_sent')" +
  ` UNION ALL SELECT 'Internal_sessions', COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN ('${ADMIN_USER}', '${REPL_USER}', 'unauthenticated user')`;

const FIELDS: Record<string, keyof StatusCounters> = {
  uptime: 'uptime',
  threads_connected: 'threadsConnected',
  slow_queries: 'slowQueries',
  bytes_received: 'bytesReceived',
  bytes_sent: 'bytesSent',
  internal_sessions: 'internalSessions',
};

/** Rows of STATUS_COUNTERS_SQL → counters; throws when one is missing or not a number. */
export function parseStatusCounters(rows: ReadonlyArray<{ Variable_name: string; Value: string | number }>): StatusCounters {
  const out: Partial<StatusCounters> = {};
  for (const r of rows) {
    const f = FIELDS[String(r.Variable_name).toLowerCase()];
    if (f) out[f] = Number(r.Value);
  }
  for (const f of Object.values(FIELDS)) {
    if (!Number.isFinite(out[f])) throw new Error(`status counter ${f} missing or not a number`);
  }
  return out as StatusCounters;
}

interface Entry {
  key: string;
  conn: Promise<mysql.Connection>;
  closed: boolean;
  /** A query has succeeded on it: a later failure may just mean the server restarted meanwhile. */
  used: boolean;
  lastUsedAt: number;
}

/**
 * One open connection per target, reopened after any failure; every call has a deadline. A
 * connection that worked before and now fails with a connection error (the server restarted
 * since) is replaced and the query retried once, so a restart does not look like an outage.
 * `idleMs`: connections unused that long are closed (for targets that come and go).
 */
export class MonitorConnections {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly idleMs = 0) {}

  static key(t: Target): string {
    return `${t.user}@${t.host}:${t.port}/${createHash('sha256').update(t.password).digest('hex').slice(0, 16)}`;
  }

  /** Runs `sql` on the target's monitoring connection; rejects (and drops the connection) after timeoutMs. */
  async query(t: Target, sql: string, timeoutMs: number): Promise<unknown> {
    this.sweep();
    const key = MonitorConnections.key(t);
    for (let attempt = 0; ; attempt++) {
      let entry = this.entries.get(key);
      if (!entry || entry.closed) {
        entry = this.open(key, t, timeoutMs);
        this.entries.set(key, entry);
      }
      const reused = entry.used;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new Error(`${t.host}:${t.port} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      const work = entry.conn.then((c) => c.query(sql)).then(([rows]) => rows);
      work.catch(() => {}); // it may settle after the deadline, when nobody listens any more
      try {
        const rows = await Promise.race([work, deadline]);
        entry.used = true;
        entry.lastUsedAt = Date.now();
        return rows;
      } catch (e) {
        this.drop(entry);
        if (reused && !timedOut && attempt === 0) continue; // a stale connection: once more on a new one
        throw e;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Closes every connection whose target is not in `keep`. */
  close(keep: readonly Target[] = []): void {
    const kept = new Set(keep.map((t) => MonitorConnections.key(t)));
    for (const e of [...this.entries.values()]) if (!kept.has(e.key)) this.drop(e);
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    if (!this.idleMs) return;
    const cutoff = Date.now() - this.idleMs;
    for (const e of [...this.entries.values()]) if (e.used && e.lastUsedAt < cutoff) this.drop(e);
  }

  private open(key: string, t: Target, timeoutMs: number): Entry {
    const entry: Entry = { key, closed: false, used: false, lastUsedAt: Date.now(), conn: undefined as unknown as Promise<mysql.Connection> };
    entry.conn = openConnection(t, timeoutMs).then((c) => { // a pinned session, as every internal one
      // An idle connection whose server went away emits 'error': without a listener that would crash serve.
      c.on('error', () => this.drop(entry));
      if (entry.closed) c.destroy();
      return c;
    });
    entry.conn.catch(() => this.drop(entry));
    return entry;
  }

  private drop(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.conn.then((c) => c.destroy(), () => {});
  }
}
