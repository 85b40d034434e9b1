/**
 * This serve node in the cluster (docs/cluster.md): its member row and heartbeat, and the
 * background loops it runs only while it holds their leases.
 *
 * Every TIMING.tickMs one store transaction (ClusterRepo.tick) heartbeats, takes or renews the
 * lease of every registered loop that is free, expired or already ours, and frees the task leases
 * of members whose heartbeat stopped. Then decideLoops() says which loops to start and stop here.
 * A node that cannot reach the store stops its loops before its leases can have run out on the
 * database's clock, so two owners never run one loop at once.
 *
 * Loop scopes: `host` loops (node watchdog, disk guard, metrics collector) act on this host's
 * database processes and have one owner per host (lease `name@host`); `global` loops (HA monitor,
 * backup scheduler, retention) have one owner in all.
 */
import type { Logger } from 'pino';
import type { LoopLease, MemberInfo } from '../store/cluster-repo.js';
import type { Store } from '../store/store.js';
import { fenceOf, type Fence } from './fence.js';

export interface OwnedLoop {
  start(): void;
  stop(): Promise<void>;
}

export type LoopScope = 'host' | 'global';

export interface ClusterTiming {
  /** Heartbeat and lease renewal. */
  tickMs: number;
  /** A loop lease not renewed for this long is free: a killed owner's loop moves in ≤ loopTtlMs + tickMs. */
  loopTtlMs: number;
  /** A member silent for this long is dead: its task leases are freed for other nodes to claim. */
  memberTtlMs: number;
  /** Loops stop this long before the leases they last renewed could run out. */
  fenceMarginMs: number;
  /** A loop fence passes only with at least this much of the lease left (the time to submit a task). */
  loopFenceMs: number;
  /** Dead members' rows are forgotten after this long (kept meanwhile for `openrds members`). */
  forgetAfterMs: number;
}

/**
 * Takeover after a kill -9: the lease runs out ≤ loopTtlMs after its last renewal, and another
 * node's next tick takes it: 3.5–4 s (bench/cluster-failover.ts: median 3.6 s). A node stops its
 * loops loopTtlMs − fenceMarginMs after the last tick it sent was answered, so one stall of the
 * event loop or the store up to ~2 s does not stop them. A member is dead after 5 s without a
 * heartbeat, and a killed node's tasks move then (well before their 15 s lease would run out).
 * It was 10 s while building a datadir template hashed its files synchronously and stalled a
 * serve for up to 17 s on a loaded machine; the hashing and fsyncs are asynchronous now
 * (provisioner/local/templates.ts, bench/template-stall.ts).
 */
export const DEFAULT_TIMING: ClusterTiming = { tickMs: 500, loopTtlMs: 3500, memberTtlMs: 5000, fenceMarginMs: 1000, loopFenceMs: 250, forgetAfterMs: 10 * 60_000 };

export const loopKey = (name: string, scope: LoopScope, hostId: string) => (scope === 'host' ? `${name}@${hostId}` : name);

/** Pure: which loops to start and which to stop, from the leases the last tick read. A loop runs while its lease is ours. */
export function decideLoops(loops: ReadonlyArray<{ key: string; running: boolean }>, me: string, leases: readonly LoopLease[]): { start: string[]; stop: string[] } {
  const start: string[] = [];
  const stop: string[] = [];
  for (const l of loops) {
    const ours = leases.some((x) => x.name === l.key && x.owner === me);
    if (ours && !l.running) start.push(l.key);
    if (!ours && l.running) stop.push(l.key);
  }
  return { start, stop };
}

interface Registered {
  key: string;
  loop: OwnedLoop;
  running: boolean;
  token: number;
}

export class Membership {
  private readonly loops = new Map<string, Registered>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = true;
  private expiry?: NodeJS.Timeout;
  private ticks = 0;

  /** `taskLeaseMs`: config tasks.leaseMs (ClusterRepo.tick frees only task leases older than the member TTL). */
  constructor(private readonly store: Store, readonly info: MemberInfo, private readonly log: Logger, readonly timing: ClusterTiming = DEFAULT_TIMING, private readonly taskLeaseMs = 0) {}

  get id(): string {
    return this.info.id;
  }

  /** Registers a loop; it runs only while this node holds its lease (from start() on). */
  addLoop(name: string, scope: LoopScope, loop: OwnedLoop): string {
    const key = loopKey(name, scope, this.info.hostId);
    this.loops.set(key, { key, loop, running: false, token: 0 });
    return key;
  }

  /** The check a loop makes before a side effect that a second owner must not repeat. */
  fence(key: string): Fence {
    return fenceOf(`loop ${key}`, async () => {
      const r = this.loops.get(key);
      return !!r?.running && this.store.cluster.holdsLoop(key, this.id, r.token, this.timing.loopFenceMs);
    });
  }

  /** Keys of the loops running here now. */
  owned(): string[] {
    return [...this.loops.values()].filter((r) => r.running).map((r) => r.key);
  }

  /** Registers the member and runs the first tick (its loops start if their leases are free). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, this.timing.tickMs);
  }

  private async tick(): Promise<void> {
    const sent = performance.now();
    let leases: LoopLease[];
    try {
      const r = await this.store.cluster.tick(this.info, [...this.loops.keys()], this.timing.loopTtlMs, this.timing.memberTtlMs, this.taskLeaseMs);
      leases = r.leases;
      if (r.released) this.log.warn({ tasks: r.released }, 'freed the task leases of serve nodes whose heartbeat stopped');
      if (++this.ticks % 120 === 1) await this.store.cluster.pruneMembers(this.timing.forgetAfterMs);
    } catch (err) {
      this.log.warn({ err }, 'cluster heartbeat failed');
      return; // the expiry timer stops the loops before their leases can run out
    }
    if (this.stopped) return;
    this.armExpiry(sent);
    const plan = decideLoops([...this.loops.values()], this.id, leases);
    for (const key of plan.stop) await this.stopLoop(this.loops.get(key)!, 'loop lease lost to another node; loop stopped here');
    for (const l of leases) {
      const r = this.loops.get(l.name);
      if (r && l.owner === this.id) r.token = l.token;
    }
    for (const key of plan.start) {
      const r = this.loops.get(key)!;
      r.running = true;
      this.log.info({ loop: key, token: r.token }, 'loop lease taken; loop runs on this node');
      r.loop.start();
    }
  }

  /**
   * The leases renewed by the tick sent at `sent` last at least loopTtlMs from then on the
   * database's clock: unless a later tick renews them, every loop stops fenceMarginMs before that.
   */
  private armExpiry(sent: number): void {
    clearTimeout(this.expiry);
    const ms = sent + this.timing.loopTtlMs - this.timing.fenceMarginMs - performance.now();
    this.expiry = setTimeout(() => {
      for (const r of this.loops.values()) if (r.running) void this.stopLoop(r, 'store out of reach; loop stopped here until its lease is renewed');
    }, Math.max(0, ms));
  }

  private async stopLoop(r: Registered, why: string): Promise<void> {
    r.running = false;
    this.log.warn({ loop: r.key }, why);
    await r.loop.stop().catch((err) => this.log.error({ err, loop: r.key }, 'loop stop failed'));
  }

  /**
   * SIGTERM: stops ticking and every loop, then gives the loop leases up at once so that another
   * node takes them at its next tick, and removes the member row. The caller frees the task leases
   * after the task runner stopped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    await this.ticking;
    for (const r of this.loops.values()) {
      if (!r.running) continue;
      r.running = false;
      await r.loop.stop().catch((err) => this.log.error({ err, loop: r.key }, 'loop stop failed'));
    }
    await this.store.cluster.releaseLoops(this.id).catch((err) => this.log.warn({ err }, 'could not release the loop leases; they run out by themselves'));
  }

  async leave(): Promise<void> {
    await this.store.cluster.removeMember(this.id).catch((err) => this.log.warn({ err }, 'could not remove the member row; it ages out'));
  }
}
