/**
 * Group commit of request nonces (NoncesRepo): the pure part. Every useNonce call of one event-loop
 * turn joins one batch, which one INSERT … ON CONFLICT … RETURNING records; the statement's
 * RETURNING rows say which nonces were new.
 *
 * Contracts:
 * - Within a batch the first call with a (key id, nonce) pair is the one that goes to the database;
 *   a later call with the same pair loses at once (exactly one caller can win a nonce, and the
 *   database refuses a statement that would touch one row twice).
 * - `now` of the statement is the smallest of the batch: a row that has expired by then has expired
 *   for every caller of the batch, so a batch never takes over a row a caller could still see live.
 */

export interface NonceRequest {
  keyId: string;
  nonce: string;
  expiresAt: number;
  now: number;
}

export interface NonceBatchPlan {
  /** Distinct pairs to insert, in first-seen order. */
  rows: NonceRequest[];
  /** For every request: the index of its row in `rows`, or -1 when an earlier request of the batch has its pair. */
  rowOf: number[];
  /** `now` for the whole statement: the smallest of the batch. */
  now: number;
}

export const nonceKey = (keyId: string, nonce: string): string => `${keyId}\u0000${nonce}`;

export function planNonceBatch(reqs: readonly NonceRequest[]): NonceBatchPlan {
  const seen = new Map<string, number>();
  const rows: NonceRequest[] = [];
  const rowOf: number[] = [];
  let now = Infinity;
  for (const r of reqs) {
    now = Math.min(now, r.now);
    const k = nonceKey(r.keyId, r.nonce);
    if (seen.has(k)) {
      rowOf.push(-1);
      continue;
    }
    seen.set(k, rows.length);
    rowOf.push(rows.length);
    rows.push(r);
  }
  return { rows, rowOf, now };
}

/** Which requests won their nonce: those whose row the statement returned (inserted or taken over). */
export function decideNonceBatch(plan: NonceBatchPlan, returned: ReadonlyArray<{ key_id: string; nonce: string }>): boolean[] {
  const won = new Set(returned.map((r) => nonceKey(r.key_id, r.nonce)));
  return plan.rowOf.map((i) => i >= 0 && won.has(nonceKey(plan.rows[i]!.keyId, plan.rows[i]!.nonce)));
}
