/**
 * The database privilege levels of the CDS API (spec §4.11) and how the engine's real grants
 * map back onto them. Pure: DescribeDbPrivileges shows PRIVILEGE_LEVELS, ModifyDbPrivilege grants
 * exactly these lists, and DescribeDBAccount names a grant by the level whose list it equals.
 * See docs/accounts.md.
 */
import type { AccountGrants } from '../engine/engine.js';

export const PRIVILEGE_LEVELS = {
  ReadWrite: [
    'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'INDEX', 'ALTER', 'CREATE TEMPORARY TABLES', 'LOCK TABLES',
    'EXECUTE', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE', 'EVENT', 'TRIGGER',
  ],
  DMLOnly: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE', 'SHOW VIEW', 'EVENT', 'TRIGGER'],
  ReadOnly: ['SELECT', 'LOCK TABLES', 'SHOW VIEW'],
  DDLOnly: [
    'CREATE', 'DROP', 'INDEX', 'ALTER', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE',
    'ALTER ROUTINE',
  ],
} as const satisfies Record<string, readonly string[]>;

export type PrivilegeLevel = keyof typeof PRIVILEGE_LEVELS;
export const PRIVILEGE_LEVEL_NAMES = Object.keys(PRIVILEGE_LEVELS) as PrivilegeLevel[];

/**
 * What DescribeDBAccount calls a set of privileges that no level equals (granted outside the
 * API, e.g. by the Super account). Its AccountPrivilegeDetail lists what is really granted.
 */
export const CUSTOM_LEVEL = 'Custom';

/** The comma-separated form used by DescribeDbPrivileges and AccountPrivilegeDetail. */
export function privilegeDetail(privileges: readonly string[]): string {
  return privileges.join(', ');
}

/** The level whose privilege list equals `privileges` (order and case do not matter), or Custom. */
export function levelOf(privileges: readonly string[]): PrivilegeLevel | typeof CUSTOM_LEVEL {
  const have = new Set(privileges.map((p) => p.trim().toUpperCase()));
  for (const name of PRIVILEGE_LEVEL_NAMES) {
    const want = PRIVILEGE_LEVELS[name];
    if (want.length === have.size && want.every((p) => have.has(p))) return name;
  }
  return CUSTOM_LEVEL;
}

export interface DatabasePrivilege {
  AccountPrivilegeType: string;
  DBName: string;
  TableName: string;
  AccountPrivilegeDetail: string;
}

/**
 * DatabasePrivileges of DescribeDBAccount (spec §4.12), from the grants the engine really holds:
 * one entry per database-level (`db`.*) or table-level (`db`.`t`) grant, sorted by database then
 * table. Global grants are not database privileges; they show as ExtraPrivilege.
 */
export function databasePrivileges(g: AccountGrants): DatabasePrivilege[] {
  return g.objects
    .slice()
    .sort((a, b) => cmp(a.db, b.db) || cmp(a.table, b.table))
    .map((o) => ({
      AccountPrivilegeType: levelOf(o.privileges),
      DBName: o.db,
      TableName: o.table,
      AccountPrivilegeDetail: privilegeDetail(orderLike(o.privileges)),
    }));
}

/** ExtraPrivilege.AllCreate: whether the account may CREATE on `*.*`. */
export function allCreate(g: AccountGrants): 'true' | 'false' {
  return g.global.some((p) => p === 'CREATE' || p === 'ALL PRIVILEGES') ? 'true' : 'false';
}

/** Privileges in the order of the ReadWrite list (the engine's own order), unknown ones after. */
function orderLike(privileges: readonly string[]): string[] {
  const order: readonly string[] = PRIVILEGE_LEVELS.ReadWrite;
  const rank = (p: string) => (order.includes(p) ? order.indexOf(p) : order.length);
  return privileges.slice().sort((a, b) => rank(a) - rank(b) || cmp(a, b));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
