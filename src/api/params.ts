/**
 * Request parameters: merges the query and the JSON body, rebuilds the SDK's GET flattening
 * (`Name.0`, `Parent.Child`, `Ops.0.DBName`) into lists and objects, and treats null as absent.
 */
import { invalidParam } from './errors.js';

export type ParamValue = string | number | boolean | ParamValue[] | { [k: string]: ParamValue };
export type Params = Record<string, ParamValue>;

/** The common (signing) parameters; they are never business parameters. */
export const COMMON_PARAMS = new Set([
  'Action', 'AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version',
]);

const MAX_KEY_DEPTH = 16;

/** Rebuilds nested values from dotted keys. Numeric segments make arrays (sparse indexes compacted in order). */
export function unflatten(entries: ReadonlyArray<readonly [string, string]>): Params {
  const root: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (COMMON_PARAMS.has(key)) continue;
    const parts = key.split('.');
    // The SDK nests at most `Ops.0.DBName`; deep keys would overflow the recursive arrayify().
    if (parts.length > MAX_KEY_DEPTH) throw invalidParam(key.slice(0, 64), `nested more than ${MAX_KEY_DEPTH} levels`);
    // `__proto__` would reach Object.prototype through `cur[p]` and pollute every object.
    if (parts.includes('__proto__')) continue;
    let cur: Record<string, unknown> = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      const next = Object.hasOwn(cur, p) ? cur[p] : undefined;
      if (next === undefined || typeof next !== 'object') cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1]!;
    if (!Object.hasOwn(cur, last)) cur[last] = value; // first occurrence wins (spec §1.3)
  }
  return arrayify(root) as Params;
}

/** Objects whose keys are all decimal indexes become arrays ordered by index. */
function arrayify(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) obj[k] = arrayify(obj[k]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => obj[k]);
  }
  return obj;
}

/** Drops nulls recursively (the SDK sends unset fields as null). */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(dropNulls);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined && k !== '__proto__') out[k] = dropNulls(x);
    return out;
  }
  return v;
}

/** Query business parameters merged with the JSON body; the body wins on conflicts. */
export function mergeParams(query: ReadonlyArray<readonly [string, string]>, body: unknown): Params {
  const fromQuery = unflatten(query);
  const fromBody = body && typeof body === 'object' && !Array.isArray(body) ? (dropNulls(body) as Params) : {};
  return { ...fromQuery, ...fromBody };
}
