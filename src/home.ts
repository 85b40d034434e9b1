/** The layout of a home directory: everything one openrds installation owns. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateMasterKey } from './security/secrets.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/store.js';

export const homePaths = (home: string) => ({
  db: join(home, 'openrds.db'),
  /** Used request nonces (replay check), apart from openrds.db so they never empty its read cache. */
  nonces: join(home, 'nonces.db'),
  masterKey: join(home, 'secrets', 'master.key'),
  lock: join(home, 'serve.lock'),
  nodes: join(home, 'nodes'),
});

export async function openHomeStore(home: string): Promise<Store> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const p = homePaths(home);
  return openSqliteStore(p.db, p.nonces);
}

export function openMasterKey(home: string): Buffer {
  return loadOrCreateMasterKey(homePaths(home).masterKey);
}
