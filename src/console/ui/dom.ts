/** Small DOM helpers: elements from tag + attributes + children, labelled form fields, errors beside fields. */
import { ApiError } from './api.js';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

/** `h('button', { class: 'x', onclick: f, 'aria-label': 'y' }, 'text')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

let seq = 0;
/** A unique id for label/field pairs. */
export const uid = (p: string) => `${p}-${++seq}`;

/**
 * A labelled field. `param` names the API parameter it carries, so that an InvalidParameter or
 * ArgMissing about it is shown right under it (showError).
 */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, opts: { param?: string; hint?: string } = {}): HTMLElement {
  input.id ||= uid('f');
  const err = h('p', { class: 'field-error', id: `${input.id}-err`, role: 'alert', 'aria-live': 'polite' });
  const hint = opts.hint ? h('p', { class: 'hint', id: `${input.id}-hint` }, opts.hint) : null;
  input.setAttribute('aria-describedby', [hint ? `${input.id}-hint` : '', err.id].filter(Boolean).join(' '));
  const wrap = h('div', { class: 'field', 'data-param': opts.param ?? '' }, h('label', { for: input.id }, label), input, hint, err);
  return wrap;
}

export function input(attrs: Attrs = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export function select(options: Array<[string, string]>, attrs: Attrs = {}): HTMLSelectElement {
  const s = h('select', attrs);
  for (const [v, t] of options) s.appendChild(h('option', { value: v }, t));
  if (attrs.value !== undefined) s.value = String(attrs.value);
  return s;
}

/** Clears every field error and the form's own error line. */
export function clearErrors(form: HTMLElement): void {
  for (const e of form.querySelectorAll('.field-error, .form-error')) e.textContent = '';
  for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
}

/**
 * Shows an API error under the field whose parameter it names (the longest matching prefix:
 * `Parameters.0.Value` lands on the field of `Parameters.0.Value` or else `Parameters`), else in
 * the form's error line. The API's message is shown as it is.
 */
export function showError(form: HTMLElement, e: unknown): void {
  const msg = e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e);
  const param = e instanceof ApiError ? e.param : undefined;
  let target: Element | null = null;
  if (param) {
    const fields = [...form.querySelectorAll<HTMLElement>('.field[data-param]')].filter((f) => f.dataset.param);
    const parts = param.split('.');
    for (let n = parts.length; n > 0 && !target; n--) {
      const p = parts.slice(0, n).join('.');
      target = fields.find((f) => f.dataset.param === p) ?? null;
    }
  }
  if (target) {
    target.querySelector('.field-error')!.textContent = msg;
    const inp = target.querySelector('input, select, textarea') as HTMLElement | null;
    inp?.setAttribute('aria-invalid', 'true');
    inp?.focus();
  } else {
    let line = form.querySelector('.form-error');
    if (!line) {
      line = h('p', { class: 'form-error', role: 'alert' });
      form.appendChild(line);
    }
    line.textContent = msg;
  }
}

/** A status badge: the colour follows the state (RUNNING green, ERROR red, the rest busy). */
export function badge(status: string, title = ''): HTMLElement {
  const kind = status === 'RUNNING' || status === 'FINISH' || status === 'finished' || status === 'available' || status === 'ON' || status === 'REPLICATING'
    ? 'ok' : status === 'ERROR' || status === 'failed' || status === 'BROKEN' || status === 'unavailable' ? 'bad' : 'busy';
  return h('span', { class: `badge badge-${kind}`, title: title || undefined, 'data-status': status }, status);
}

/** Copies text to the clipboard (falls back to a selection when the API is refused) and says so. */
export async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const t = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' }, text);
    document.body.appendChild(t);
    t.select();
    document.execCommand('copy');
    t.remove();
  }
  const was = button.textContent;
  button.textContent = 'Copied';
  setTimeout(() => (button.textContent = was), 1500);
}

/** A modal confirmation that needs `expected` typed in before its button works. */
export function confirmTyped(title: string, body: string, expected: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const inp = input({ autocomplete: 'off', 'data-testid': 'confirm-input' });
    const ok = h('button', { type: 'submit', class: 'danger', disabled: true }, action);
    inp.addEventListener('input', () => { ok.disabled = inp.value !== expected; });
    const form = h('form', { method: 'dialog' },
      h('h2', {}, title), h('p', {}, body),
      field(`Type ${expected} to confirm`, inp),
      h('div', { class: 'actions' }, h('button', { type: 'button', value: 'cancel', onclick: () => dlg.close('cancel') }, 'Cancel'), ok));
    const dlg = h('dialog', { 'aria-label': title }, form);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (inp.value === expected) dlg.close('ok');
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'ok');
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    inp.focus();
  });
}

/** API time `YYYY-MM-DD HH:MM:SS` (UTC) for a Date. */
export function apiTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
