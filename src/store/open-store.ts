/**
 * Which backend a store URL names, and opening it. The URL comes from `--store`,
 * OPENRDS_STORE_URL or `store.url` in the config file (src/config/config.ts); empty means the
 * embedded SQLite file of the home. Forms (docs/operator-guide.md, "The metadata store"):
 *
 *   ''  or  'sqlite'                 <home>/openrds.db
 *   'sqlite:PATH'                    an SQLite file at PATH (relative to the working directory)
 *   'postgres://user:pw@host:port/db' (or postgresql://…; any libpq URL parameter pg understands)
 */
import { resolve } from 'node:path';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export type StoreLocation = { backend: 'sqlite'; file: string; noncesFile?: string } | { backend: 'postgres'; url: string };

/** Pure: the backend and where it is; throws on a URL of no known form. */
export function parseStoreUrl(url: string, homeDb: string): StoreLocation {
  const u = url.trim();
  if (u === '' || u === 'sqlite') return { backend: 'sqlite', file: homeDb };
  if (/^sqlite:/i.test(u)) {
    const path = u.slice('sqlite:'.length);
    if (!path) throw new Error('store URL sqlite: needs a file path (sqlite:/var/lib/openrds/openrds.db)');
    return { backend: 'sqlite', file: resolve(path) };
  }
  if (/^postgres(ql)?:\/\/./i.test(u)) return { backend: 'postgres', url: u };
  throw new Error(`store URL must be postgres://…, postgresql://…, sqlite:PATH or empty, got ${JSON.stringify(redactUrl(u))}`);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

export async function openStore(loc: StoreLocation): Promise<Store> {
  try {
    return loc.backend === 'sqlite' ? await openSqliteStore(loc.file, loc.noncesFile) : await openPostgresStore(loc.url);
  } catch (e) {
    const where = loc.backend === 'sqlite' ? loc.file : redactUrl(loc.url);
    throw new Error(`cannot open the ${loc.backend} store ${where}: ${causes(e)}`, { cause: e });
  }
}

/** 'store migration failed: connect ECONNREFUSED 127.0.0.1:5432': the whole chain, one line. */
function causes(e: unknown): string {
  const out: string[] = [];
  for (let c = e; c !== undefined && out.length < 5; c = c instanceof Error ? c.cause : undefined) {
    out.push(c instanceof Error ? (c.message || (c as { code?: string }).code || c.name) : String(c));
  }
  return out.join(': ');
}
