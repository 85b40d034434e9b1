/**
 * The task runner: claims tasks, runs their steps in order, persists progress after each step,
 * renews its lease while a step runs, and retries failed steps with backoff. A control plane
 * killed at any point resumes every unfinished task at its first unfinished step.
 */
import type { Logger } from 'pino';
import type { Services } from '../services.js';
import type { Task } from '../store/store.js';
import { TaskStatus, type StepContext, type TaskDefinition } from './task.js';

export class TaskRunner {
  private readonly defs = new Map<string, TaskDefinition<any>>();
  private readonly inflight = new Map<string, Promise<void>>();
  private running = false;
  private wake?: () => void;
  private loopDone?: Promise<void>;

  constructor(private readonly svc: Services, private readonly owner: string, private readonly log: Logger) {}

  register(def: TaskDefinition<any>): void {
    this.defs.set(def.type, def);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops claiming; waits up to `graceMs` for running steps, then leaves them to a later owner. */
  async stop(graceMs = 2000): Promise<void> {
    this.running = false;
    this.kick();
    await Promise.race([
      Promise.allSettled([this.loopDone, ...this.inflight.values()]),
      new Promise((r) => setTimeout(r, graceMs)),
    ]);
  }

  /** Wakes the loop now (called after a task is submitted). */
  kick(): void {
    this.wake?.();
  }

  /** Resolves when no task is in flight in this process (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight.values()]);
  }

  private async loop(): Promise<void> {
    const { concurrency, leaseMs } = this.svc.config.tasks;
    while (this.running) {
      try {
        const free = concurrency - this.inflight.size;
        if (free > 0) {
          const tasks = await this.svc.store.claimTasks(this.owner, this.svc.clock.now(), leaseMs, free);
          for (const t of tasks) {
            const p = this.execute(t).finally(() => this.inflight.delete(t.id));
            this.inflight.set(t.id, p);
          }
        }
      } catch (e) {
        this.log.error({ err: e }, 'claiming tasks failed');
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 500);
        this.wake = () => { clearTimeout(timer); r(); };
      });
    }
  }

  private async execute(task: Task): Promise<void> {
    const def = this.defs.get(task.type);
    const log = this.log.child({ taskId: task.id, taskType: task.type, instance: task.instance_uuid });
    if (!def) {
      log.error('no definition for task type');
      await this.finish(task, TaskStatus.ERROR, `unknown task type ${task.type}`);
      return;
    }
    const ctx: StepContext = { task, params: JSON.parse(task.params), state: JSON.parse(task.state), svc: this.svc, log };
    const { leaseMs, stepRetries } = this.svc.config.tasks;
    let lost = false;
    const renew = setInterval(() => {
      this.svc.store.renewLease(task.id, this.owner, this.svc.clock.now() + leaseMs)
        .then((ok) => { if (!ok) lost = true; })
        .catch((err) => log.warn({ err }, 'lease renewal failed'));
    }, Math.max(200, Math.floor(leaseMs / 3)));
    try {
      for (let i = task.step; i < def.steps.length; i++) {
        const step = def.steps[i]!;
        let attempt = 0;
        for (;;) {
          if (lost || !this.running) return; // another owner has it, or we are shutting down
          try {
            log.info({ step: step.name, attempt }, 'step start');
            const t0 = Date.now();
            await step.run(ctx);
            log.info({ step: step.name, ms: Date.now() - t0 }, 'step done');
            break;
          } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            const final = (err as { nonRetryable?: boolean }).nonRetryable === true || attempt >= stepRetries;
            log.warn({ step: step.name, attempt, err }, final ? 'step failed for good' : 'step failed, will retry');
            if (final) {
              await this.fail(def, ctx, err, log);
              return;
            }
            attempt++;
            await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (attempt - 1), 8000)));
          }
        }
        const ok = await this.svc.store.saveTaskProgress(task.id, this.owner, {
          step: i + 1, state: JSON.stringify(ctx.state), updated_at: this.svc.clock.now(),
        });
        if (!ok) return;
      }
      await this.finish(task, TaskStatus.FINISH, '');
      log.info('task finished');
    } finally {
      clearInterval(renew);
    }
  }

  private async fail(def: TaskDefinition, ctx: StepContext, err: Error, log: Logger): Promise<void> {
    try {
      await def.onError?.(ctx, err);
    } catch (e) {
      log.error({ err: e }, 'compensation failed');
    }
    await this.finish(ctx.task, TaskStatus.ERROR, err.message);
  }

  private async finish(task: Task, status: TaskStatus, error: string): Promise<void> {
    const now = this.svc.clock.now();
    await this.svc.store.saveTaskProgress(task.id, this.owner, {
      status, error: error.slice(0, 2000), finished_at: now, updated_at: now, lease_until: null,
    });
  }
}
