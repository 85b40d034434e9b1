/**
 * Used request nonces (schema.ts NonceTable), for the API's replay check (src/api/auth.ts).
 *
 * Contracts:
 * - `useNonce` is atomic: of two callers with the same key id and nonce inside its lifetime,
 *   exactly one gets true, also across processes sharing the database (one INSERT … ON CONFLICT,
 *   decided by the primary key, never a read followed by a write).
 * - When it answers true the record is committed: a crash right after cannot forget it.
 * - A recorded nonce whose `expires_at` has passed counts as unused, whether or not it was pruned yet.
 */
import { Kysely, Migrator } from 'kysely';
import { NONCE_MIGRATION_TABLES, nonceMigrationProvider } from './migrations/index.js';
import { preparedResult } from './prepared.js';
import type { NonceDatabase } from './schema.js';

/** Pruning runs at most this often, so each run deletes about one interval's worth of rows. */
const PRUNE_INTERVAL_MS = 1000;

export class NoncesRepo {
  private readonly insert: (keyId: string, nonce: string, expiresAt: number, now: number) => Promise<{ numAffectedRows?: bigint }>;
  private readonly prune: (now: number) => Promise<unknown>;
  private lastPrune = 0;

  constructor(readonly db: Kysely<NonceDatabase>) {
    // An expired leftover row is taken over (the WHERE of DO UPDATE); a live one makes 0 rows change.
    this.insert = preparedResult(db, 4, (keyId: string, nonce: string, expiresAt: number, now: number) =>
      db.insertInto('nonces').values({ key_id: keyId, nonce, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['key_id', 'nonce'])
          .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
          .where('nonces.expires_at', '<=', now)));
    this.prune = preparedResult(db, 1, (now: number) => db.deleteFrom('nonces').where('expires_at', '<=', now));
  }

  async migrate(): Promise<void> {
    const { error } = await new Migrator({ db: this.db, provider: nonceMigrationProvider, ...NONCE_MIGRATION_TABLES }).migrateToLatest();
    if (error) throw new Error('nonce store migration failed', { cause: error });
  }

  /**
   * Records that `keyId` used `nonce`, valid until `expiresAt`. False when it was already recorded
   * and has not expired at `now` (a replay). Expired rows are pruned on the way, at most once a second.
   */
  async useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now - this.lastPrune >= PRUNE_INTERVAL_MS) {
      this.lastPrune = now;
      await this.prune(now);
    }
    const r = await this.insert(keyId, nonce, expiresAt, now);
    return Number(r.numAffectedRows ?? 0n) === 1;
  }

  /** Rows currently recorded, expired or not (tests and diagnostics). */
  async count(): Promise<number> {
    const r = await this.db.selectFrom('nonces').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
