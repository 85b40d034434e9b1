/** The instances list (auto-refreshed, status badges, delete with the name typed) and the create form. */
import { ApiError } from './api.js';
import { badge, clear, clearErrors, confirmTyped, field, h, input, select, showError } from './dom.js';
import { every, rememberTask, type Ctx, type View } from './view.js';

export function instancesView(ctx: Ctx): View {
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('tbody');
  const table = h('table', { class: 'list', 'data-testid': 'instances' },
    h('caption', { class: 'offscreen' }, 'Instances'),
    h('thead', {}, h('tr', {}, ...['Name', 'Status', 'Type', 'Spec', 'Disk', 'Address', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
    body);
  const el = h('section', { 'aria-labelledby': 'h-instances' },
    h('div', { class: 'bar' }, h('h1', { id: 'h-instances' }, 'Instances'),
      h('a', { class: 'button primary', href: '#/create' }, 'Create instance')),
    status, table);
  let first = true;
  const stop = every(ctx.refreshMs, async () => {
    try {
      const { data } = await ctx.api.call<any[]>('DescribeDBInstances');
      if (first) performance.mark('openrds:instances-data');
      render(data);
      if (first) {
        first = false;
        table.dataset.loaded = 'true';
        performance.mark('openrds:instances-rendered');
      }
      status.textContent = `${data.length} instance${data.length === 1 ? '' : 's'} · refreshed ${new Date().toISOString().slice(11, 19)} UTC`;
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
    }
  });

  function render(list: any[]) {
    clear(body, ...list.map((i) => {
      const kind = i.MasterInfo ? 'Read-only' : i.ArchitectureType === 1 ? 'HA' : 'Basic';
      const del = h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete ${i.InstanceName}`,
        onclick: () => remove(i) }, 'Delete');
      return h('tr', { 'data-uuid': i.InstanceUuid },
        h('td', {}, h('a', { href: `#/instance/${i.InstanceUuid}` }, i.InstanceName)),
        h('td', {}, badge(i.Status, i.StatusDetail || i.StatusStr)),
        h('td', {}, kind),
        h('td', {}, `${i.Cpu} CPU / ${i.Ram / 1024} GB`),
        h('td', {}, `${i.Disks} GB`),
        h('td', { class: 'mono' }, i.IP ? `${i.IP}:${i.Port}` : '—'),
        h('td', {}, i.CreatedTime),
        h('td', {}, del));
    }));
  }

  async function remove(i: any) {
    if (!(await confirmTyped(`Delete ${i.InstanceName}?`, 'Its databases are destroyed; its backups stay listed for their retention.', i.InstanceName, 'Delete instance'))) return;
    try {
      const r = await ctx.api.call('DeleteDBInstance', { InstanceUuid: i.InstanceUuid });
      rememberTask(i.InstanceUuid, r.taskId, 'DeleteDBInstance');
      status.textContent = `Deleting ${i.InstanceName}…`;
    } catch (e) {
      status.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e);
    }
  }
  return { el, dispose: stop };
}

/** Specs, disks and regions come from the API itself (DescribeRegions, DescribeAvailableDBConfig). */
export function createView(ctx: Ctx): View {
  const name = input({ name: 'InstanceName', required: true, maxlength: 64, autocomplete: 'off' });
  const region = select([], { name: 'RegionId' });
  const arch = select([['0', 'Basic (one node)'], ['1', 'HA (primary + standby, automatic failover)']], { name: 'ArchitectureType' });
  const spec = select([], { name: 'PaasGoodsId' });
  const diskType = select([], { name: 'DiskType' });
  const disk = input({ name: 'DiskValue', type: 'number', value: '100', required: true });
  const pw = input({ name: 'Password', type: 'password', autocomplete: 'new-password' });
  const vdc = input({ name: 'VdcId', value: 'vdc-default' });
  const pipe = input({ name: 'BasePipeId', value: 'pipe-default' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create');
  const form = h('form', { 'data-testid': 'create-form', novalidate: true },
    field('Name', name, { param: 'InstanceName' }),
    field('Region', region, { param: 'RegionId' }),
    field('Architecture', arch, { param: 'ArchitectureType' }),
    field('Spec', spec, { param: 'PaasGoodsId' }),
    field('Disk type', diskType, { param: 'DiskType' }),
    field('Disk (GB)', disk, { param: 'DiskValue' }),
    field('root password', pw, { param: 'Password', hint: 'Optional: becomes the root Super account. 8–32 characters from at least three of: lower case, upper case, digits, symbols (docs/accounts.md).' }),
    field('VDC', vdc, { param: 'VdcId', hint: 'bin/openrds networks list shows the VDCs and pipes' }),
    field('Pipe', pipe, { param: 'BasePipeId' }),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/instances' }, 'Cancel'), submit));
  const el = h('section', { 'aria-labelledby': 'h-create' }, h('h1', { id: 'h-create' }, 'Create instance'), form);

  let config: any;
  const fillSpecs = () => {
    const a = config?.Products?.[0]?.Architectures?.find((x: any) => String(x.ArchitectureType) === arch.value);
    const std = a?.ComputeRoles?.[0]?.Standards;
    clear(spec, ...(std?.CpuRam ?? []).map((s: any) => h('option', { value: s.PaasGoodsId }, `${s.Name} (${s.CPU} CPU, ${s.RAM} GB)`)));
    const keep = diskType.value;
    clear(diskType, ...(std?.AttachDisk ?? []).map((d: any) => h('option', { value: d.DiskValue, 'data-min': d.DiskMin, 'data-max': d.DiskMax, 'data-step': d.DiskStep }, `${d.DiskName} (${d.DiskValue})`)));
    if (keep) diskType.value = keep;
    const o = diskType.selectedOptions[0];
    if (o) Object.assign(disk, { min: o.dataset.min, max: o.dataset.max, step: o.dataset.step });
  };
  const loadConfig = async () => {
    try {
      config = (await ctx.api.call('DescribeAvailableDBConfig', { RegionId: region.value })).data;
      fillSpecs();
    } catch (e) { showError(form, e); }
  };
  arch.addEventListener('change', fillSpecs);
  diskType.addEventListener('change', fillSpecs);
  region.addEventListener('change', () => void loadConfig());
  void (async () => {
    try {
      const { data } = await ctx.api.call<any[]>('DescribeRegions');
      clear(region, ...data.map((r) => h('option', { value: r.RegionId }, `${r.RegionId} — ${r.RegionName} ${r.SiteName}`)));
      await loadConfig();
    } catch (e) { showError(form, e); }
  })();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const params: Record<string, unknown> = {
        RegionId: region.value, VdcId: vdc.value, BasePipeId: pipe.value, InstanceName: name.value,
        PaasGoodsId: Number(spec.value), DiskType: diskType.value, DiskValue: Number(disk.value), Amount: 1,
      };
      if (pw.value) params.Password = pw.value;
      const r = await ctx.api.call('CreateDBInstance', params);
      const uuid = r.data?.InstancesUuid?.[0];
      rememberTask(uuid, r.taskId, 'CreateDBInstance');
      ctx.go(`#/instance/${uuid}`);
    } catch (e) {
      showError(form, e);
    } finally {
      submit.disabled = false;
    }
  });
  return { el, dispose: () => {} };
}
