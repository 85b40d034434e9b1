/**
 * A background loop: runs `body` now, then again `intervalMs` after each round ends (rounds never
 * overlap). A failed round is logged and the loop goes on. stop() waits for the round in flight.
 * Used by the node watchdog, the disk guard, the HA monitor and the backup scheduler.
 */
import type { Logger } from 'pino';

export class PeriodicLoop {
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly what: string,
    private readonly intervalMs: () => number,
    private readonly body: () => Promise<void>,
    private readonly log: Pick<Logger, 'error'>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      this.round = this.body()
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
