/** Overview: connection details (copyable), spec and disk with resize, HA state, read-only instances. */
import { badge, clear, clearErrors, copy, field, h, input, select, showError } from './dom.js';
import type { TabCtx } from './instance.js';
import { rememberTask, type View } from './view.js';

const dl = (pairs: Array<[string, unknown]>) => h('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : String(v ?? '—'))]));

export function overviewTab(ctx: TabCtx): View {
  const conn = h('div');
  const specBox = h('div');
  const ha = h('div');
  const ro = h('div');
  const resize = resizeForm(ctx);
  const el = h('div', { class: 'grid' },
    h('section', { 'aria-labelledby': 'h-conn' }, h('h2', { id: 'h-conn' }, 'Connection'), conn),
    h('section', { 'aria-labelledby': 'h-spec' }, h('h2', { id: 'h-spec' }, 'Spec and disk'), specBox, resize),
    h('section', { 'aria-labelledby': 'h-ha' }, h('h2', { id: 'h-ha' }, 'High availability'), ha),
    h('section', { 'aria-labelledby': 'h-ro' }, h('h2', { id: 'h-ro' }, 'Read-only instances'), ro));
  let shown = '';
  ctx.onInstance((i) => {
    const key = JSON.stringify(i);
    if (key === shown) return; // keeps focus and selections while nothing changed
    shown = key;
    const cmd = `mariadb -h ${i.IP} -P ${i.Port} -u root -p`;
    const copyAddr = h('button', { type: 'button', class: 'small', 'aria-label': 'Copy address' }, 'Copy');
    copyAddr.addEventListener('click', () => void copy(`${i.IP}:${i.Port}`, copyAddr));
    const copyCmd = h('button', { type: 'button', class: 'small', 'aria-label': 'Copy client command' }, 'Copy');
    copyCmd.addEventListener('click', () => void copy(cmd, copyCmd));
    clear(conn, dl([
      ['Address', h('span', {}, h('code', { 'data-testid': 'address' }, `${i.IP}:${i.Port}`), ' ', copyAddr)],
      ['Client', h('span', {}, h('code', {}, cmd), ' ', copyCmd)],
      ['Instance id', h('code', {}, i.InstanceUuid)],
      ['Version', `MariaDB ${i.Version}`], ['Region', `${i.RegionId} (${i.DisplayName})`], ['Network', `${i.VdcId} / ${i.BasePipeId}`],
      ['Time zone', i.TimeZone], ['Created', `${i.CreatedTime} UTC`],
    ]));
    clear(specBox, dl([
      ['Type', i.MasterInfo ? `Read-only of ${i.MasterInfo}` : i.SubProductName], ['CPU', `${i.Cpu} cores`], ['RAM', `${i.Ram / 1024} GB`],
      ['Disk', `${i.Disks} GB ${i.DiskType}`], ['Disk used', i.DiskUsedPercent === null || i.DiskUsedPercent === undefined ? 'not measured yet' : `${i.DiskUsedPercent} %${i.DiskReadOnly ? ' — held read-only by the disk guard' : ''}`],
      ['Limits', `${i.LimitsEnforced ?? '?'} (CPU/RAM), ${i.DiskLimitEnforced ?? '?'} (disk)`],
    ]));
    const repl = i.ReplicationState ? [
      ['Replication', badge(i.ReplicationState, i.ReplicationReason)], ['Reason', i.ReplicationReason || '—'],
      ['Seconds behind', i.ReplicationSecondsBehind ?? '—'], ['Observed', i.ReplicationObservedTime ? `${i.ReplicationObservedTime} UTC` : 'never'],
    ] as Array<[string, unknown]> : [];
    clear(ha, i.HaSemiSync !== undefined ? dl([
      ['Semi-sync', badge(i.HaSemiSync)], ['Standby', repl.length ? '' : '—'], ...repl,
      ['Failovers', i.HaFailoverCount], ['Switchovers', i.HaSwitchoverCount ?? 0], ['Last failover', i.HaLastFailoverTime ? `${i.HaLastFailoverTime} UTC` : 'never'],
    ].filter(([k]) => k !== 'Standby' || !repl.length) as Array<[string, unknown]>) : i.MasterInfo ? dl(repl) : h('p', { class: 'muted' }, 'A basic instance has one node and no standby.'));
    const groups: any[] = i.RoGroups ?? [];
    clear(ro, groups.length ? h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ...['Name', 'Status', 'Address', 'Spec'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...groups.map((g) => h('tr', {},
        h('td', {}, h('a', { href: `#/instance/${g.ServiceId}` }, g.ServiceName)), h('td', {}, badge(g.Status, g.Message)),
        h('td', { class: 'mono' }, `${g.Ip}:${g.Port}`), h('td', {}, `${g.Cpu} CPU / ${g.Ram / 1024} GB`))))) :
      h('p', { class: 'muted' }, i.ArchitectureType === 1 && !i.MasterInfo ? 'None yet.' : 'Only HA instances have read-only instances.'),
    i.ArchitectureType === 1 && !i.MasterInfo ? readOnlyForm(ctx, i) : null);
  });
  return { el, dispose: () => {} };
}

/** ModifyDBInstanceSpec: a new spec and/or GB to add, from DescribeModifiableDBSpec. */
function resizeForm(ctx: TabCtx): HTMLElement {
  const spec = select([['', 'keep the current spec']], { name: 'PaasGoodsId' });
  const add = input({ type: 'number', name: 'DiskValue', value: '0', min: '0' });
  const submit = h('button', { type: 'submit' }, 'Resize');
  const form = h('form', { 'data-testid': 'resize-form', novalidate: true }, h('h3', {}, 'Resize'),
    field('New spec', spec, { param: 'PaasGoodsId' }), field('Disk to add (GB)', add, { param: 'DiskValue' }), h('div', { class: 'actions' }, submit));
  let diskType = '';
  void (async () => {
    try {
      const { data } = await ctx.api.call('DescribeModifiableDBSpec', { InstanceUuid: ctx.uuid });
      for (const s of data.CpuRam ?? []) spec.appendChild(h('option', { value: s.PaasGoodsId }, `${s.Name} (${s.CPU} CPU, ${s.RAM} GB)`));
      const d = data.AttachDisk?.[0];
      if (d) {
        diskType = d.DiskValue;
        Object.assign(add, { step: String(d.DiskStep), max: String(d.DiskMaxExpand) });
        add.setAttribute('aria-describedby', `${add.getAttribute('aria-describedby')}`);
      }
    } catch { /* a read-only instance or busy: the form still shows what the API says on submit */ }
  })();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const p: Record<string, unknown> = { InstanceUuid: ctx.uuid };
    if (spec.value) p.PaasGoodsId = Number(spec.value);
    if (Number(add.value) > 0) Object.assign(p, { DiskType: diskType || ctx.instance()?.DiskType, DiskValue: Number(add.value) });
    submit.disabled = true;
    try {
      const r = await ctx.api.call('ModifyDBInstanceSpec', p);
      rememberTask(ctx.uuid, r.taskId, 'ModifyDBInstanceSpec');
      await ctx.refresh();
    } catch (e) { showError(form, e); } finally { submit.disabled = false; }
  });
  return form;
}

/** CreateReadOnlyDBInstance, with the specs of DescribeAvailableReadOnlyConfig. */
function readOnlyForm(ctx: TabCtx, primary: any): HTMLElement {
  const name = input({ name: 'InstanceName', value: `${primary.InstanceName}-ro`, maxlength: 64 });
  const spec = select([], { name: 'PaasGoodsId' });
  const disk = input({ type: 'number', name: 'DiskValue', value: String(primary.Disks) });
  const submit = h('button', { type: 'submit' }, 'Create read-only instance');
  const form = h('form', { novalidate: true }, h('h3', {}, 'Add a read-only instance'),
    field('Name', name, { param: 'InstanceName' }), field('Spec', spec, { param: 'PaasGoodsId' }), field('Disk (GB)', disk, { param: 'DiskValue' }),
    h('div', { class: 'actions' }, submit));
  let diskType = primary.DiskType;
  void (async () => {
    try {
      const { data } = await ctx.api.call('DescribeAvailableReadOnlyConfig', { InstanceUuid: ctx.uuid });
      const std = data?.ComputeRoles?.[0]?.Standards ?? data?.Products?.[0]?.Architectures?.[0]?.ComputeRoles?.[0]?.Standards;
      for (const s of std?.CpuRam ?? []) spec.appendChild(h('option', { value: s.PaasGoodsId }, `${s.Name} (${s.CPU} CPU, ${s.RAM} GB)`));
      diskType = std?.AttachDisk?.find((d: any) => d.DiskValue === primary.DiskType)?.DiskValue ?? diskType;
    } catch { /* shown on submit */ }
  })();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const r = await ctx.api.call('CreateReadOnlyDBInstance', {
        InstanceUuid: ctx.uuid, InstanceName: name.value, PaasGoodsId: Number(spec.value), DiskType: diskType, DiskValue: Number(disk.value), Amount: 1,
      });
      rememberTask(ctx.uuid, r.taskId, 'CreateReadOnlyDBInstance');
      await ctx.refresh();
    } catch (e) { showError(form, e); } finally { submit.disabled = false; }
  });
  return form;
}
