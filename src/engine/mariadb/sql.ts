/** Pure SQL builders for MariaDB administration. Identifiers and strings are escaped here, once. */

export function quoteString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0') + "'";
}

export function quoteIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

export function userRef(name: string, host: string): string {
  return `${quoteString(name)}@${quoteString(host)}`;
}

/** Privileges withheld from the Super account: they would let it break the service or its HA guarantees. */
export const SUPER_WITHHELD = [
  'SUPER', 'SHUTDOWN', 'FILE', 'READ_ONLY ADMIN', 'BINLOG ADMIN', 'REPLICATION MASTER ADMIN',
  'REPLICATION SLAVE ADMIN', 'SLAVE MONITOR', 'BINLOG REPLAY', 'FEDERATED ADMIN', 'CONNECTION ADMIN',
] as const;

/**
 * Run at every start with binlogging off, so it never creates GTIDs of its own (which would be
 * errant transactions on a standby): (re)creates the internal admin and replication accounts.
 */
export function initSql(adminUser: string, adminHash: string, repl?: { user: string; hash: string }): string {
  const u = userRef(adminUser, '%');
  const lines = [
    'SET sql_log_bin = 0;',
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY PASSWORD ${quoteString(adminHash)};`,
    `ALTER USER ${u} IDENTIFIED BY PASSWORD ${quoteString(adminHash)};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${u} WITH GRANT OPTION;`,
    "DROP USER IF EXISTS 'mysql'@'localhost';",
  ];
  if (repl) {
    const r = userRef(repl.user, '%');
    lines.push(
      `CREATE USER IF NOT EXISTS ${r} IDENTIFIED BY PASSWORD ${quoteString(repl.hash)};`,
      `ALTER USER ${r} IDENTIFIED BY PASSWORD ${quoteString(repl.hash)};`,
      `GRANT REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ${r};`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

export interface ReplicationSource {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Points a node at a source with GTID replication. `mode` slave_pos for replicas and rebuilt copies, current_pos for a rejoining old primary. */
export function changeMasterSql(src: ReplicationSource, mode: 'slave_pos' | 'current_pos'): string {
  return `CHANGE MASTER TO MASTER_HOST=${quoteString(src.host)}, MASTER_PORT=${Number(src.port)}, ` +
    `MASTER_USER=${quoteString(src.user)}, MASTER_PASSWORD=${quoteString(src.password)}, ` +
    `MASTER_USE_GTID=${mode}, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1`;
}

export function ensureAccountSql(name: string, hash: string, type: 'Super' | 'Normal'): string[] {
  const u = userRef(name, '%');
  const out = [
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY PASSWORD ${quoteString(hash)}`,
    `ALTER USER ${u} IDENTIFIED BY PASSWORD ${quoteString(hash)}`,
  ];
  if (type === 'Super') {
    out.push(`GRANT ALL PRIVILEGES ON *.* TO ${u} WITH GRANT OPTION`);
    out.push(`REVOKE ${SUPER_WITHHELD.join(', ')} ON *.* FROM ${u}`);
  }
  return out;
}

export function dropAccountSql(name: string): string {
  return `DROP USER IF EXISTS ${userRef(name, '%')}`;
}

// --- user privileges (docs/accounts.md) ----------------------------------------------------------

/** Every privilege MariaDB 10.11 can hold at database level; `ALL PRIVILEGES` there means these. */
export const DB_LEVEL_PRIVILEGES = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER', 'CREATE TEMPORARY TABLES',
  'LOCK TABLES', 'EXECUTE', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE', 'EVENT', 'TRIGGER',
  'DELETE HISTORY',
] as const;

const PRIVILEGE_NAME = /^[A-Z]+( [A-Z]+)*$/;

function privilegeList(privileges: readonly string[]): string {
  for (const p of privileges) if (!PRIVILEGE_NAME.test(p)) throw new Error(`not a privilege name: ${JSON.stringify(p)}`);
  return privileges.join(', ');
}

/**
 * A literal database name as a grant pattern: in `GRANT … ON db.*` the characters `_` and `%`
 * are wildcards, so `db_1` would also match `dbx1`. Escaped, the grant covers that name only.
 */
export function dbGrantIdent(db: string): string {
  return quoteIdent(db.replace(/[\\_%]/g, (c) => '\\' + c));
}

/** Inverse of the escaping above, for names read back from SHOW GRANTS. */
export function unescapeDbPattern(pattern: string): string {
  return pattern.replace(/\\(.)/g, '$1');
}

export function grantDatabaseSql(name: string, db: string, privileges: readonly string[]): string {
  return `GRANT ${privilegeList(privileges)} ON ${dbGrantIdent(db)}.* TO ${userRef(name, '%')}`;
}

/** `ALL` revokes every privilege but not the grant option (MariaDB keeps it; revoke `GRANT OPTION` too). */
export function revokeDatabaseSql(name: string, db: string, privileges: readonly string[] | 'ALL'): string {
  const what = privileges === 'ALL' ? 'ALL PRIVILEGES' : privilegeList(privileges);
  return `REVOKE ${what} ON ${dbGrantIdent(db)}.* FROM ${userRef(name, '%')}`;
}

/**
 * Statements that take `name`'s privileges on `db`.* from `current` (undefined: no grant there)
 * to exactly `target`: the GRANT first, then the REVOKE of what is left over, so the account
 * keeps its access throughout. Empty when nothing changes. `target` empty means revoke all.
 */
export function planDatabasePrivileges(name: string, db: string, current: readonly string[] | undefined, target: readonly string[]): string[] {
  const have = new Set((current ?? []).flatMap((p) => (p === 'ALL PRIVILEGES' ? [...DB_LEVEL_PRIVILEGES] : [p])));
  if (target.length === 0) {
    const out: string[] = [];
    if ([...have].some((p) => p !== 'GRANT OPTION')) out.push(revokeDatabaseSql(name, db, 'ALL'));
    if (have.has('GRANT OPTION')) out.push(revokeDatabaseSql(name, db, ['GRANT OPTION']));
    return out;
  }
  const out: string[] = [];
  if (target.some((p) => !have.has(p))) out.push(grantDatabaseSql(name, db, target));
  const extra = [...have].filter((p) => !target.includes(p));
  if (extra.length) out.push(revokeDatabaseSql(name, db, extra));
  return out;
}

export function setGlobalPrivilegeSql(name: string, privilege: string, granted: boolean): string {
  const p = privilegeList([privilege]);
  return granted ? `GRANT ${p} ON *.* TO ${userRef(name, '%')}` : `REVOKE ${p} ON *.* FROM ${userRef(name, '%')}`;
}

export function showGrantsSql(name: string): string {
  return `SHOW GRANTS FOR ${userRef(name, '%')}`;
}

export function databaseExistsSql(db: string): string {
  return `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${quoteString(db)}`;
}

/** The grants of SHOW GRANTS output lines, by object. Lines it does not understand are skipped. */
export function parseShowGrants(lines: readonly string[]): { global: string[]; objects: Array<{ db: string; table: string; privileges: string[] }> } {
  const global = new Set<string>();
  const objects = new Map<string, { db: string; table: string; privileges: string[] }>();
  for (const line of lines) {
    const g = parseGrantLine(line);
    if (!g) continue;
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

/** One `GRANT privs ON db.table TO user …` line; undefined for role, proxy and routine grants. */
export function parseGrantLine(line: string): { privileges: string[]; db: string; table: string } | undefined {
  const s = line.trim();
  if (!s.startsWith('GRANT ')) return undefined;
  const on = findTopLevel(s, ' ON ', 6);
  if (on < 0) return undefined; // GRANT role TO user
  const privileges = splitTopLevel(s.slice(6, on), ',').map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean)
    .map((p) => (p.includes('(') ? p : p.toUpperCase()));
  if (privileges.includes('PROXY')) return undefined;
  let i = on + 4;
  if (/^(PROCEDURE|FUNCTION|PACKAGE)\s/i.test(s.slice(i))) return undefined;
  const a = readIdent(s, i);
  if (!a || s[a.end] !== '.') return undefined;
  const b = readIdent(s, a.end + 1);
  if (!b || !s.startsWith(' TO ', b.end)) return undefined;
  i = b.end;
  const tail = s.slice(i).replace(/'(?:[^'\\]|\\.)*'|`(?:[^`]|``)*`/g, "''");
  if (/\sWITH\s.*\bGRANT OPTION\b/i.test(tail)) privileges.push('GRANT OPTION');
  if (a.star) return b.star ? { privileges, db: '*', table: '*' } : undefined;
  return { privileges, db: unescapeDbPattern(a.name), table: b.star ? '*' : b.name };
}

/** `*`, a backquoted identifier or a bare one, starting at `i`. */
function readIdent(s: string, i: number): { name: string; star: boolean; end: number } | undefined {
  if (s[i] === '*') return { name: '*', star: true, end: i + 1 };
  if (s[i] === '`') {
    let name = '';
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '`') {
        if (s[j + 1] === '`') { name += '`'; j++; continue; }
        return { name, star: false, end: j + 1 };
      }
      name += s[j];
    }
    return undefined;
  }
  const m = /^[A-Za-z0-9_$\\]+/.exec(s.slice(i));
  return m ? { name: m[0], star: false, end: i + m[0].length } : undefined;
}

/** Index of `needle` outside quotes, backquotes and parentheses, from `from`; -1 if absent. */
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
    if (c === '`' || c === "'") quote = c;
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

// --- engine parameters (docs/parameters.md) ------------------------------------------------------

const VARIABLE_NAME = /^[a-z][a-z0-9_]*$/;

export function showVariablesSql(names: readonly string[]): string {
  for (const n of names) if (!VARIABLE_NAME.test(n)) throw new Error(`not a variable name: ${JSON.stringify(n)}`);
  return `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(quoteString).join(', ')})`;
}

/** SET GLOBAL with numbers unquoted (the server refuses '500' for an integer) and words quoted. */
export function setGlobalSql(name: string, value: string): string {
  if (!VARIABLE_NAME.test(name)) throw new Error(`not a variable name: ${JSON.stringify(name)}`);
  return `SET GLOBAL ${name} = ${/^\d+(\.\d+)?$/.test(value) ? value : quoteString(value)}`;
}

/** The service's own schema: a one-row heartbeat table whose writes replicate like any other. */
export const SYSTEM_SCHEMA = '__openrds';

export function heartbeatSql(): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${SYSTEM_SCHEMA}`,
    `CREATE TABLE IF NOT EXISTS ${SYSTEM_SCHEMA}.heartbeat (id TINYINT PRIMARY KEY, ts TIMESTAMP(6) NOT NULL) ENGINE=InnoDB`,
    `REPLACE INTO ${SYSTEM_SCHEMA}.heartbeat VALUES (1, NOW(6))`,
  ];
}
