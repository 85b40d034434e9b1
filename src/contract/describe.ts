/** Pure words for a parameter declaration, shared by the CLI's help and the docs' tables. */
import type { ParamSpec, StringRules } from './types.js';

function stringRules(r: StringRules): string[] {
  const out: string[] = [];
  if (r.oneOf) out.push(`one of ${r.oneOf.join(', ')}`);
  if (r.minLen !== undefined && r.maxLen !== undefined) out.push(`${r.minLen}–${r.maxLen} characters`);
  else if (r.maxLen !== undefined) out.push(`at most ${r.maxLen} characters`);
  else if (r.minLen !== undefined) out.push(`at least ${r.minLen} characters`);
  if (r.engineName) out.push('no 4-byte characters');
  if (r.pattern) out.push(`matches ${r.pattern.source}`);
  return out;
}

/** The rules of a parameter in words ("1–3", "one of a, b", "at most 100 items; …"); '' when none. */
export function describeRange(s: ParamSpec): string {
  const out: string[] = [];
  switch (s.type) {
    case 'string':
      out.push(...stringRules(s));
      break;
    case 'text':
      out.push(s.minLen !== undefined ? `${s.minLen}–${s.maxLen} characters` : `at most ${s.maxLen} characters`, 'free text');
      break;
    case 'integer':
      if (s.min !== undefined && s.max !== undefined) out.push(`${s.min}–${s.max}`);
      else if (s.min !== undefined) out.push(`≥ ${s.min}`);
      else if (s.max !== undefined) out.push(`≤ ${s.max}`);
      break;
    case 'boolean':
      out.push('true or false');
      break;
    case 'string[]':
      if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
      if (s.item) out.push(...stringRules(s.item).map((x) => `each ${x}`));
      break;
    case 'object[]':
      if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
      break;
    case 'object':
      break;
  }
  if (s.range) out.push(s.range);
  return out.join('; ');
}

/** Every parameter with nested fields flattened to `Parent.Child` / `List.N.Child` names. */
export function flatParams(params: Readonly<Record<string, ParamSpec>>, prefix = ''): Array<{ name: string; spec: ParamSpec }> {
  const out: Array<{ name: string; spec: ParamSpec }> = [];
  for (const [k, s] of Object.entries(params)) {
    const name = prefix + k;
    out.push({ name, spec: s });
    if (s.type === 'object') out.push(...flatParams(s.fields, `${name}.`));
    if (s.type === 'object[]') out.push(...flatParams(s.fields, `${name}.N.`));
  }
  return out;
}
