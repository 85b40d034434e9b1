/**
 * A value read from the store, kept while the store's change token (Store.backend.changeToken:
 * SQLite's own write counter plus PRAGMA data_version) stays the same, so a background loop
 * re-reads its lists only after something was written. Without a token (PostgreSQL: another node
 * may write at any time) every get() loads.
 */
export class UnchangedCache<T> {
  private token?: string;
  private value?: T;

  async get(changeToken: (() => string) | undefined, load: () => Promise<T>): Promise<T> {
    const t = changeToken?.();
    if (t !== undefined && t === this.token && this.value !== undefined) return this.value;
    const v = await load();
    // Kept only if nothing was written while it loaded (the token is read again).
    if (t !== undefined && changeToken!() === t) {
      this.token = t;
      this.value = v;
    } else {
      this.token = undefined;
      this.value = undefined;
    }
    return v;
  }
}
