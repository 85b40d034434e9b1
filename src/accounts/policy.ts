/** Account name and password rules (docs/accounts.md). Pure. */
import { RESERVED_ACCOUNTS } from '../engine/engine.js';

export const PASSWORD_POLICY = {
  minLength: 8,
  maxLength: 32,
  /** Characters allowed besides letters and digits. */
  specials: '!@#$%^&*()_+-=[]{}|;:,.<>?~',
  minClasses: 3,
} as const;

/** Returns why the password is refused, or undefined when it is acceptable. */
export function passwordProblem(pw: string): string | undefined {
  const P = PASSWORD_POLICY;
  if (pw.length < P.minLength || pw.length > P.maxLength) return `must be ${P.minLength}-${P.maxLength} characters long`;
  for (const ch of pw) {
    if (!/[A-Za-z0-9]/.test(ch) && !P.specials.includes(ch)) return `contains a character that is not allowed (${JSON.stringify(ch)}); use letters, digits and ${P.specials}`;
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (classes < P.minClasses) return `must contain at least ${P.minClasses} of: lowercase letters, uppercase letters, digits, special characters (${P.specials})`;
  return undefined;
}

export const ACCOUNT_NAME_RULE = /^[a-z][a-z0-9_]{1,31}$/;

export function accountNameProblem(name: string): string | undefined {
  if (!ACCOUNT_NAME_RULE.test(name)) return 'must be 2-32 characters: lowercase letters, digits and _, starting with a letter';
  if (RESERVED_ACCOUNTS.some((r) => r.toLowerCase() === name.toLowerCase()) || name.startsWith('openrds_') || name.startsWith('mariadb')) {
    return `${name} is reserved for the service`;
  }
  return undefined;
}

/**
 * Why `name` is one of the service's internal accounts, which are never listed and never
 * changed through the API (openrds_admin, openrds_repl, openrds_monitor, root@localhost,
 * mariadb.sys, …), or undefined. `stored`: the name is a user account in the store; only `root`
 * can be both (CreateDBInstance's Password makes a `root`@'%' Super account, which is the user's).
 */
export function internalAccountProblem(name: string, stored: boolean): string | undefined {
  const n = name.toLowerCase();
  const reserved = RESERVED_ACCOUNTS.some((r) => r.toLowerCase() === n) || n.startsWith('openrds_') || n.startsWith('mariadb');
  if (!reserved || (n === 'root' && stored)) return undefined;
  return `${name} is an internal account of the service; it cannot be listed, changed or dropped`;
}
