/**
 * The live nonces of an append-only nonce log, in memory (SqliteNonceLog): the pure part.
 *
 * The log is a table of rows (id, key id, nonce, expires at) with sequential ids; a row never
 * changes, a nonce used again after its expiry is a new row. This window holds what the rows up to
 * `lastId` say: for every (key id, nonce) the latest expiry, and which ids may be deleted once
 * their rows have expired. It is a derived copy of the log, never more: the adapter adds a row
 * only after it was read from, or committed to, the log.
 *
 * Contracts:
 * - `isLive(key, now)`: the latest recorded expiry of `key` is after `now` (an expiry equal to
 *   `now` has passed: the same rule as the shared table's `expires_at <= now` takeover).
 * - `decide(plan)`: for every request of a batch, whether it wins its nonce at `plan.now`: the first
 *   request with a pair that is not live wins; a later one of the same batch loses (nonce-batch.ts).
 * - `prunableUpTo(now)`: the largest id such that every row with an id up to it has expired at
 *   `now` (undefined if none): deleting those rows forgets nothing live. Entries of expired nonces
 *   leave the map on the way. Rows arrive roughly in expiry order (a fixed lifetime from the
 *   server's clock); a row out of order only holds back the pruning of later ones until it expires.
 */
import { nonceKey, type NonceBatchPlan } from './nonce-batch.js';

export interface NonceLogRow {
  id: number;
  keyId: string;
  nonce: string;
  expiresAt: number;
}

export class NonceWindow {
  /** key → latest expiry, in insertion order (a re-used nonce moves to the end). */
  private readonly live = new Map<string, number>();
  /** [id, expiresAt] of the rows, in id order; `head` is the first not yet pruned. */
  private marks: number[] = [];
  private head = 0;
  /** The highest id read or written; the next read of the log starts after it. */
  lastId = 0;

  get size(): number {
    return this.live.size;
  }

  isLive(keyId: string, nonce: string, now: number): boolean {
    const exp = this.live.get(nonceKey(keyId, nonce));
    return exp !== undefined && exp > now;
  }

  /** Adds rows in id order (read from the log, or just committed to it). */
  add(rows: Iterable<NonceLogRow>): void {
    for (const r of rows) {
      if (r.id <= this.lastId) continue; // already seen
      const k = nonceKey(r.keyId, r.nonce);
      this.live.delete(k);
      this.live.set(k, r.expiresAt);
      this.marks.push(r.id, r.expiresAt);
      this.lastId = r.id;
    }
  }

  /** Which requests of the batch win: per request, as planNonceBatch's `rowOf` orders them. */
  decide(plan: NonceBatchPlan): boolean[] {
    const rowWins = plan.rows.map((r) => !this.isLive(r.keyId, r.nonce, plan.now));
    return plan.rowOf.map((i) => i >= 0 && rowWins[i]!);
  }

  prunableUpTo(now: number): number | undefined {
    let upTo: number | undefined;
    while (this.head < this.marks.length && this.marks[this.head + 1]! <= now) {
      upTo = this.marks[this.head];
      this.head += 2;
    }
    if (this.head > 4096 && this.head * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.head);
      this.head = 0;
    }
    for (const [k, exp] of this.live) {
      if (exp > now) break;
      this.live.delete(k);
    }
    return upTo;
  }
}
