/**
 * Used request nonces in one shared table (schema.ts NonceTable), for the API's replay check
 * (src/api/auth.ts): the NonceStore of PostgreSQL, where several serve nodes share the table
 * (SQLite has its own: sqlite/sqlite-nonce-log.ts). Contracts: nonce-store.ts. Atomic across
 * processes by one INSERT … ON CONFLICT, decided by the primary key, never a read followed by a write.
 *
 * Group commit: the calls of one event-loop turn share one statement and one commit (nonce-batch.ts
 * decides who won), and the next batch waits for the one in flight, so under load each commit
 * carries as many nonces as requests arrived meanwhile. Measured in bench/RESULTS.md (section 2g).
 */
import { Kysely, Migrator } from 'kysely';
import { NONCE_MIGRATION_TABLES, nonceMigrationProvider } from './migrations/index.js';
import { decideNonceBatch, planNonceBatch, type NonceRequest } from './nonce-batch.js';
import { preparedResult } from './prepared.js';
import type { NonceStore } from './nonce-store.js';
import type { NonceDatabase } from './schema.js';

/** Pruning runs at most this often, so each run deletes about one interval's worth of rows. */
const PRUNE_INTERVAL_MS = 1000;
/** Most nonces in one statement (3 parameters each: far below any backend's parameter limit). */
export const MAX_NONCE_BATCH = 64;

type Waiter = NonceRequest & { done(won: boolean): void; fail(e: unknown): void };
type BatchInsert = (...args: Array<string | number>) => Promise<{ rows: Array<{ key_id: string; nonce: string }> }>;

export class NoncesRepo implements NonceStore {
  private readonly inserts = new Map<number, BatchInsert>();
  private readonly prune: (now: number) => Promise<unknown>;
  private lastPrune = 0;
  private queue: Waiter[] = [];
  private scheduled = false;
  private inFlight = false;

  constructor(readonly db: Kysely<NonceDatabase>) {
    this.prune = preparedResult(db, 1, (now: number) => db.deleteFrom('nonces').where('expires_at', '<=', now));
  }

  /** The statement for `n` rows (built once per size): args are n × (key, nonce, expiresAt), then now. */
  private insertOf(n: number): BatchInsert {
    let f = this.inserts.get(n);
    if (!f) {
      // An expired leftover row is taken over (the WHERE of DO UPDATE); a live one is not returned.
      f = preparedResult(this.db, 3 * n + 1, (...a: Array<string | number>) =>
        this.db.insertInto('nonces')
          .values(Array.from({ length: n }, (_, i) => ({ key_id: a[3 * i] as string, nonce: a[3 * i + 1] as string, expires_at: a[3 * i + 2] as number })))
          .onConflict((oc) => oc.columns(['key_id', 'nonce'])
            .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
            .where('nonces.expires_at', '<=', a[3 * n] as number))
          .returning(['key_id', 'nonce'])) as BatchInsert;
      this.inserts.set(n, f);
    }
    return f;
  }

  async migrate(): Promise<void> {
    const { error } = await new Migrator({ db: this.db, provider: nonceMigrationProvider, ...NONCE_MIGRATION_TABLES }).migrateToLatest();
    if (error) throw new Error('nonce store migration failed', { cause: error });
  }

  /**
   * Records that `keyId` used `nonce`, valid until `expiresAt`. False when it was already recorded
   * and has not expired at `now` (a replay). Expired rows are pruned on the way, at most once a second.
   */
  useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ keyId, nonce, expiresAt, now, done, fail });
      this.schedule();
    });
  }

  /** After the current turn's I/O callbacks (setImmediate), so the requests read meanwhile join. */
  private schedule(): void {
    if (this.scheduled || this.inFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_NONCE_BATCH);
    this.inFlight = true;
    try {
      const plan = planNonceBatch(batch);
      if (plan.now - this.lastPrune >= PRUNE_INTERVAL_MS) {
        this.lastPrune = plan.now;
        await this.prune(plan.now);
      }
      const args: Array<string | number> = [];
      for (const r of plan.rows) args.push(r.keyId, r.nonce, r.expiresAt);
      args.push(plan.now);
      const { rows } = await this.insertOf(plan.rows.length)(...args);
      const won = decideNonceBatch(plan, rows);
      batch.forEach((w, i) => w.done(won[i]!));
    } catch (e) {
      for (const w of batch) w.fail(e);
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }

  /** Rows currently recorded, expired or not (tests and diagnostics). */
  async count(): Promise<number> {
    const r = await this.db.selectFrom('nonces').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
