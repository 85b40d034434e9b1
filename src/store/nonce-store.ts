/**
 * Where the API's used request nonces are recorded (src/api/auth.ts NonceLedger; Store.nonces).
 * Two implementations, chosen by the backend (the difference is explicit, STYLE habit 8):
 * - NoncesRepo (nonces-repo.ts): one shared table, one INSERT … ON CONFLICT per batch. PostgreSQL:
 *   several serve nodes share it, and the database's primary key decides every race.
 * - SqliteNonceLog (sqlite/sqlite-nonce-log.ts): an append-only log in the nonce file plus its live
 *   window in memory (nonce-window.ts), read up to date under the file's write lock on every batch.
 *
 * Contracts, both:
 * - `useNonce` is atomic: of two callers with the same key id and nonce inside its lifetime,
 *   exactly one gets true, also across processes sharing the database.
 * - When it answers true the record is committed: a crash of this process right after cannot
 *   forget it. (What a host crash keeps is the backend's durability: docs/api.md.)
 * - A recorded nonce whose expiry has passed (expiry <= now) counts as unused, pruned or not.
 */
export interface NonceStore {
  /** Creates or upgrades the nonce tables (run by every process that opens the store, CLI commands too: keep it cheap). */
  migrate(): Promise<void>;
  /** Records that `keyId` used `nonce` until `expiresAt`; false when it is recorded and live at `now` (a replay). */
  useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /** Records currently kept, expired or not (tests and diagnostics). */
  count(): Promise<number>;
}
