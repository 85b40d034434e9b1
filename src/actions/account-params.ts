/** Parameter rules shared by the account actions (docs/accounts.md). */

const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** Why privileges on `db` cannot be given through the API, or undefined. */
export function systemDatabaseProblem(db: string): string | undefined {
  return SYSTEM_DATABASES.includes(db.toLowerCase()) ? `${db} is a system database; privileges on it cannot be granted` : undefined;
}
