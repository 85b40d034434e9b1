/**
 * Waiters: poll until a task or an instance reaches the state asked for. Each takes a timeout and
 * a progress callback (called on every poll). A task in ERROR, an instance in ERROR, or a
 * resource that disappears fails with code WaitFailed and says which; the deadline with WaitTimeout.
 */
import { CLIENT_CODES, OpenRDSError } from './errors.js';
import type { WaitKind } from '../contract/types.js';

export interface WaitProgress {
  /** What is waited for: `task <id>` or `instance <uuid>`. */
  subject: string;
  /** Task: NEW/DOING/FINISH/ERROR; instance: its Status, or `deleted`. */
  status: string;
  /** The task's current step (DescribeTask StepName), '' when none. */
  step: string;
  stepsDone?: number;
  stepCount?: number;
  elapsedMs: number;
}

export interface WaitOptions {
  /** Default 30 minutes. */
  timeoutMs?: number;
  /** Between polls; default 1000 ms. */
  intervalMs?: number;
  onProgress?: (p: WaitProgress) => void;
}

/** The calls the waiters make (the OpenRDS client; a fake in unit tests). */
export interface WaitApi {
  describeTask(p: { TaskId: string }): Promise<{ Status: string; ErrorMessage: string; StepName?: string; StepsDone?: number; StepCount?: number }>;
  describeDBInstances(p: { InstanceUuid: string }): Promise<Array<{ Status: string; StatusDetail: string }>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(subject: string, o: WaitOptions, once: (elapsedMs: number) => Promise<T | undefined>): Promise<T> {
  const t0 = Date.now();
  const timeout = o.timeoutMs ?? 30 * 60_000;
  for (;;) {
    const done = await once(Date.now() - t0);
    if (done !== undefined) return done;
    if (Date.now() - t0 >= timeout) throw new OpenRDSError(CLIENT_CODES.timeout, `timed out after ${Math.round(timeout / 1000)} s waiting for ${subject}`);
    await sleep(o.intervalMs ?? 1000);
  }
}

const gone = (e: unknown) => e instanceof OpenRDSError && e.code === 'ResourceNotFound';

export function waitForTask(api: WaitApi, taskId: string, o: WaitOptions = {}) {
  const subject = `task ${taskId}`;
  return poll(subject, o, async (elapsedMs) => {
    let t;
    try {
      t = await api.describeTask({ TaskId: taskId });
    } catch (e) {
      if (gone(e)) throw new OpenRDSError(CLIENT_CODES.waitFailed, `${subject} no longer exists`, { cause: e });
      throw e;
    }
    o.onProgress?.({ subject, status: t.Status, step: t.StepName ?? '', stepsDone: t.StepsDone, stepCount: t.StepCount, elapsedMs });
    if (t.Status === 'ERROR') throw new OpenRDSError(CLIENT_CODES.waitFailed, `${subject} failed: ${t.ErrorMessage || 'no message'}`);
    return t.Status === 'FINISH' ? t : undefined;
  });
}

export function waitUntilRunning(api: WaitApi, uuid: string, o: WaitOptions = {}) {
  const subject = `instance ${uuid}`;
  return poll(subject, o, async (elapsedMs) => {
    let list;
    try {
      list = await api.describeDBInstances({ InstanceUuid: uuid });
    } catch (e) {
      if (gone(e)) throw new OpenRDSError(CLIENT_CODES.waitFailed, `${subject} is gone: it was deleted (or never existed) while waiting for RUNNING`, { cause: e });
      throw e;
    }
    const i = list[0]!;
    o.onProgress?.({ subject, status: i.Status, step: i.StatusDetail, elapsedMs });
    if (i.Status === 'ERROR') throw new OpenRDSError(CLIENT_CODES.waitFailed, `${subject} is in ERROR: ${i.StatusDetail || 'no detail'}`);
    return i.Status === 'RUNNING' ? i : undefined;
  });
}

export function waitUntilDeleted(api: WaitApi, uuid: string, o: WaitOptions = {}): Promise<void> {
  const subject = `instance ${uuid}`;
  return poll(subject, o, async (elapsedMs) => {
    try {
      const i = (await api.describeDBInstances({ InstanceUuid: uuid }))[0]!;
      o.onProgress?.({ subject, status: i.Status, step: i.StatusDetail, elapsedMs });
      if (i.Status === 'ERROR') throw new OpenRDSError(CLIENT_CODES.waitFailed, `${subject} is in ERROR: ${i.StatusDetail || 'no detail'}`);
      return undefined;
    } catch (e) {
      if (!gone(e)) throw e;
      o.onProgress?.({ subject, status: 'deleted', step: '', elapsedMs });
      return true;
    }
  }).then(() => undefined);
}

/**
 * What an asynchronous action's answer is waited for with (its contract's `wait`): the task,
 * then the instances it made RUNNING, the instance RUNNING again, or the instance gone.
 */
export async function waitForAction(api: WaitApi, kind: WaitKind, params: Record<string, unknown>, answer: { TaskId: string; Data: unknown }, o: WaitOptions = {}): Promise<void> {
  if (answer.TaskId) await waitForTask(api, answer.TaskId, o);
  const uuid = typeof params.InstanceUuid === 'string' ? params.InstanceUuid : undefined;
  switch (kind) {
    case 'instances-running':
      for (const u of (answer.Data as { InstancesUuid?: string[] }).InstancesUuid ?? []) await waitUntilRunning(api, u, o);
      return;
    case 'instance-running':
      if (uuid) await waitUntilRunning(api, uuid, o);
      return;
    case 'instance-deleted':
      if (uuid) await waitUntilDeleted(api, uuid, o);
      return;
    case 'task':
      return;
  }
}
