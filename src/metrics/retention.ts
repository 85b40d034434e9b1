/**
 * The retention job: every `metrics.retentionIntervalMs` it deletes the points each series has
 * kept longer than its retention (rollup.ts: 30 s 1 d, 60 s 15 d, 300 s 31 d, 3600 s 62 d),
 * the series of deleted instances, and the saved readings of nodes that no longer exist. So the
 * store holds at most ~35,000 points per instance whatever the uptime (docs/monitoring.md).
 *
 * Deletes go series by series (primary-key ranges, ~ms each) with a yield in between, so the
 * API keeps answering while a large backlog (after a long downtime) is removed.
 */
import type { Logger } from 'pino';
import type { Clock } from '../services.js';
import type { Store } from '../store/store.js';
import { retentionCutoffs } from './rollup.js';

export interface RetentionResult {
  points: number;
  series: number;
  readings: number;
}

const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

/** A deleted instance's series goes this long after the deletion (a round in flight may still write). */
export const ORPHAN_MARGIN_MS = 60_000;

/** One pass at time `now`. */
export async function applyRetention(store: Store, now: number): Promise<RetentionResult> {
  const out: RetentionResult = { points: 0, series: 0, readings: 0 };
  const cutoffs = retentionCutoffs(now);
  for (const s of await store.metrics.listSeries()) {
    for (const c of cutoffs) out.points += await store.metrics.deletePointsBefore(s.id, c.period, c.before);
    await yieldToIo();
  }
  for (const s of await store.metrics.orphanSeries(now - ORPHAN_MARGIN_MS)) {
    out.points += await store.metrics.dropSeries(s.id, s.instance_uuid);
    out.series++;
    await yieldToIo();
  }
  out.readings = await store.metrics.dropStaleReadings();
  return out;
}

export class RetentionJob {
  private timer?: NodeJS.Timeout;
  private pass?: Promise<unknown>;
  private stopped = true;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly everyMs: number, private readonly log: Logger) {}

  /** Runs a first pass soon after start, then every `everyMs`. */
  start(): void {
    this.stopped = false;
    this.schedule(5_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const t0 = performance.now();
      this.pass = applyRetention(this.store, this.clock.now())
        .then((r) => {
          if (r.points || r.series || r.readings) this.log.info({ ...r, ms: Math.round(performance.now() - t0) }, 'old metric points deleted');
        })
        .catch((err) => this.log.error({ err }, 'metrics retention pass failed'))
        .finally(() => this.schedule(this.everyMs));
    }, delayMs);
  }
}
