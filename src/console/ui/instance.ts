/**
 * An instance's page: a header that follows status and running tasks, and tabs (overview,
 * accounts, parameters, backups, monitoring). Tabs are links (#/instance/<uuid>/<tab>), so the
 * browser's history and the keyboard work as everywhere else.
 */
import { ApiError } from './api.js';
import { badge, clear, h } from './dom.js';
import { accountsTab } from './tab-accounts.js';
import { backupsTab } from './tab-backups.js';
import { overviewTab } from './tab-overview.js';
import { parametersTab } from './tab-parameters.js';
import { every, tasksOf, type Ctx, type View } from './view.js';

export const TABS = [['overview', 'Overview'], ['accounts', 'Accounts'], ['parameters', 'Parameters'], ['backups', 'Backups'], ['monitoring', 'Monitoring']] as const;
export type Tab = (typeof TABS)[number][0];

/** What a tab gets: the latest DescribeDBInstances entry, refreshed by the page. */
export interface TabCtx extends Ctx {
  uuid: string;
  instance(): any;
  /** Called by the page after every refresh of the instance. */
  onInstance(fn: (i: any) => void): void;
  /** Re-reads the instance now (after a mutating call). */
  refresh(): Promise<void>;
}

export function instanceView(ctx: Ctx, uuid: string, tab: Tab): View {
  const title = h('h1', { id: 'h-instance' }, '…');
  const state = h('div', { class: 'state', 'aria-live': 'polite' });
  const tasks = h('div', { class: 'tasks', 'data-testid': 'tasks', 'aria-live': 'polite' });
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Instance sections' },
    ...TABS.map(([id, label]) => h('a', { href: `#/instance/${uuid}/${id}`, 'aria-current': id === tab ? 'page' : undefined, class: id === tab ? 'tab active' : 'tab' }, label)));
  const panel = h('div', { class: 'panel' });
  const el = h('section', { 'aria-labelledby': 'h-instance' },
    h('p', {}, h('a', { href: '#/instances' }, '← Instances')), title, state, tasks, nav, panel);

  let current: any;
  const listeners: Array<(i: any) => void> = [];
  const refresh = async () => {
    try {
      const { data } = await ctx.api.call<any[]>('DescribeDBInstances', { InstanceUuid: uuid });
      current = data[0];
      title.textContent = current.InstanceName;
      clear(state, badge(current.Status, current.StatusStr), ' ', current.StatusDetail ? h('span', { class: 'detail' }, current.StatusDetail) : null);
      for (const f of listeners) f(current);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ResourceNotFound') clear(state, h('p', { class: 'form-error' }, 'This instance no longer exists (deleted).'));
      else clear(state, h('p', { class: 'form-error' }, e instanceof Error ? e.message : String(e)));
    }
  };
  const tctx: TabCtx = { ...ctx, uuid, instance: () => current, onInstance: (f) => listeners.push(f), refresh };
  const stopInst = every(ctx.refreshMs, refresh);
  const stopTasks = every(Math.min(ctx.refreshMs, 2000), () => followTasks(ctx, uuid, tasks));
  const views = { overview: overviewTab, accounts: accountsTab, parameters: parametersTab, backups: backupsTab, monitoring: lazyMonitoring };
  const v = views[tab](tctx);
  panel.appendChild(v.el);
  return { el, dispose: () => { stopInst(); stopTasks(); v.dispose(); } };
}

/**
 * The monitoring tab with uPlot is a chunk of its own (esbuild splitting), loaded when the tab is
 * opened: the list and the other pages do not wait for the chart library.
 */
function lazyMonitoring(ctx: TabCtx): View {
  const el = h('div', {}, h('p', { class: 'muted' }, 'Loading charts…'));
  let inner: View | undefined;
  let gone = false;
  void import('./tab-monitoring.js').then((m) => {
    if (gone) return;
    inner = m.monitoringTab(ctx);
    el.replaceChildren(inner.el);
  }, (e) => el.replaceChildren(h('p', { class: 'form-error' }, `the charts could not be loaded: ${(e as Error).message}`)));
  return { el, dispose: () => { gone = true; inner?.dispose(); } };
}

/** Live progress of the tasks this tab started on the instance: status, extra progress fields, elapsed time. */
async function followTasks(ctx: Ctx, uuid: string, box: HTMLElement): Promise<void> {
  const rows: HTMLElement[] = [];
  for (const t of tasksOf(uuid).slice(-5).reverse()) {
    try {
      const { data } = await ctx.api.call('DescribeTask', { TaskId: t.id });
      const done = data.Status === 'FINISH' || data.Status === 'ERROR';
      if (done && Date.now() - t.at > 10 * 60_000) continue;
      const secs = Math.round(((done && data.FinishTime ? Date.parse(data.FinishTime.replace(' ', 'T') + 'Z') : Date.now()) - t.at) / 1000);
      // Step fields, when the server gives them (openrds extensions), are shown as they come.
      const step = data.StepName ?? data.Step ?? data.CurrentStep;
      const progress = typeof data.Progress === 'number' ? data.Progress : undefined;
      rows.push(h('li', { 'data-task': t.id, 'data-status': data.Status },
        badge(data.Status), ' ', t.what, step ? ` · ${step}` : '',
        progress !== undefined ? h('progress', { max: 100, value: progress, 'aria-label': `${t.what} progress` }) : null,
        ` · ${Math.max(0, secs)} s`, data.ErrorMessage ? h('span', { class: 'form-error' }, ` ${data.ErrorMessage}`) : null));
    } catch { /* a task of another serve's store: skip */ }
  }
  clear(box, rows.length ? h('h2', { class: 'small' }, 'Tasks') : null, rows.length ? h('ul', {}, ...rows) : null);
}
