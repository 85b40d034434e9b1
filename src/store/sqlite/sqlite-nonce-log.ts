/**
 * Used request nonces on SQLite (nonce-store.ts NonceStore): an append-only log in the nonce file
 * (migration 012, table `nonce_log`) and its live window in memory (nonce-window.ts).
 *
 * Why not 007's table keyed by (key id, nonce): a random key dirties a page of its own per nonce,
 * ~45 µs of every API request (bench/RESULTS.md 2h). Appending to a rowid table dirties the last
 * page only; the replay check is a Map lookup.
 *
 * How a batch runs (the useNonce calls of one event-loop turn, as NoncesRepo's group commit),
 * synchronously, in one `BEGIN IMMEDIATE` transaction, so it holds the file's write lock:
 *   1. read the rows other connections appended since the window's last id (another process on
 *      the same file; normally none, one index probe), into the window;
 *   2. decide the winners from the window (pure, NonceWindow.decide);
 *   3. append one row per winner; at most once a second delete the ids whose rows all expired;
 *   4. commit; only then the new rows join the window and the callers get their answers.
 * The write lock makes 1–4 atomic across processes: exactly one caller wins a nonce. A failed
 * batch fails its callers and leaves the window without its rows.
 *
 * Durability: the same as before (docs/api.md): the commit is in the WAL (written to the OS,
 * `synchronous = NORMAL`) before anyone is answered, so `kill -9` of serve forgets no nonce of an
 * answered request; after a restart the first batch reads the log back (outside the lock, then
 * the rest under it, as step 1). A host crash may lose the commits
 * after the last checkpoint (wal-checkpointer.ts, about a second).
 *
 * Ids only grow: pruning never deletes the newest row, so SQLite's next rowid (max + 1) never
 * goes back to an id a reader has passed.
 *
 * Memory: one Map entry per live nonce (≈ 100–150 bytes with a UUID nonce), for the lifetime the
 * API gives a nonce (twice the allowed skew, 30 minutes): 1,000 requests a second sustained for
 * 30 minutes is 1.8 M entries, some 250 MB.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { Migrator, type Kysely } from 'kysely';
import { NONCE_MIGRATION_TABLES, sqliteNonceMigrationProvider } from '../migrations/index.js';
import { planNonceBatch, type NonceBatchPlan, type NonceRequest } from '../nonce-batch.js';
import type { NonceStore } from '../nonce-store.js';
import { NonceWindow, type NonceLogRow } from '../nonce-window.js';

/** Pruning runs at most this often, so each run deletes about one interval's worth of rows. */
const PRUNE_INTERVAL_MS = 1000;

type Waiter = NonceRequest & { done(won: boolean): void; fail(e: unknown): void };

interface Statements {
  newer: BetterSqlite3.Statement<[number], NonceLogRow>;
  append: BetterSqlite3.Statement<[string, string, number]>;
  prune: BetterSqlite3.Statement<[number]>;
  count: BetterSqlite3.Statement<[], number>;
  batch: (plan: NonceBatchPlan) => { won: boolean[]; added: NonceLogRow[] };
}

export class SqliteNonceLog implements NonceStore {
  private readonly window = new NonceWindow();
  private st?: Statements;
  private queue: Waiter[] = [];
  private scheduled = false;
  private lastPrune = 0;
  private loaded = false;

  /** `conn` is the nonce file's connection; `db` the kysely over it (migrations only). */
  constructor(private readonly conn: BetterSqlite3.Database, readonly db: Kysely<any>) {}

  async migrate(): Promise<void> {
    const { error } = await new Migrator({ db: this.db, provider: sqliteNonceMigrationProvider, ...NONCE_MIGRATION_TABLES }).migrateToLatest();
    if (error) throw new Error('nonce store migration failed', { cause: error });
    const c = this.conn;
    const st: Omit<Statements, 'batch'> = {
      newer: c.prepare('SELECT id, key_id AS keyId, nonce, expires_at AS expiresAt FROM nonce_log WHERE id > ? ORDER BY id'),
      append: c.prepare('INSERT INTO nonce_log (key_id, nonce, expires_at) VALUES (?, ?, ?)'),
      prune: c.prepare('DELETE FROM nonce_log WHERE id <= ? AND id < (SELECT max(id) FROM nonce_log)'),
      count: c.prepare<[], number>('SELECT count(*) FROM nonce_log').pluck(),
    };
    const batch = c.transaction((plan: NonceBatchPlan) => {
      this.window.add(st.newer.all(this.window.lastId));
      const won = this.window.decide(plan);
      const added: NonceLogRow[] = [];
      won.forEach((w, i) => {
        if (!w) return;
        const r = plan.rows[plan.rowOf[i]!]!;
        added.push({ id: Number(st.append.run(r.keyId, r.nonce, r.expiresAt).lastInsertRowid), keyId: r.keyId, nonce: r.nonce, expiresAt: r.expiresAt });
      });
      if (plan.now - this.lastPrune >= PRUNE_INTERVAL_MS) {
        this.lastPrune = plan.now;
        const upTo = this.window.prunableUpTo(plan.now);
        if (upTo !== undefined) st.prune.run(upTo);
      }
      return { won, added };
    });
    this.st = { ...st, batch: (plan) => batch.immediate(plan) };
  }

  useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ keyId, nonce, expiresAt, now, done, fail });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the current turn's I/O callbacks, so the requests read meanwhile share the commit.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    let won: boolean[];
    try {
      if (!this.st) throw new Error('nonce log used before migrate()');
      // The log is read in at the first use, not at open: CLI commands open the store too and never use a nonce.
      if (!this.loaded) {
        this.window.add(this.st.newer.iterate(this.window.lastId));
        this.loaded = true;
      }
      const r = this.st.batch(planNonceBatch(batch));
      this.window.add(r.added);
      won = r.won;
    } catch (e) {
      for (const w of batch) w.fail(e);
      return;
    }
    batch.forEach((w, i) => w.done(won[i]!));
  }

  async count(): Promise<number> {
    return this.st!.count.get()!;
  }
}
