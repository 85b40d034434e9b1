/**
 * The task runner: claims tasks, runs their steps in order, persists progress after each step,
 * renews its lease while a step runs, and retries failed steps with backoff. A control plane
 * killed at any point resumes every unfinished task at its first unfinished step.
 *
 * Several serve nodes (docs/cluster.md): a claim sets the lease on the database's clock and takes
 * the task's lease token; every progress write and `ctx.fence.assert()` checks owner and token, so
 * a node whose lease was taken over stops the task as soon as it notices and writes nothing more.
 * Each attempt of a step is recorded in the step log (task_steps). Submissions on another node
 * wake the loop through the store's announcements (PostgreSQL NOTIFY); the 500 ms poll stays as
 * the fallback.
 */
import type { Logger } from 'pino';
import { FencedError, fenceOf } from '../cluster/fence.js';
import { pauseHere, STEP_PAUSE_ENV } from '../common/test-pause.js';
import type { Services } from '../services.js';
import type { Task } from '../store/store.js';
import { TaskStatus, type StepContext, type TaskDefinition } from './task.js';

const POLL_MS = 500;

export class TaskRunner {
  private readonly defs = new Map<string, TaskDefinition<any>>();
  private readonly inflight = new Map<string, Promise<void>>();
  private running = false;
  private wake?: () => void;
  private woken = false;
  private loopDone?: Promise<void>;
  private unlisten?: () => Promise<void>;

  constructor(private readonly svc: Services, private readonly owner: string, private readonly log: Logger) {}

  register(def: TaskDefinition<any>): void {
    this.defs.set(def.type, def);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlisten = this.svc.store.onTasksAnnounced(() => this.kick());
    this.loopDone = this.loop();
  }

  /** Stops claiming; waits up to `graceMs` for running steps, then leaves them to a later owner. */
  async stop(graceMs = 2000): Promise<void> {
    this.running = false;
    this.kick();
    await this.unlisten?.();
    await Promise.race([
      Promise.allSettled([this.loopDone, ...this.inflight.values()]),
      new Promise((r) => setTimeout(r, graceMs)),
    ]);
  }

  /** Wakes the loop now (called after a task is submitted, here or on another node). */
  kick(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Resolves when no task is in flight in this process (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight.values()]);
  }

  private async loop(): Promise<void> {
    const { concurrency, leaseMs } = this.svc.config.tasks;
    while (this.running) {
      this.woken = false;
      try {
        const free = concurrency - this.inflight.size;
        if (free > 0) {
          const tasks = await this.svc.store.claimTasks(this.owner, this.svc.config.hostId, leaseMs, free, this.svc.clock.now());
          for (const t of tasks) {
            const p = this.execute(t)
              .catch((err) => this.log.error({ err, taskId: t.id }, 'task stopped on an error; it resumes when its lease runs out'))
              .finally(() => this.inflight.delete(t.id));
            this.inflight.set(t.id, p);
          }
        }
      } catch (e) {
        this.log.error({ err: e }, 'claiming tasks failed');
      }
      if (this.woken || !this.running) continue; // a kick during the claim: claim again at once
      await new Promise<void>((r) => {
        const timer = setTimeout(r, POLL_MS);
        this.wake = () => { clearTimeout(timer); r(); };
      });
      this.wake = undefined;
    }
  }

  private async execute(task: Task): Promise<void> {
    const def = this.defs.get(task.type);
    const token = task.lease_token;
    const log = this.log.child({ taskId: task.id, taskType: task.type, instance: task.instance_uuid, token });
    const { store } = this.svc;
    if (!def) {
      log.error('no definition for task type');
      await this.finish(task, token, TaskStatus.ERROR, `unknown task type ${task.type}`, log);
      return;
    }
    const { leaseMs, stepRetries } = this.svc.config.tasks;
    let lost = false;
    const fence = fenceOf(`task ${task.id}`, () => store.holdsTask(task.id, this.owner, token, Math.floor(leaseMs / 3)), () => { lost = true; });
    const ctx: StepContext = { task, params: JSON.parse(task.params), state: JSON.parse(task.state), svc: this.svc, log, fence };
    const renew = setInterval(() => {
      store.renewLease(task.id, this.owner, token, leaseMs)
        .then((ok) => {
          if (ok || lost) return;
          lost = true;
          log.warn('lease taken over by another node; stopping this task here');
        })
        .catch((err) => log.warn({ err }, 'lease renewal failed'));
    }, Math.max(200, Math.floor(leaseMs / 3)));
    try {
      for (let i = task.step; i < def.steps.length; i++) {
        const step = def.steps[i]!;
        let attempt = 0;
        for (;;) {
          if (lost || !this.running) return; // another owner has it, or we are shutting down
          try {
            await store.cluster.stepStarted({ taskId: task.id, token, step: i, attempt, name: step.name, owner: this.owner });
            log.info({ step: step.name, attempt }, 'step start');
            const t0 = Date.now();
            await step.run(ctx);
            log.info({ step: step.name, ms: Date.now() - t0 }, 'step done');
            await pauseHere(STEP_PAUSE_ENV, (name) => name === step.name, () => log.info({ step: step.name }, 'step paused'));
            await store.cluster.stepEnded(task.id, token, i, attempt, 'done').catch((err) => log.warn({ err }, 'step log not written'));
            break;
          } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            if (err instanceof FencedError || lost) {
              lost = true;
              log.warn({ step: step.name, err }, 'fenced: the task is another node\'s now; stopping it here');
              await store.cluster.stepEnded(task.id, token, i, attempt, 'fenced').catch(() => {});
              return;
            }
            await store.cluster.stepEnded(task.id, token, i, attempt, 'failed').catch(() => {});
            // A store out of reach is no fault of the step: wait without spending an attempt.
            const unavailable = store.isUnavailable(err);
            const final = !unavailable && ((err as { nonRetryable?: boolean }).nonRetryable === true || attempt >= stepRetries);
            log.warn({ step: step.name, attempt, err }, final ? 'step failed for good' : 'step failed, will retry');
            if (final) {
              await this.fail(def, ctx, token, err, log);
              return;
            }
            if (!unavailable) attempt++;
            await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** Math.max(0, attempt - 1), 8000)));
          }
        }
        const ok = await this.saveProgress(task, token, i + 1, ctx, log);
        if (!ok) return;
      }
      await this.finish(task, token, TaskStatus.FINISH, '', log);
    } finally {
      clearInterval(renew);
    }
  }

  /** Writes the next step index; retried while the store is out of reach; false when fenced or stopping. */
  private async saveProgress(task: Task, token: number, next: number, ctx: StepContext, log: Logger): Promise<boolean> {
    for (;;) {
      try {
        const ok = await this.svc.store.saveTaskProgress(task.id, this.owner, token, {
          step: next, state: JSON.stringify(ctx.state), updated_at: this.svc.clock.now(),
        });
        if (!ok) log.warn('progress refused: the lease was taken over; stopping this task here');
        return ok;
      } catch (err) {
        if (!this.svc.store.isUnavailable(err) || !this.running) throw err;
        log.warn({ err }, 'store out of reach; progress will be written when it is back');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async fail(def: TaskDefinition, ctx: StepContext, token: number, err: Error, log: Logger): Promise<void> {
    try {
      await ctx.fence.assert(); // compensation is a side effect too
      await def.onError?.(ctx, err);
    } catch (e) {
      if (e instanceof FencedError) {
        log.warn('fenced before compensation; the task is another node\'s now');
        return;
      }
      log.error({ err: e }, 'compensation failed');
    }
    await this.finish(ctx.task, token, TaskStatus.ERROR, err.message, log);
  }

  private async finish(task: Task, token: number, status: TaskStatus, error: string, log: Logger): Promise<void> {
    const now = this.svc.clock.now();
    const ok = await this.svc.store.saveTaskProgress(task.id, this.owner, token, {
      status, error: error.slice(0, 2000), finished_at: now, updated_at: now, lease_until: null,
    });
    if (!ok) log.warn({ status }, 'finish refused: the lease was taken over; the new owner finishes the task');
    else if (status === TaskStatus.FINISH) log.info('task finished');
  }
}
