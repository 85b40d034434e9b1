/**
 * Typed readers for action parameters. Every failure names the parameter and uses the
 * registry codes: ArgMissing when absent, InvalidParameter when present but wrong.
 * GET delivers everything as strings, so ints and bools accept their decimal/text forms.
 */
import { argMissing, invalidParam } from './errors.js';
import type { Params, ParamValue } from './params.js';

export interface StrOpts {
  maxLen?: number; minLen?: number; pattern?: RegExp; patternHint?: string; oneOf?: readonly string[];
  /** A name the engine stores (database, account): engineNameProblem() applies. */
  engineName?: boolean;
}
export interface IntOpts { min?: number; max?: number }
/** A free-text field: lengths count characters (code points), so a 4-byte character counts once. */
interface TextOpts { maxLen: number; minLen?: number }

/**
 * The one rule for free-text fields, the ones kept only in the store and shown back as given
 * (InstanceName, backup Desc, account Description): any Unicode character of planes 0–16, 4-byte
 * ones included, except control characters (C0, DEL, C1: NUL, tab, CR, LF…), the line and
 * paragraph separators U+2028/U+2029 (they break lines like LF), and lone surrogates (not text;
 * UTF-8 cannot store them, so the value read back would differ). docs/api.md "Free text".
 */
const FREE_TEXT_FORBIDDEN = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Why `s` is not acceptable free text, or undefined. */
export function freeTextProblem(s: string, opts: TextOpts): string | undefined {
  const bad = FREE_TEXT_FORBIDDEN.exec(s);
  if (bad) {
    const cp = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `must not contain control characters, line breaks or lone surrogates (found U+${cp} at position ${bad.index})`;
  }
  const n = [...s].length;
  if (opts.minLen !== undefined && n < opts.minLen) return `must be at least ${opts.minLen} characters`;
  if (n > opts.maxLen) return `must be at most ${opts.maxLen} characters`;
  return undefined;
}

export class ParamReader {
  constructor(private readonly p: Params) {}

  private raw(name: string): ParamValue | undefined {
    const v = this.p[name];
    return v === '' ? undefined : v;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  str(name: string, opts?: StrOpts & { required: true }): string;
  str(name: string, opts?: StrOpts & { required?: false }): string | undefined;
  str(name: string, opts: StrOpts & { required?: boolean } = {}): string | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw argMissing(name);
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') throw invalidParam(name, 'must be a string');
    return checkStr(name, String(v), opts);
  }

  /** Free text (freeTextProblem); numbers are taken as their decimal text, as str() does. */
  text(name: string, opts: TextOpts & { required: true }): string;
  text(name: string, opts: TextOpts & { required?: false }): string | undefined;
  text(name: string, opts: TextOpts & { required?: boolean }): string | undefined {
    const v = this.str(name, { required: opts.required } as StrOpts & { required?: false });
    if (v === undefined) return undefined;
    const why = freeTextProblem(v, opts);
    if (why) throw invalidParam(name, why);
    return v;
  }

  int(name: string, opts?: IntOpts & { required: true }): number;
  int(name: string, opts?: IntOpts & { required?: false }): number | undefined;
  int(name: string, opts: IntOpts & { required?: boolean } = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw argMissing(name);
      return undefined;
    }
    return checkInt(name, v, opts);
  }

  /** A list of strings: a JSON array, GET `Name.0…`, or (lenient) a single string. */
  strList(name: string, opts: { required?: boolean; item?: StrOpts; maxItems?: number } = {}): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw argMissing(name);
      return undefined;
    }
    const arr = Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
    if (!arr) throw invalidParam(name, 'must be a list of strings');
    if (opts.required && arr.length === 0) throw argMissing(name);
    if (opts.maxItems !== undefined && arr.length > opts.maxItems) throw invalidParam(name, `at most ${opts.maxItems} items`);
    return arr.map((x, i) => {
      if (typeof x !== 'string' && typeof x !== 'number') throw invalidParam(`${name}.${i}`, 'must be a string');
      return checkStr(`${name}.${i}`, String(x), opts.item ?? {});
    });
  }

  /** A nested object, read with its own reader; names in errors get the `Parent.` prefix. */
  obj(name: string, opts: { required?: boolean } = {}): ParamReader | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw argMissing(name);
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam(name, 'must be an object');
    return new PrefixedReader(v as Params, this.path(name));
  }

  /** A list of objects (`Ops.0.DBName`). */
  objList(name: string, opts: { required?: boolean; maxItems?: number } = {}): ParamReader[] | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw argMissing(name);
      return undefined;
    }
    if (!Array.isArray(v)) throw invalidParam(name, 'must be a list of objects');
    if (opts.required && v.length === 0) throw argMissing(name);
    if (opts.maxItems !== undefined && v.length > opts.maxItems) throw invalidParam(name, `at most ${opts.maxItems} items`);
    return v.map((x, i) => {
      if (x === null || typeof x !== 'object' || Array.isArray(x)) throw invalidParam(`${name}.${i}`, 'must be an object');
      return new PrefixedReader(x as Params, this.path(`${name}.${i}`));
    });
  }

  bool(name: string, opts: { required?: boolean } = {}): boolean | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw argMissing(name);
      return undefined;
    }
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw invalidParam(name, 'must be true or false');
  }

  /** Full name of a parameter of this reader, as errors of nested readers show it. */
  protected path(name: string): string {
    return name;
  }
}

class PrefixedReader extends ParamReader {
  constructor(p: Params, private readonly prefix: string) {
    super(p);
  }
  override str(name: string, opts: any = {}): any {
    return this.wrap(() => super.str(name, opts));
  }
  override int(name: string, opts: any = {}): any {
    return this.wrap(() => super.int(name, opts));
  }
  override text(name: string, opts: any): any {
    return this.wrap(() => super.text(name, opts));
  }
  override strList(name: string, opts: any = {}): any {
    return this.wrap(() => super.strList(name, opts));
  }
  override bool(name: string, opts: any = {}): any {
    return this.wrap(() => super.bool(name, opts));
  }
  override obj(name: string, opts: any = {}): any {
    return this.wrap(() => super.obj(name, opts));
  }
  override objList(name: string, opts: any = {}): any {
    return this.wrap(() => super.objList(name, opts));
  }
  protected override path(name: string): string {
    return `${this.prefix}.${name}`;
  }
  private wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Error && 'code' in e) {
        e.message = e.message.replace(/parameter (\S+)/, `parameter ${this.prefix}.$1`);
      }
      throw e;
    }
  }
}

export function checkStr(name: string, s: string, opts: StrOpts): string {
  // Before the lengths: 33 emoji are refused for being emoji, not for being 66 UTF-16 units.
  const engineWhy = opts.engineName ? engineNameProblem(s) : undefined;
  if (engineWhy) throw invalidParam(name, engineWhy);
  if (opts.minLen !== undefined && s.length < opts.minLen) throw invalidParam(name, `must be at least ${opts.minLen} characters`);
  if (opts.maxLen !== undefined && s.length > opts.maxLen) throw invalidParam(name, `must be at most ${opts.maxLen} characters`);
  if (opts.oneOf && !opts.oneOf.includes(s)) throw invalidParam(name, `must be one of ${opts.oneOf.join(', ')}`);
  if (opts.pattern && !opts.pattern.test(s)) throw invalidParam(name, opts.patternHint ?? `does not match ${opts.pattern}`);
  return s;
}

export function checkInt(name: string, v: ParamValue, opts: IntOpts): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) n = Number(v.trim());
  else throw invalidParam(name, 'must be an integer');
  if (!Number.isSafeInteger(n)) throw invalidParam(name, 'must be an integer');
  if (opts.min !== undefined && n < opts.min) throw invalidParam(name, `must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw invalidParam(name, `must be at most ${opts.max}`);
  return n;
}

// --- names the engine stores ---------------------------------------------------------------------

/**
 * Why the engine cannot hold `s` as a database or account name, or undefined. The one place of
 * this rule (docs/accounts.md): MariaDB 10.11 keeps these names in utf8mb3, at most 3 bytes per
 * character, and refuses (error 1300) or mis-compares characters outside the Basic Multilingual
 * Plane. Besides, what free text refuses (freeTextProblem: control characters C0, DEL and C1,
 * U+2028/U+2029, lone surrogates) is refused in names too: one rule. Fields kept only in the
 * store (InstanceName, Desc, Description) take the full range.
 */
export function engineNameProblem(s: string): string | undefined {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const u = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    if (cp > 0xffff) {
      return `contains ${ch} (${u}), a character outside the Basic Multilingual Plane; MariaDB 10.11 stores database and account names in utf8mb3 and refuses 4-byte characters such as emoji`;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) return `contains a lone surrogate (${u}), which is not a character`;
  }
  return freeTextProblem(s, { maxLen: Infinity });
}
