/**
 * Which serves run on a home: each one records itself in `<home>/serves/<pid>.json` (homePaths().serves)
 * at its start and removes the file at a clean stop. A `kill -9` leaves the file, so a record counts
 * only while its process lives.
 *
 * On SQLite one serve per home (two would fight over the same tasks and processes; the file
 * store has no shared leases). On PostgreSQL several serve nodes share one home and one store
 * (docs/cluster.md): the store's leases decide who runs what. A home is never served from two
 * different stores at once.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './provisioner/local/proc.js';

export interface ServeRecord {
  pid: number;
  /** 'sqlite' or 'postgres'. */
  backend: string;
  /** Where the store is: the SQLite file or the PostgreSQL URL without its password. */
  store: string;
}

/** The serves that run on the home now (this process left out). */
export function runningServes(servesDir: string): ServeRecord[] {
  let names: string[] = [];
  try {
    names = readdirSync(servesDir).filter((n) => /^\d+\.json$/.test(n));
  } catch { /* no serve ever ran */ }
  const out: ServeRecord[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(readFileSync(join(servesDir, n), 'utf8')) as ServeRecord;
      if (Number.isInteger(r.pid) && r.pid > 0 && r.pid !== process.pid && isAlive(r.pid)) out.push(r);
    } catch { /* removed or half written meanwhile */ }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** Pure: why this serve may not start beside `others`, or undefined when it may. */
export function lockRefusal(me: Omit<ServeRecord, 'pid'>, others: readonly ServeRecord[]): string | undefined {
  const o = others[0];
  if (!o) return undefined;
  if (me.backend === 'sqlite' || o.backend === 'sqlite') {
    return `another openrds serve (pid ${o.pid}) already runs on this home with the ${o.backend} store ${o.store}; `
      + 'on SQLite one serve runs per home: for several serve nodes use a PostgreSQL store (--store postgres://…, docs/cluster.md), '
      + 'or stop it first, or use another --home';
  }
  const other = others.find((x) => x.store !== me.store);
  if (other) return `another openrds serve (pid ${other.pid}) runs on this home with another store (${other.store}); serve nodes of one home share one store`;
  return undefined;
}

/**
 * Records this process as a serve of the home, refusing (and recording nothing) when lockRefusal
 * says so. Written before the others are read, so of two serves starting at once at least one sees
 * the other. Returns the release.
 */
export function takeLock(servesDir: string, me: Omit<ServeRecord, 'pid'>): () => void {
  mkdirSync(servesDir, { recursive: true, mode: 0o700 });
  const file = join(servesDir, `${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ pid: process.pid, ...me }));
  const why = lockRefusal(me, runningServes(servesDir));
  if (why) {
    rmSync(file, { force: true });
    throw new Error(why);
  }
  return () => rmSync(file, { force: true });
}
