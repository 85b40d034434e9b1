/** Accounts and privileges: list (read back from the engine), create, grant per database, revoke, delete. */
import { badge, clear, clearErrors, confirmTyped, field, h, input, select, showError } from './dom.js';
import type { TabCtx } from './instance.js';
import type { View } from './view.js';

export function accountsTab(ctx: TabCtx): View {
  const list = h('div', { 'data-testid': 'accounts' });
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  let levels: Array<[string, string]> = [['ReadWrite', 'ReadWrite'], ['ReadOnly', 'ReadOnly'], ['DMLOnly', 'DMLOnly'], ['DDLOnly', 'DDLOnly']];

  const load = async () => {
    try {
      const { data } = await ctx.api.call<any[]>('DescribeDBAccount', { InstanceUuid: ctx.uuid });
      clear(list, data.length ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ...['Account', 'Type', 'Status', 'Privileges', 'Description', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...data.map((a) => h('tr', { 'data-account': a.AccountName },
          h('td', { class: 'mono' }, a.AccountName), h('td', {}, a.AccountType), h('td', {}, badge(a.AccountStatus)),
          h('td', {}, a.DatabasePrivileges === null ? 'all (Super)' : a.DatabasePrivileges.length
            ? h('ul', { class: 'plain' }, ...a.DatabasePrivileges.map((d: any) => h('li', {}, `${d.DBName}: ${d.AccountPrivilegeType}`))) : 'none'),
          h('td', {}, a.AccountDescription),
          h('td', {}, h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete account ${a.AccountName}`, onclick: () => drop(a.AccountName) }, 'Delete')))))) :
        h('p', { class: 'muted' }, 'No accounts yet.'));
      accountSel.replaceChildren(...data.filter((a) => a.AccountType === 'Normal').map((a) => h('option', { value: a.AccountName }, a.AccountName)));
    } catch (e) { clear(list, h('p', { class: 'form-error' }, e instanceof Error ? e.message : String(e))); }
  };

  // Create
  const name = input({ name: 'AccountName', autocomplete: 'off', maxlength: 32 });
  const pw = input({ name: 'Password', type: 'password', autocomplete: 'new-password' });
  const type = select([['Normal', 'Normal (privileges per database)'], ['Super', 'Super (every privilege)']], { name: 'AccountType' });
  const desc = input({ name: 'Description', maxlength: 256 });
  const create = h('form', { 'data-testid': 'account-form', novalidate: true }, h('h3', {}, 'Create an account'),
    field('Account name', name, { param: 'AccountName' }), field('Password', pw, { param: 'Password' }),
    field('Type', type, { param: 'AccountType' }), field('Description', desc, { param: 'Description' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create account')));
  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(create);
    try {
      await ctx.api.call('CreatePrivilegedAccount', { InstanceUuid: ctx.uuid, AccountName: name.value, Password: pw.value, AccountType: type.value, Description: desc.value });
      note.textContent = `Account ${name.value} created; it can log in now.`;
      create.reset();
      await load();
    } catch (e) { showError(create, e); }
  });

  // Grant
  const accountSel = select([], { name: 'AccountName' });
  const db = input({ name: 'DBName', autocomplete: 'off' });
  const level = select(levels, { name: 'Privilege' });
  const grant = h('form', { novalidate: true }, h('h3', {}, 'Privileges on a database'),
    field('Account', accountSel, { param: 'AccountName' }), field('Database', db, { param: 'Operations' }), field('Privilege', level, { param: 'Operations.0.Privilege' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Grant'), h('button', { type: 'button', onclick: () => revoke() }, 'Revoke all on it')));
  grant.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(grant);
    try {
      await ctx.api.call('ModifyDbPrivilege', { InstanceUuid: ctx.uuid, AccountName: accountSel.value, Operations: [{ DBName: db.value, Privilege: level.value }] });
      note.textContent = `${accountSel.value} has ${level.value} on ${db.value}.`;
      await load();
    } catch (e) { showError(grant, e); }
  });
  async function revoke() {
    clearErrors(grant);
    try {
      await ctx.api.call('DeleteDbPrivilege', { InstanceUuid: ctx.uuid, AccountName: accountSel.value, DBNames: [db.value] });
      note.textContent = `${accountSel.value} has no privileges on ${db.value} any more.`;
      await load();
    } catch (e) { showError(grant, e); }
  }
  async function drop(account: string) {
    if (!(await confirmTyped(`Delete account ${account}?`, 'It is dropped on every node and can no longer log in.', account, 'Delete account'))) return;
    try {
      await ctx.api.call('DeleteDBAccount', { InstanceUuid: ctx.uuid, AccountName: account });
      note.textContent = `Account ${account} deleted.`;
      await load();
    } catch (e) { note.textContent = e instanceof Error ? e.message : String(e); }
  }

  void (async () => {
    try {
      const { data } = await ctx.api.call('DescribeDbPrivileges');
      levels = Object.keys(data).map((k) => [k, `${k} (${data[k]})`]);
      level.replaceChildren(...levels.map(([v, t]) => h('option', { value: v }, t)));
    } catch { /* the defaults above */ }
  })();
  void load();
  return { el: h('div', { class: 'grid' }, h('section', { class: 'wide' }, h('h2', {}, 'Accounts'), note, list), h('section', {}, create), h('section', {}, grant)), dispose: () => {} };
}
