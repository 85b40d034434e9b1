/**
 * Pure: whether a failed attempt is tried again, and after how long.
 *
 * - A request that never left (connection refused, name not resolved): always safe to retry,
 *   the server cannot have run it.
 * - Other network failures (reset, timeout) and 5xx answers leave the outcome unknown: the
 *   action may have run. Only reads (contracts marked `idempotent`) are retried then; a create
 *   or delete is not, since a second CreateDBInstance would make a second instance. The caller
 *   gets the error and decides (e.g. DescribeDBInstances by name, then retry).
 * - 503 ServiceUnavailable says the action did not run (a node that is not serving): retried.
 * - 4xx never: the same request gets the same answer.
 * Every attempt is signed anew (fresh nonce and timestamp): a nonce is used once.
 */

/** Node error codes of a request that was never sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export type Failure =
  | { kind: 'network'; errno?: string }
  | { kind: 'http'; status: number; code?: string };

export interface RetryPolicy {
  /** Attempts in all, the first included (default 4). */
  maxAttempts: number;
  /** First delay; doubled on each retry, with up to 50 % jitter (default 200 ms). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000 };

export function isNotSent(errno: string | undefined): boolean {
  return errno !== undefined && NOT_SENT.has(errno);
}

/** Delay before attempt `attempt + 1` (attempt counts from 1), or undefined: do not retry. */
export function retryDelay(f: Failure, idempotent: boolean, attempt: number, policy: RetryPolicy = DEFAULT_RETRY, random = Math.random): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const retry = f.kind === 'network'
    ? isNotSent(f.errno) || idempotent
    : f.status === 503 || (f.status >= 500 && idempotent);
  if (!retry) return undefined;
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (1 + random() / 2));
}
