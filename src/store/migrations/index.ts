/**
 * Schema migrations, shared by SQLite and PostgreSQL through kysely. One file per migration,
 * named NNN-what.ts; add new ones at the end of the list. Never edit a released migration.
 */
import type { Migration, MigrationProvider } from 'kysely';
import { m001Initial } from './001-initial.js';
import { m003Parameters } from './003-parameters.js';
import { m004Ha } from './004-ha.js';
import { m002Metrics } from './002-metrics.js';
import { m005Backups } from './005-backups.js';
import { m006DiskGuard } from './006-disk-guard.js';
import { m007Nonces } from './007-nonces.js';
import { m008Replication } from './008-replication.js';
import { m009Cluster } from './009-cluster.js';
import { m010Incarnation } from './010-incarnation.js';
import { m011Recovery } from './011-recovery.js';
import { m012NonceLog } from './012-nonce-log.js';

const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001Initial,
  '003_parameters': m003Parameters,
  '004_ha': m004Ha,
  '002_metrics': m002Metrics,
  '005_backups': m005Backups,
  '006_disk_guard': m006DiskGuard,
  '008_replication': m008Replication,
  '009_cluster': m009Cluster,
  '010_incarnation': m010Incarnation,
  '011_recovery': m011Recovery,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};

/**
 * Migrations of the nonce database (schema.ts NonceDatabase), run by a migrator of their own with
 * the bookkeeping tables below, so the nonce tables can live in their own file (SQLite) or in the
 * main database without the two migrators seeing each other's history.
 */
export const NONCE_MIGRATION_TABLES = { migrationTableName: 'nonce_migration', migrationLockTableName: 'nonce_migration_lock' } as const;

/** The shared nonce table (nonces-repo.ts): PostgreSQL. */
export const nonceMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return { '007_nonces': m007Nonces };
  },
};

/** SQLite's nonce file: 007's table, then turned into the append-only log (sqlite/sqlite-nonce-log.ts). */
export const sqliteNonceMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return { '007_nonces': m007Nonces, '012_nonce_log': m012NonceLog };
  },
};
