/**
 * A background loop: runOnce() now, then again intervalMs() after each round ends (rounds never
 * overlap). A failed round is logged and the loop goes on. stop() waits for the round in flight.
 * Extended by the node watchdog, the disk guard, the HA monitor and the backup scheduler.
 */
import type { Logger } from 'pino';

export abstract class PeriodicLoop {
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = true;

  protected constructor(private readonly what: string, protected readonly log: Logger) {}

  /** Read at every round, so a changed setting takes effect at the next one. */
  protected abstract intervalMs(): number;
  abstract runOnce(): Promise<void>;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      this.round = this.runOnce()
        .catch((err) => this.log.error({ err }, `${this.what} round failed`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs());
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }
}
