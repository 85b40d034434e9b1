/** The layout of a home directory: everything one openrds installation owns. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateMasterKey } from './security/secrets.js';
import { openStore, parseStoreUrl } from './store/open-store.js';
import type { Store } from './store/store.js';

export const homePaths = (home: string) => ({
  db: join(home, 'openrds.db'),
  /** Used request nonces (replay check), apart from openrds.db so they never empty its read cache. */
  nonces: join(home, 'nonces.db'),
  masterKey: join(home, 'secrets', 'master.key'),
  /** One record per running serve (src/serve-lock.ts). */
  serves: join(home, 'serves'),
  nodes: join(home, 'nodes'),
});

/** The home's store: its SQLite file, or the store URL's database when one is set (Config.store). */
export async function openHomeStore(home: string, storeUrl = ''): Promise<Store> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const p = homePaths(home);
  const loc = parseStoreUrl(storeUrl, p.db);
  // The home's own SQLite store keeps its nonces beside it in nonces.db (docs/operator-guide.md).
  return openStore(loc.backend === 'sqlite' && loc.file === p.db ? { ...loc, noncesFile: p.nonces } : loc);
}

export function openMasterKey(home: string): Buffer {
  return loadOrCreateMasterKey(homePaths(home).masterKey);
}
