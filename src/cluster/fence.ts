/**
 * Fencing (docs/cluster.md "Tokens"): a lease carries a token, +1 whenever it changes hands. A
 * holder checks it right before a side effect that must never happen twice (kill, fence, promote,
 * endpoint move, a failover submitted by the HA monitor); after a pause or a lost database it finds
 * the lease gone and stops instead of acting.
 */

/** The lease was taken over (or cannot be confirmed): the holder must stop at once, changing nothing more. */
export class FencedError extends Error {
  readonly nonRetryable = true;
  constructor(what: string) {
    super(`${what}: this node no longer holds the lease (taken over by another node, or the store is out of reach)`);
    this.name = 'FencedError';
  }
}

export interface Fence {
  /** Resolves while the lease is still held under the token it was taken with; else throws FencedError. */
  assert(): Promise<void>;
}

/** A fence from a check against the store; a check that fails (no database) counts as lost. */
export function fenceOf(what: string, holds: () => Promise<boolean>, onLost?: () => void): Fence {
  return {
    async assert() {
      let ok = false;
      try {
        ok = await holds();
      } catch (e) {
        onLost?.();
        throw Object.assign(new FencedError(what), { cause: e });
      }
      if (!ok) {
        onLost?.();
        throw new FencedError(what);
      }
    },
  };
}

/** A fence that always holds: tests and callers outside a task. */
export const NO_FENCE: Fence = { assert: async () => {} };
