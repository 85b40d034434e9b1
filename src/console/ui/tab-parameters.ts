/** Parameters: the curated list with the running values, editing (one ModifyDBParameter), and the history. */
import { apiTime, clear, clearErrors, h, showError } from './dom.js';
import type { TabCtx } from './instance.js';
import { rememberTask, type View } from './view.js';

export function parametersTab(ctx: TabCtx): View {
  const table = h('div', { 'data-testid': 'parameters' });
  const history = h('div', { 'data-testid': 'parameter-history' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Apply changes');
  const form = h('form', { novalidate: true }, table, h('div', { class: 'actions' }, submit));
  let params: any[] = [];

  const load = async () => {
    try {
      params = (await ctx.api.call('DescribeDBParameter', { InstanceUuid: ctx.uuid })).data.Parameters ?? [];
      clear(table, h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ...['Parameter', 'Running value', 'New value', 'Allowed', 'Default', 'Applies'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...params.map((p, i) => {
          const id = `param-${i}`;
          const inp = h('input', { id, value: p.CurrentValue, 'data-name': p.Name, disabled: p.IsModify !== 'true', 'aria-describedby': `${id}-err`, size: 18 });
          return h('tr', { class: 'field', 'data-param': `Parameters.${i}` },
            h('td', {}, h('label', { for: id, class: 'mono', title: p.Description }, p.Name)),
            h('td', { class: 'mono' }, p.CurrentValue), h('td', {}, inp, h('p', { class: 'field-error', id: `${id}-err`, role: 'alert' })),
            h('td', { class: 'mono' }, p.CheckingCode), h('td', { class: 'mono' }, p.DefaultValue), h('td', {}, p.IsRestart === 'true' ? 'restart' : 'at once'));
        }))));
    } catch (e) { clear(table, h('p', { class: 'form-error' }, e instanceof Error ? e.message : String(e))); }
  };
  const loadHistory = async () => {
    const end = new Date();
    const start = new Date(end.getTime() - 30 * 86_400_000);
    try {
      const { data } = await ctx.api.call<any[]>('DescribeDBParameterModifyHistory', { InstanceUuid: ctx.uuid, StartTime: apiTime(start), EndTime: apiTime(end) });
      clear(history, data.length ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ...['When (UTC)', 'Parameter', 'Old', 'New', 'In effect', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...[...data].reverse().map((r) => h('tr', {}, h('td', {}, r.ModifyTime), h('td', { class: 'mono' }, r.ParameterName),
          h('td', { class: 'mono' }, r.OldParameterValue), h('td', { class: 'mono' }, r.NewParameterValue), h('td', {}, r.IsValid ? 'yes' : 'no'), h('td', {}, r.StatusMessage))))) :
        h('p', { class: 'muted' }, 'No changes in the last 30 days.'));
    } catch (e) { clear(history, h('p', { class: 'form-error' }, e instanceof Error ? e.message : String(e))); }
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const changed = [...table.querySelectorAll<HTMLInputElement>('input[data-name]')]
      .filter((inp) => !inp.disabled && inp.value !== params.find((p) => p.Name === inp.dataset.name)?.CurrentValue)
      .map((inp) => ({ Name: inp.dataset.name!, Value: inp.value }));
    if (!changed.length) return showError(form, new Error('nothing changed'));
    // The API's Parameters.N refers to this list; map it back to the row of that parameter.
    submit.disabled = true;
    try {
      const r = await ctx.api.call('ModifyDBParameter', { InstanceUuid: ctx.uuid, Parameters: changed });
      rememberTask(ctx.uuid, r.taskId, `ModifyDBParameter ${changed.map((c) => c.Name).join(', ')}`);
      await ctx.refresh();
    } catch (e) {
      const m = /Parameters\.(\d+)/.exec((e as Error).message);
      const row = m ? params.findIndex((p) => p.Name === changed[Number(m[1])]?.Name) : -1;
      if (row >= 0) {
        const tr = table.querySelector<HTMLElement>(`[data-param="Parameters.${row}"]`)!;
        tr.querySelector('.field-error')!.textContent = (e as Error).message;
        tr.querySelector('input')!.setAttribute('aria-invalid', 'true');
      } else showError(form, e);
    } finally { submit.disabled = false; }
  });
  let lastStatus = '';
  ctx.onInstance((i) => {
    if (lastStatus && lastStatus !== 'RUNNING' && i.Status === 'RUNNING') { void load(); void loadHistory(); }
    lastStatus = i.Status;
  });
  void load();
  void loadHistory();
  return { el: h('div', {}, h('section', {}, h('h2', {}, 'Parameters'), form), h('section', {}, h('h2', {}, 'History'), history)), dispose: () => {} };
}
