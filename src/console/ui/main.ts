/**
 * The openrds web console: sign-in with an access key pair (kept in sessionStorage, used only to
 * sign in this tab with WebCrypto), then hash-routed pages. Served by `serve` at /console, same
 * origin as the API. docs/console.md.
 */
import './style.css';
import { Api, clearCreds, loadCreds, saveCreds, type Creds } from './api.js';
import { clear, clearErrors, field, h, input, showError } from './dom.js';
import { instanceView, TABS, type Tab } from './instance.js';
import { createView, instancesView } from './instances.js';
import type { Ctx, View } from './view.js';

const root = document.getElementById('app')!;
const refreshMs = Math.max(500, Number(new URLSearchParams(location.search).get('refresh')) || 3000);
let view: View | undefined;

function insecureNotice(): HTMLElement {
  return h('section', { class: 'notice', role: 'alert', 'data-testid': 'insecure' },
    h('h1', {}, 'The console needs a secure connection'),
    h('p', {}, `This page was opened over plain HTTP at ${location.host}. Browsers give WebCrypto, which signs every request here, only to secure contexts: `,
      'HTTPS, or plain HTTP on 127.0.0.1 / localhost.'),
    h('p', {}, 'Start serve with --tls-listen HOST:PORT and open https://HOST:PORT/console, or open the console on the machine itself at http://127.0.0.1:PORT/console.'));
}

function signIn(done: (c: Creds) => void): HTMLElement {
  const id = input({ name: 'AccessKeyId', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secret = input({ name: 'AccessKeySecret', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'signin', 'data-testid': 'signin', novalidate: true },
    h('h1', {}, 'Sign in to openrds'),
    h('p', { class: 'muted' }, 'With an access key pair (bin/openrds keys create --tenant NAME). The secret stays in this tab: it signs requests here and is never sent.'),
    field('AccessKeyId', id, { param: 'AccessKeyId' }), field('AccessKeySecret', secret, { param: 'AccessKeySecret' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const c = { accessKeyId: id.value.trim(), secret: secret.value };
    try {
      await new Api(c).call('DescribeRegions'); // proves the pair before it is kept
      saveCreds(c);
      done(c);
    } catch (e) { showError(form, e); }
  });
  queueMicrotask(() => id.focus());
  return form;
}

function shell(c: Creds): void {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const out = h('button', { type: 'button', class: 'small', onclick: () => { clearCreds(); location.hash = ''; location.reload(); } }, 'Sign out');
  clear(root,
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
    h('header', { class: 'top' }, h('a', { href: '#/instances', class: 'brand' }, 'openrds'),
      h('span', { class: 'muted' }, `key ${c.accessKeyId}`), out),
    main);
  const ctx: Ctx = { api: new Api(c), refreshMs, go: (hash) => { location.hash = hash; } };
  const route = () => {
    view?.dispose();
    const parts = location.hash.replace(/^#\/?/, '').split('/');
    if (parts[0] === 'create') view = createView(ctx);
    else if (parts[0] === 'instance' && parts[1]) {
      const tab = (TABS.some(([t]) => t === parts[2]) ? parts[2] : 'overview') as Tab;
      view = instanceView(ctx, parts[1], tab);
    } else view = instancesView(ctx);
    clear(main, view.el);
    document.title = `openrds · ${parts[0] === 'instance' ? 'instance' : parts[0] || 'instances'}`;
  };
  window.addEventListener('hashchange', route);
  route();
}

if (!window.isSecureContext || !globalThis.crypto?.subtle) clear(root, insecureNotice());
else {
  const c = loadCreds();
  if (c) shell(c);
  else clear(root, h('main', { id: 'main' }, signIn(shell)));
}
