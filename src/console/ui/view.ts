/** What every page of the console is: an element, and what to stop when it is left. */
import type { Api } from './api.js';

export interface View {
  el: HTMLElement;
  /** Stops the view's timers (auto-refresh, polling). */
  dispose(): void;
}

export interface Ctx {
  api: Api;
  /** Navigates (hash routes: #/instances, #/create, #/instance/<uuid>/<tab>). */
  go(hash: string): void;
  /** The console's refresh interval in ms (`?refresh=` on the page URL, default 3000). */
  refreshMs: number;
}

/** Repeats `fn` every `ms` until stopped; one run at a time, the first at once. */
export function every(ms: number, fn: () => Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try { await fn(); } catch { /* the view shows its own errors */ }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  void tick();
  return () => { stopped = true; clearTimeout(timer); };
}

/** Task ids this tab started, per instance, so that an instance page can follow them. */
const TASKS = 'openrds.console.tasks';
export function rememberTask(instanceUuid: string, taskId: string, what: string): void {
  if (!taskId) return;
  const all = JSON.parse(sessionStorage.getItem(TASKS) ?? '{}') as Record<string, Array<{ id: string; what: string; at: number }>>;
  (all[instanceUuid] ??= []).push({ id: taskId, what, at: Date.now() });
  all[instanceUuid] = all[instanceUuid]!.slice(-10);
  sessionStorage.setItem(TASKS, JSON.stringify(all));
}
export function tasksOf(instanceUuid: string): Array<{ id: string; what: string; at: number }> {
  const all = JSON.parse(sessionStorage.getItem(TASKS) ?? '{}') as Record<string, Array<{ id: string; what: string; at: number }>>;
  return all[instanceUuid] ?? [];
}
