/** Backups: list (refreshed while one runs), create, download (signed URL), delete, and the automatic policy. */
import { badge, clear, clearErrors, confirmTyped, field, h, input, select, showError } from './dom.js';
import type { TabCtx } from './instance.js';
import { every, rememberTask, type View } from './view.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SLOTS = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}:00-${String(i + 1).padStart(2, '0')}:00`);
const mb = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(b / 1024)} KB`);

export function backupsTab(ctx: TabCtx): View {
  const list = h('div', { 'data-testid': 'backups' });
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  const load = async () => {
    const { data } = await ctx.api.call<any[]>('DescribeBackups', { InstanceUuid: ctx.uuid });
    clear(list, data.length ? h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ...['Backup', 'Type', 'Mode', 'Status', 'Size', 'Started (UTC)', 'Description', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...data.map((b) => h('tr', { 'data-backup': b.BackupId, 'data-status': b.Status },
        h('td', { class: 'mono' }, b.BackupId), h('td', {}, b.BackupType), h('td', {}, b.BackupMode), h('td', {}, badge(b.Status, b.StatusDetail)),
        h('td', {}, b.Status === 'finished' ? mb(b.BackupSize) : '—'), h('td', {}, b.StartTime), h('td', {}, b.Desc),
        h('td', {}, b.Status === 'finished' ? h('button', { type: 'button', class: 'small', onclick: () => download(b.BackupId) }, 'Download') : null,
          b.Status !== 'running' && b.Status !== 'deleting' ? h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete backup ${b.BackupId}`, onclick: () => remove(b.BackupId) }, 'Delete') : null))))) :
      h('p', { class: 'muted' }, 'No backups yet.'));
  };
  const stop = every(ctx.refreshMs, load);

  const type = select([['physical-backup', 'Physical (mariadb-backup, whole instance)'], ['logical-backup', 'Logical (mariadb-dump)']], { name: 'BackupType' });
  const desc = input({ name: 'Desc', maxlength: 256 });
  const create = h('form', { 'data-testid': 'backup-form', novalidate: true }, h('h3', {}, 'Back up now'),
    field('Type', type, { param: 'BackupType' }), field('Description', desc, { param: 'Desc' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create backup')));
  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(create);
    try {
      const r = await ctx.api.call('CreateBackup', { InstanceUuid: ctx.uuid, BackupType: type.value, Desc: desc.value });
      rememberTask(ctx.uuid, r.taskId, `CreateBackup ${r.data.BackupId}`);
      note.textContent = `Backup ${r.data.BackupId} started.`;
      await load();
    } catch (e) { showError(create, e); }
  });

  async function download(id: string) {
    try {
      const { data } = await ctx.api.call('DownloadBackup', { InstanceUuid: ctx.uuid, BackupId: id });
      // A signed bearer URL (docs/backups.md): the browser downloads it like any link.
      const a = h('a', { href: data.BackupDownloadUrl, download: '' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      note.textContent = `Downloading ${id} (sha256 ${data.Sha256 ?? ''}); the link is valid until ${data.DownloadUrlExpireTime} UTC.`;
    } catch (e) { note.textContent = e instanceof Error ? e.message : String(e); }
  }
  async function remove(id: string) {
    if (!(await confirmTyped(`Delete backup ${id}?`, 'The file is removed for good.', id, 'Delete backup'))) return;
    try {
      const r = await ctx.api.call('DeleteBackup', { InstanceUuid: ctx.uuid, BackupId: id });
      rememberTask(ctx.uuid, r.taskId, `DeleteBackup ${id}`);
      await load();
    } catch (e) { note.textContent = e instanceof Error ? e.message : String(e); }
  }

  // Policy (ModifyDbBackupPolicy; read back with the openrds extension DescribeDbBackupPolicy)
  const slot = select(SLOTS.map((s) => [s, s]), { name: 'TimeSlot' });
  const days = DAYS.map((d, i) => h('input', { type: 'checkbox', id: `day-${i}`, value: String(i) }));
  const on = h('input', { type: 'checkbox', id: 'policy-on' });
  const tz = h('span', { class: 'muted' });
  const policy = h('form', { 'data-testid': 'policy-form', novalidate: true }, h('h3', {}, 'Automatic backups'),
    h('div', { class: 'field', 'data-param': 'DataBackups.Sign' }, h('label', { for: 'policy-on' }, on, ' On'), h('p', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'field', 'data-param': 'DataBackups.TimeSlot' }, h('label', { for: slot.id = 'policy-slot' }, 'Time slot ', tz), slot, h('p', { class: 'field-error', role: 'alert' })),
    h('fieldset', { class: 'field', 'data-param': 'DataBackups.DateList' }, h('legend', {}, 'Days'),
      ...days.map((d, i) => h('label', { for: d.id, class: 'inline' }, d, ` ${DAYS[i]}`)), h('p', { class: 'field-error', role: 'alert' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save policy')));
  void (async () => {
    try {
      const { data } = await ctx.api.call('DescribeDbBackupPolicy', { InstanceUuid: ctx.uuid });
      tz.textContent = `(time zone ${data.TimeZone})`;
      const p = data.DataBackups;
      if (p) {
        slot.value = p.TimeSlot;
        on.checked = p.Sign === 1;
        for (const d of days) d.checked = p.DateList.includes(d.value);
      }
    } catch { /* read-only instances have none */ }
  })();
  policy.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(policy);
    try {
      await ctx.api.call('ModifyDbBackupPolicy', { InstanceUuid: ctx.uuid, DataBackups: { TimeSlot: slot.value, DateList: days.filter((d) => d.checked).map((d) => d.value), Sign: on.checked ? 1 : 0 } });
      note.textContent = 'Backup policy saved.';
    } catch (e) { showError(policy, e); }
  });
  return { el: h('div', { class: 'grid' }, h('section', { class: 'wide' }, h('h2', {}, 'Backups'), note, list), h('section', {}, create), h('section', {}, policy)), dispose: stop };
}
