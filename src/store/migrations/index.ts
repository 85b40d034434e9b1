/**
 * Schema migrations, shared by SQLite and PostgreSQL through kysely. One file per migration,
 * named NNN-what.ts; add new ones at the end of the list. Never edit a released migration.
 */
import type { Migration, MigrationProvider } from 'kysely';
import { m001Initial } from './001-initial.js';

const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001Initial,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
