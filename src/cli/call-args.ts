/**
 * Pure: `Name=Value` words of `openrds call` → the parameters object, typed by the action's
 * contract. Lists and objects in their natural forms: JSON (`Operations='[{"DBName":"shop",…}]'`),
 * dotted paths (`Operations.0.DBName=shop`), or a list parameter repeated (`DBNames=a DBNames=b`).
 * Unknown actions and parameter names are usage errors (exit 2) with a suggestion.
 */
import { unknownParams } from '../contract/check-params.js';
import { CONTRACT_LIST, contractOf } from '../contract/index.js';
import { didYouMean } from '../contract/suggest.js';
import type { ActionContract, ParamSpec } from '../contract/types.js';
import { CliError } from './cli-error.js';

export function resolveAction(name: string): ActionContract {
  const c = contractOf(name);
  if (c) return c;
  const names = CONTRACT_LIST.map((x) => x.name);
  throw new CliError(`unknown action ${name}${didYouMean(name, names)} (\`openrds call --help\` lists them)`, 2);
}

/** The declaration at a dotted path (`Operations.0.DBName`), or undefined. */
function specAt(params: Readonly<Record<string, ParamSpec>>, path: string[]): ParamSpec | undefined {
  let fields: Readonly<Record<string, ParamSpec>> | undefined = params;
  let spec: ParamSpec | undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (spec?.type === 'object[]' || spec?.type === 'string[]') {
      if (!/^\d+$/.test(seg)) return undefined;
      if (spec.type === 'string[]') return i === path.length - 1 ? { type: 'string', desc: '', example: '' } : undefined;
      fields = spec.fields;
      spec = undefined;
      continue;
    }
    if (!fields || !Object.hasOwn(fields, seg)) return undefined;
    spec = fields[seg]!;
    fields = spec.type === 'object' ? spec.fields : undefined;
  }
  return spec;
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${name}: not valid JSON (${(e as Error).message}): ${text}`, 2);
  }
}

/** A value typed by its declaration; what cannot be read is passed as given, for the server to name. */
export function convertValue(name: string, s: ParamSpec, text: string): unknown {
  switch (s.type) {
    case 'integer':
      return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'string[]':
      return text.trimStart().startsWith('[') ? parseJson(name, text) : [text];
    case 'object':
    case 'object[]': {
      const t = text.trimStart();
      if (t.startsWith('{') || t.startsWith('[')) return parseJson(name, text);
      throw new CliError(`${name} is ${s.type === 'object' ? 'an object' : 'a list of objects'}: give it as JSON (${name}='${s.example}') or field by field (${s.type === 'object' ? `${name}.Field=…` : `${name}.0.Field=…`})`, 2);
    }
    default:
      return text;
  }
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  let cur: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const nextIsIndex = /^\d+$/.test(path[i + 1]!);
    const key = Array.isArray(cur) ? Number(seg) : seg;
    const existing = (cur as Record<string, unknown>)[key as string];
    if (existing === undefined || typeof existing !== 'object' || existing === null) (cur as Record<string, unknown>)[key as string] = nextIsIndex ? [] : {};
    cur = (cur as Record<string, unknown>)[key as string] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  (cur as Record<string, unknown>)[Array.isArray(cur) ? Number(last) : last] = value;
}

/** `Name=Value` words → parameters. Throws CliError (exit 2) naming the first wrong word. */
export function parseAssignments(c: ActionContract, words: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new CliError(`parameters are Name=Value, got ${JSON.stringify(w)} (\`openrds call ${c.name} --help\` lists them)`, 2);
    const name = w.slice(0, eq);
    const text = w.slice(eq + 1);
    const path = name.split('.');
    const spec = specAt(c.params, path);
    if (!spec) {
      const top = path[0]!;
      if (!Object.hasOwn(c.params, top)) {
        throw new CliError(`unknown parameter ${top} of ${c.name}${didYouMean(top, Object.keys(c.params))} (\`openrds call ${c.name} --help\` lists them)`, 2);
      }
      const bad = unknownParams(c, (() => { const o = {}; setPath(o, path, ''); return o; })());
      throw new CliError(bad.length ? `${bad[0]!.message} (${c.name})` : `${name}: ${top} has no such part`, 2);
    }
    const value = convertValue(name, spec, text);
    if (path.length === 1 && spec.type === 'string[]' && Array.isArray(out[name]) && !text.trimStart().startsWith('[')) {
      (out[name] as unknown[]).push(text);
      continue;
    }
    setPath(out, path, value);
  }
  // JSON values can still hold unknown nested names (`Operations='[{"DBNme":"x"}]'`).
  const bad = unknownParams(c, out);
  if (bad.length) throw new CliError(`${bad[0]!.message} (${c.name})`, 2);
  // Dotted indexes may leave holes (`Ops.1.X` without `Ops.0`): compact them as the server does.
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = v.filter((x) => x !== undefined);
  return out;
}
