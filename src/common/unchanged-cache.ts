/**
 * A value read from the store, kept while the store's change token for the tables it was read
 * from (StoreBackend.changeToken: SQLite's per-table write counters plus PRAGMA data_version)
 * stays the same, so a background loop re-reads its lists only after one of those tables was
 * written: the archiver's stream rows, written every few seconds per instance, leave the
 * instance lists of the other loops cached. Without a token (PostgreSQL: another node may write
 * at any time) every get() loads.
 */
import type { StoreBackend, TableName } from '../store/store.js';

export class UnchangedCache<T> {
  private token?: string;
  private value?: T;

  /** `tables`: every table the loader reads. A table left out makes the cache serve stale rows. */
  constructor(private readonly tables: readonly TableName[]) {}

  async get(backend: Pick<StoreBackend, 'changeToken'>, load: () => Promise<T>): Promise<T> {
    const token = backend.changeToken ? () => backend.changeToken!(this.tables) : undefined;
    const t = token?.();
    if (t !== undefined && t === this.token && this.value !== undefined) return this.value;
    const v = await load();
    // Kept only if nothing was written while it loaded (the token is read again).
    if (t !== undefined && token!() === t) {
      this.token = t;
      this.value = v;
    } else {
      this.token = undefined;
      this.value = undefined;
    }
    return v;
  }
}
