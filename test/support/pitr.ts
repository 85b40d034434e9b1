/**
 * Helpers for point-in-time recovery tests (docs/recovery.md): rows recorded with their binlog
 * commit second, the window, temporary instances, and the archive read back from the home's store
 * and backup storage to check GTID continuity (no gap, no duplicate, no errant transaction applied).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { newWalk, walk } from '../../src/archive/binlog-events.js';
import { gtidCovers } from '../../src/engine/gtid.js';
import { judge, parseGtidPos, planRuns } from '../../src/recovery/replay-plan.js';
import type { ServerHandle } from './harness.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const apiTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
export const parseApi = (t: string) => Date.parse(t.replace(' ', 'T') + 'Z');

export interface Row { id: number; at: number }

/**
 * Inserts one row (`table` has `id INT PRIMARY KEY, v VARCHAR`) in its own transaction; returns
 * its commit time as the binlog records it: the second the statement ran in (UTC). It is sent well
 * inside a second and must come back in the same second, so the second is not in doubt.
 */
export async function commitRow(c: mysql.Connection, id: number, table = 'app.t'): Promise<Row> {
  while (Date.now() % 1000 > 850) await sleep(5);
  const before = Date.now();
  await c.query(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [id, `row-${id}`]);
  const after = Date.now();
  const at = Math.floor(before / 1000) * 1000;
  assert.equal(Math.floor(after / 1000) * 1000, at, `the commit of row ${id} took ${after - before} ms across a second boundary`);
  return { id, at };
}

export const checksum = (rows: Array<{ id: number; v: string }>) => createHash('sha256').update(rows.map((r) => `${r.id}:${r.v}`).join('\n')).digest('hex');
export const expected = (rows: readonly Row[], selectTime: number) => rows.filter((x) => x.at <= selectTime).sort((a, b) => a.id - b.id).map((x) => ({ id: x.id, v: `row-${x.id}` }));

export async function window(s: ServerHandle, uuid: string): Promise<any> {
  return (await s.client.ok('DescribeRollbackRangeTime', { InstanceUuid: uuid }, { method: 'GET' })).data;
}

/** Waits until the window is open (the archive's automatic first backup finished). */
export async function waitWindowOpen(s: ServerHandle, uuid: string, timeoutMs = 180_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const w = await window(s, uuid);
    if (w.LeftBorderTime && w.RightBorderTime) return w;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no window: ${JSON.stringify(w)}`);
    await sleep(300);
  }
}

/** Waits until RightBorderTime is at or after `atLeast` (ms). */
export async function waitRight(s: ServerHandle, uuid: string, atLeast: number, timeoutMs = 60_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const w = await window(s, uuid);
    if (w.RightBorderTime && parseApi(w.RightBorderTime) >= atLeast) return w;
    if (Date.now() - t0 > timeoutMs) throw new Error(`window did not reach ${apiTime(atLeast)}: ${JSON.stringify(w)}`);
    await sleep(200);
  }
}

export async function waitTemporary(s: ServerHandle, source: string, tempName: string, timeoutMs = 240_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const { data } = await s.client.ok('DescribeTemporaryDBInstances', { InstanceUuid: source }, { method: 'GET' });
    const t = (data as any[]).find((x) => x.TemporaryInstanceName === tempName);
    if (t?.Status === 'RUNNING') return t;
    if (t?.Status === 'ERROR') throw new Error(`temporary instance failed: ${t.StatusDetail}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`temporary instance ${tempName} still ${t?.Status}`);
    await sleep(250);
  }
}

/** Restores `source` to `selectTime` into a new temporary instance `name`; returns its rows of `table`. */
export async function restoreRows(s: ServerHandle, source: string, selectTime: number, name: string, password: string, table = 'app.t'): Promise<Array<{ id: number; v: string }>> {
  const r = await s.client.ok('StartBatchRollbackToTemporaryDBInstance', { InstanceUuid: source, SelectTime: apiTime(selectTime), TemporaryInstanceName: name });
  assert.ok(r.taskId);
  const t = await waitTemporary(s, source, name);
  assert.equal(t.SelectRecoveryTime, apiTime(selectTime));
  return tempRows(t, password, table);
}

export async function tempRows(t: { Ip: string; Port: number }, password: string, table = 'app.t'): Promise<Array<{ id: number; v: string }>> {
  const tc = await mysql.createConnection({ host: t.Ip, port: t.Port, user: 'root', password });
  try {
    const [got] = await tc.query(`SELECT id, v FROM ${table} ORDER BY id`);
    return (got as any[]).map((x) => ({ id: Number(x.id), v: String(x.v) }));
  } finally {
    await tc.end();
  }
}

/** The home's SQLite store, read-only. */
export function storeDb(home: string): BetterSqlite3.Database {
  return new BetterSqlite3(join(home, 'openrds.db'), { readonly: true, fileMustExist: true });
}

export function storeRows(home: string, sql: string, ...args: unknown[]): any[] {
  const db = storeDb(home);
  try {
    return db.prepare(sql).all(...args);
  } finally {
    db.close();
  }
}

export interface Continuity {
  /** GTIDs the replay would apply, in order. */
  applied: string[];
  /** Transactions a run repeated (skipped by GTID at replay): stored twice, applied once. */
  repeated: number;
  /** Transactions beyond an errant cut (never applied). */
  errant: string[];
  /** Places where the applied sequence of a domain jumps (`a -> b`). */
  holes: string[];
  /** GTIDs applied more than once. */
  duplicates: string[];
}

/**
 * Every stored segment of the instance's `timeline`, decompressed from the backup storage and
 * walked, in the replay's order and with its rules (src/recovery/replay-plan.ts) from `fromGtid`:
 * what a restore to "now" would apply, and whether that is one unbroken GTID sequence.
 */
export function archiveContinuity(home: string, instanceUuid: string, fromGtid = '', timeline = 1, backupsDir = join(home, 'backups')): Continuity {
  const segments = storeRows(home, 'SELECT * FROM archive_segments WHERE instance_uuid = ? AND timeline = ?', instanceUuid, timeline);
  const cuts = storeRows(home, 'SELECT * FROM archive_gaps WHERE instance_uuid = ? AND timeline = ?', instanceUuid, timeline);
  const runs = planRuns(segments.map((x) => ({ ...x, start_offset: Number(x.start_offset) })), cuts, fromGtid);
  const pos = parseGtidPos(fromGtid);
  const out: Continuity = { applied: [], repeated: 0, errant: [], holes: [], duplicates: [] };
  const seen = new Set<string>();
  for (const r of runs) {
    const cut = r.cut !== undefined ? parseGtidPos(r.cut) : undefined;
    for (const sgm of r.segments as any[]) {
      const buf = execFileSync('zstd', ['-dc', join(backupsDir, sgm.key)], { maxBuffer: 1 << 30 });
      for (const tx of walk(newWalk(), buf).transactions) {
        const g = `${tx.gtid.domain}-${tx.gtid.server}-${tx.gtid.seq}`;
        const v = judge(pos, cut, Number.MAX_SAFE_INTEGER, tx);
        if (v === 'skip') { out.repeated++; continue; }
        if (v === 'end-run') { out.errant.push(g); continue; }
        const cur = pos.get(tx.gtid.domain);
        if (cur && tx.gtid.seq !== cur.seq + 1) out.holes.push(`${tx.gtid.domain}-${cur.server}-${cur.seq} -> ${g}`);
        const key = `${tx.gtid.domain}-${tx.gtid.seq}`;
        if (seen.has(key)) out.duplicates.push(g);
        seen.add(key);
        pos.set(tx.gtid.domain, { server: tx.gtid.server, seq: tx.gtid.seq });
        out.applied.push(g);
      }
    }
  }
  return out;
}

/** The archive stream row of an instance. */
export function streamRow(home: string, instanceUuid: string): any {
  return storeRows(home, 'SELECT * FROM archive_streams WHERE instance_uuid = ?', instanceUuid)[0];
}

/** Pids of the binlog archive clients (mariadb-binlog) of this home. */
export function archiverPids(home: string): number[] {
  const out: number[] = [];
  for (const line of execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m && m[2]!.includes('mariadb-binlog') && m[2]!.includes(`--result-file=${home}/`)) out.push(Number(m[1]));
  }
  return out;
}

/**
 * Waits until the stored segments hold everything the archive had made durable when called
 * (segments close every `archive.closeEveryMs`); returns the archive's continuity then.
 */
export async function waitStored(home: string, instanceUuid: string, timeoutMs = 30_000, backupsDir = join(home, 'backups')): Promise<Continuity> {
  const want = parseGtidPos(streamRow(home, instanceUuid).archived_gtid);
  const t0 = Date.now();
  for (;;) {
    const ends = storeRows(home, 'SELECT end_gtid FROM archive_segments WHERE instance_uuid = ?', instanceUuid).map((r) => parseGtidPos(r.end_gtid));
    if (ends.some((e) => gtidCovers(e, want))) return archiveContinuity(home, instanceUuid, '', 1, backupsDir);
    if (Date.now() - t0 > timeoutMs) throw new Error(`the stored segments do not reach ${streamRow(home, instanceUuid).archived_gtid}`);
    await sleep(200);
  }
}
