/** Polling for the integration tests and benchmarks: wait until the system shows what it should. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `f` every `everyMs` until it returns a truthy value, and returns that. An error thrown by
 * `f` counts as "not yet" (a node restarting, a database failing over) and is named in the timeout
 * error if it was the last answer.
 */
export async function pollUntil<T>(f: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 180_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
      last = undefined;
    } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** pollUntil with the description first and errors thrown at once (the archive tests' form). */
export async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}
