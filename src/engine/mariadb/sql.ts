/**
 * Pure SQL builders for MariaDB administration. Identifiers and strings are escaped here, once.
 * The escaping assumes the pinned session of session.ts (no NO_BACKSLASH_ESCAPES, no ANSI_QUOTES).
 */
import { PIN_SESSION_SQL } from './session.js';

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
 * What a Super account holds on MariaDB 10.11 after GRANT ALL and the REVOKE of SUPER_WITHHELD
 * (SHOW GRANTS of a real server), GRANT OPTION aside. The read-back after ensureAccount asks for
 * at least these: a later server version may add privileges to ALL.
 */
export const SUPER_GLOBAL_PRIVILEGES = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'RELOAD', 'PROCESS', 'REFERENCES', 'INDEX', 'ALTER', 'SHOW DATABASES',
  'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'REPLICATION SLAVE', 'BINLOG MONITOR', 'CREATE VIEW', 'SHOW VIEW',
  'CREATE ROUTINE', 'ALTER ROUTINE', 'CREATE USER', 'EVENT', 'TRIGGER', 'CREATE TABLESPACE', 'DELETE HISTORY', 'SET USER',
] as const;

/**
 * Run at every start with binlogging off, so it never creates GTIDs of its own (which would be
 * errant transactions on a standby): (re)creates the internal admin and replication accounts.
 * The init file runs under the global sql_mode of my.cnf (which users may set), so its session
 * is pinned first, like every internal connection.
 */
export function initSql(adminUser: string, adminHash: string, repl?: { user: string; hash: string }): string {
  const u = userRef(adminUser, '%');
  const lines = [
    `${PIN_SESSION_SQL};`,
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
