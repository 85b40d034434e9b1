/**
 * SHOW GRANTS, read (pure): the parser behind DescribeDBAccount and behind the read-back that
 * every account and privilege change does before it reports success (mariadb-engine.ts).
 *
 * Internal sessions are pinned (session.ts), so the server prints backquoted names; the parser
 * reads `"…"` names too (the form under ANSI_QUOTES) and bare ones, each with its doubled-quote
 * escape. It is strict: a line that is neither a grant it understands nor one it knowingly skips
 * (roles, proxies, routines, SET DEFAULT ROLE) is an error, never silently nothing, because a
 * skipped grant would make a revoke look done and a grant look missing.
 */
import type { AccountGrants } from '../engine.js';
import { DB_LEVEL_PRIVILEGES, SUPER_GLOBAL_PRIVILEGES, SUPER_WITHHELD, unescapeDbPattern } from './sql.js';

/** A SHOW GRANTS line the parser cannot read. */
export class UnreadableGrantError extends Error {
  constructor(readonly line: string) {
    super(`cannot read the SHOW GRANTS line ${JSON.stringify(line.slice(0, 300))}`);
    this.name = 'UnreadableGrantError';
  }
}

type LineRead =
  | { kind: 'grant'; privileges: string[]; db: string; table: string }
  | { kind: 'skipped' }
  | { kind: 'unreadable' };

/** The grants of SHOW GRANTS output lines, by object. Throws UnreadableGrantError on a line it does not understand. */
export function parseShowGrants(lines: readonly string[]): AccountGrants {
  const global = new Set<string>();
  const objects = new Map<string, { db: string; table: string; privileges: string[] }>();
  for (const line of lines) {
    const g = readGrantLine(line);
    if (g.kind === 'unreadable') throw new UnreadableGrantError(line);
    if (g.kind === 'skipped') continue;
    if (g.db === '*') {
      for (const p of g.privileges) if (p !== 'USAGE') global.add(p);
      continue;
    }
    const key = `${g.db}\u0000${g.table}`;
    const o = objects.get(key) ?? { db: g.db, table: g.table, privileges: [] };
    for (const p of g.privileges) if (p !== 'USAGE' && !o.privileges.includes(p)) o.privileges.push(p);
    if (o.privileges.length) objects.set(key, o);
  }
  return { global: [...global], objects: [...objects.values()] };
}

/** One `GRANT privs ON db.table TO user …` line; undefined for anything else (role, proxy, routine grants, unreadable). */
export function parseGrantLine(line: string): { privileges: string[]; db: string; table: string } | undefined {
  const g = readGrantLine(line);
  return g.kind === 'grant' ? { privileges: g.privileges, db: g.db, table: g.table } : undefined;
}

/** The mysql_native_password hash SHOW GRANTS shows on the `*.*` line, or undefined. */
export function passwordHashOf(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const m = /\sIDENTIFIED BY PASSWORD '([^'\\]*)'/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function readGrantLine(line: string): LineRead {
  const s = line.trim();
  if (/^SET DEFAULT ROLE\s/i.test(s)) return { kind: 'skipped' };
  if (!s.startsWith('GRANT ')) return { kind: 'unreadable' };
  const on = findTopLevel(s, ' ON ', 6);
  if (on < 0) return findTopLevel(s, ' TO ', 6) > 0 ? { kind: 'skipped' } : { kind: 'unreadable' }; // GRANT role TO user
  const privileges = splitTopLevel(s.slice(6, on), ',').map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean)
    .map((p) => (p.includes('(') ? p : p.toUpperCase()));
  if (privileges.includes('PROXY')) return { kind: 'skipped' };
  let i = on + 4;
  if (/^(PROCEDURE|FUNCTION|PACKAGE)\s/i.test(s.slice(i))) return { kind: 'skipped' };
  const a = readIdent(s, i);
  if (!a || s[a.end] !== '.') return { kind: 'unreadable' };
  const b = readIdent(s, a.end + 1);
  if (!b || !s.startsWith(' TO ', b.end)) return { kind: 'unreadable' };
  i = b.end;
  const tail = s.slice(i).replace(/'(?:[^'\\]|\\.)*'|`(?:[^`]|``)*`|"(?:[^"]|"")*"/g, "''");
  if (/\sWITH\s.*\bGRANT OPTION\b/i.test(tail)) privileges.push('GRANT OPTION');
  if (a.star) return b.star ? { kind: 'grant', privileges, db: '*', table: '*' } : { kind: 'unreadable' };
  return { kind: 'grant', privileges, db: unescapeDbPattern(a.name), table: b.star ? '*' : b.name };
}

/** `*`, an identifier quoted with backquotes or double quotes (the quote doubled inside), or a bare one, starting at `i`. */
function readIdent(s: string, i: number): { name: string; star: boolean; end: number } | undefined {
  if (s[i] === '*') return { name: '*', star: true, end: i + 1 };
  const q = s[i];
  if (q === '`' || q === '"') {
    let name = '';
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === q) {
        if (s[j + 1] === q) { name += q; j++; continue; }
        return { name, star: false, end: j + 1 };
      }
      name += s[j];
    }
    return undefined;
  }
  const m = /^[A-Za-z0-9_$\\]+/.exec(s.slice(i));
  return m ? { name: m[0], star: false, end: i + m[0].length } : undefined;
}

/** Index of `needle` outside quotes (', ", `) and parentheses, from `from`; -1 if absent. */
function findTopLevel(s: string, needle: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === "'") i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '`' || c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && s.startsWith(needle, i)) return i;
  }
  return -1;
}

function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const i = findTopLevel(s, sep, from);
    if (i < 0) break;
    out.push(s.slice(from, i));
    from = i + sep.length;
  }
  out.push(s.slice(from));
  return out;
}

// --- read-back checks: why the grants read after a change are not what it was meant to do ---------

/** The privileges held on `db`.*, with `ALL PRIVILEGES` spelled out. */
export function heldOnDatabase(g: AccountGrants, db: string): Set<string> {
  const held = g.objects.find((o) => o.db === db && o.table === '*')?.privileges ?? [];
  return new Set(held.flatMap((p) => (p === 'ALL PRIVILEGES' ? [...DB_LEVEL_PRIVILEGES] : [p])));
}

/** Why `name`'s privileges on `db`.* are not exactly `target` (empty: none at all), or undefined. */
export function databaseGrantProblem(g: AccountGrants | undefined, name: string, db: string, target: readonly string[]): string | undefined {
  if (!g) return `account ${name} does not exist`;
  const held = heldOnDatabase(g, db);
  const missing = target.filter((p) => !held.has(p));
  const extra = [...held].filter((p) => !target.includes(p));
  if (!missing.length && !extra.length) return undefined;
  return `account ${name} on database ${db}: ${[missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `still holds ${extra.join(', ')}` : ''].filter(Boolean).join('; ')}`;
}

/** Why `name` does (not) hold the global `privilege`, as `granted` asks, or undefined. */
export function globalPrivilegeProblem(g: AccountGrants | undefined, name: string, privilege: string, granted: boolean): string | undefined {
  if (!g) return `account ${name} does not exist`;
  const held = g.global.includes(privilege) || g.global.includes('ALL PRIVILEGES');
  if (held === granted) return undefined;
  return `account ${name} ${granted ? 'lacks' : 'still holds'} the global ${privilege} privilege`;
}

/** Why the account read back is not the one ensureAccount was asked for, or undefined. */
export function accountProblem(
  g: AccountGrants | undefined, hash: string | undefined, want: { name: string; passwordHash: string; type: 'Super' | 'Normal' },
): string | undefined {
  if (!g) return `account ${want.name} does not exist`;
  if (hash !== want.passwordHash) return `account ${want.name} does not have the requested password`;
  if (want.type !== 'Super') return undefined;
  const missing = [...SUPER_GLOBAL_PRIVILEGES, 'GRANT OPTION'].filter((p) => !g.global.includes(p));
  const withheld = SUPER_WITHHELD.filter((p) => g.global.includes(p) || g.global.includes('ALL PRIVILEGES'));
  if (!missing.length && !withheld.length) return undefined;
  return `Super account ${want.name}: ${[missing.length ? `missing ${missing.join(', ')}` : '', withheld.length ? `holds withheld ${withheld.join(', ')}` : ''].filter(Boolean).join('; ')}`;
}

/** Pure: the account type its grants show: Super when it holds every privilege of a Super account (ensureAccount's read-back rule). */
export function accountTypeOf(g: AccountGrants): 'Super' | 'Normal' {
  return [...SUPER_GLOBAL_PRIVILEGES, 'GRANT OPTION'].every((p) => g.global.includes(p)) ? 'Super' : 'Normal';
}
