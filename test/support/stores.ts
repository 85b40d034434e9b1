/**
 * The table of store backends for tests that should hold on both: each `fresh()` is an empty,
 * migrated store of its own (a new SQLite file; a new database of the process's scratch
 * PostgreSQL), with its location so a test can open a second connection or a second Store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type StoreLocation } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { scratchPostgres } from './postgres.js';

export interface FreshStore {
  store: Store;
  location: StoreLocation;
  /** Another Store on the same database (another process, as far as the first can tell). */
  another(): Promise<Store>;
}

export interface BackendCase {
  name: 'sqlite' | 'postgres';
  fresh(): Promise<FreshStore>;
}

const dirs: string[] = [];
process.on('exit', () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function freshAt(location: StoreLocation): Promise<FreshStore> {
  return { store: await openStore(location), location, another: () => openStore(location) };
}

export const STORE_BACKENDS: readonly BackendCase[] = [
  {
    name: 'sqlite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'openrds-store-'));
      dirs.push(dir);
      return freshAt({ backend: 'sqlite', file: join(dir, 'openrds.db') });
    },
  },
  {
    name: 'postgres',
    async fresh() {
      const pg = await scratchPostgres();
      return freshAt({ backend: 'postgres', url: await pg.createDatabase() });
    },
  },
];
