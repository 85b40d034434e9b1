/**
 * Durable tasks: a row per task, a list of idempotent steps, a lease held by the worker.
 * Status values are the CDS DescribeTask ones (spec §2.4). See docs/state-machines.md.
 */
import type { Logger } from 'pino';
import type { Services } from '../services.js';
import type { Task } from '../store/store.js';
import type { Fence } from '../cluster/fence.js';

export const TaskStatus = { NEW: 'NEW', DOING: 'DOING', FINISH: 'FINISH', ERROR: 'ERROR' } as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  NEW: ['DOING'],
  DOING: ['DOING', 'FINISH', 'ERROR'], // DOING→DOING: another worker takes over an expired lease
  FINISH: [],
  ERROR: [],
};

/** A failure that retrying cannot fix; the task goes to ERROR at once. */
export class NonRetryableError extends Error {
  readonly nonRetryable = true;
}

export interface StepContext<P = Record<string, unknown>> {
  task: Task;
  params: P;
  /** Scratch state persisted after each step; survives a crash of the control plane. */
  state: Record<string, unknown>;
  svc: Services;
  log: Logger;
  /**
   * The task's lease check: `await ctx.fence.assert()` right before a side effect that must never
   * happen twice (kill, fence, promote, endpoint move). Throws FencedError once another node took
   * the task over; the runner then stops the task here without writing anything (docs/cluster.md).
   */
  fence: Fence;
}

export interface Step<P = Record<string, unknown>> {
  name: string;
  /** Must be idempotent: it may run again after a crash, even if it had finished. */
  run(ctx: StepContext<P>): Promise<void>;
}

export interface TaskDefinition<P = Record<string, unknown>> {
  type: string;
  steps: Step<P>[];
  /** Compensation after the task failed for good. Must be idempotent too. */
  onError?(ctx: StepContext<P>, error: Error): Promise<void>;
}
