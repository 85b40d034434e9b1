/** The layout of a home directory: everything one openrds installation owns. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateMasterKey } from './security/secrets.js';
import { openStore, parseStoreUrl } from './store/open-store.js';
import type { Store } from './store/store.js';

export const homePaths = (home: string) => ({
  db: join(home, 'openrds.db'),
  masterKey: join(home, 'secrets', 'master.key'),
  lock: join(home, 'serve.lock'),
  nodes: join(home, 'nodes'),
});

/** The home's store: its SQLite file, or the store URL's database when one is set (Config.store). */
export async function openHomeStore(home: string, storeUrl = ''): Promise<Store> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return openStore(parseStoreUrl(storeUrl, homePaths(home).db));
}

export function openMasterKey(home: string): Buffer {
  return loadOrCreateMasterKey(homePaths(home).masterKey);
}
