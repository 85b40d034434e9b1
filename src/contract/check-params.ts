/**
 * Pure, client side (SDK and CLI): names a call must not send. The server is lenient about
 * unknown names (CDS clients expect it), so a typo such as `Pasword` would silently do nothing;
 * clients refuse it before sending.
 */
import { didYouMean } from './suggest.js';
import type { ActionContract, ParamSpec } from './types.js';

export interface ParamProblem {
  /** The wrong name as given, with its parents (`Operations.0.DBNme`). */
  name: string;
  message: string;
}

function walk(specs: Readonly<Record<string, ParamSpec>>, value: Record<string, unknown>, prefix: string, out: ParamProblem[]): void {
  const known = Object.keys(specs);
  for (const [k, v] of Object.entries(value)) {
    const s = specs[k];
    const name = prefix + k;
    if (!s || !Object.hasOwn(specs, k)) {
      out.push({ name, message: `unknown parameter ${name}${didYouMean(k, known)}` });
      continue;
    }
    if (s.type === 'object' && v && typeof v === 'object' && !Array.isArray(v)) walk(s.fields, v as Record<string, unknown>, `${name}.`, out);
    if (s.type === 'object[]' && Array.isArray(v)) {
      v.forEach((x, i) => {
        if (x && typeof x === 'object' && !Array.isArray(x)) walk(s.fields, x as Record<string, unknown>, `${name}.${i}.`, out);
      });
    }
  }
}

/** Unknown names in `params` (nested ones too), each with a suggestion when one is close. */
export function unknownParams(c: ActionContract, params: Record<string, unknown>): ParamProblem[] {
  const out: ParamProblem[] = [];
  walk(c.params, params, '', out);
  return out;
}
