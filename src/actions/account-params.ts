/** Parameter rules shared by the account actions (docs/accounts.md). */

/** AccountName as the account actions read it; reserved names get their own message later. */
export const ACCOUNT_NAME_PARAM = { minLen: 1, maxLen: 64, engineName: true };

/**
 * A database name: what MariaDB allows, 1–64 characters of the Basic Multilingual Plane, and
 * none that free text refuses (control characters C0/DEL/C1, U+2028/U+2029): the one rule of
 * engineNameProblem in src/api/validate.ts.
 */
export const DB_NAME_PARAM = { minLen: 1, maxLen: 64, engineName: true };

const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** Why privileges on `db` cannot be given through the API, or undefined. */
export function systemDatabaseProblem(db: string): string | undefined {
  return SYSTEM_DATABASES.includes(db.toLowerCase()) ? `${db} is a system database; privileges on it cannot be granted` : undefined;
}
