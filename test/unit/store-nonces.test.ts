/**
 * Store.useNonce on real SQLite files: the replay check's contract (atomic, durable, expiry), and
 * that recording a nonce leaves the main database's change token alone, so the instance-row
 * cache survives the nonce write every API request makes (issue 11, defect 5).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteNonceLog } from '../../src/store/sqlite/sqlite-nonce-log.js';
import type { Store } from '../../src/store/store.js';

let dir: string;
let store: Store;
const file = () => join(dir, 'openrds.db');
const noncesFile = () => join(dir, 'nonces.db');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openrds-store-nonces-'));
  store = await openSqliteStore(file(), noncesFile());
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const CASES: Array<{ name: string; steps: Array<{ key?: string; nonce: string; at: number; ok: boolean }> }> = [
  { name: 'fresh nonce', steps: [{ nonce: 'a', at: 0, ok: true }] },
  { name: 'reuse inside the window', steps: [{ nonce: 'a', at: 0, ok: true }, { nonce: 'a', at: 999, ok: false }] },
  { name: 'reuse once expired (the leftover row is taken over)', steps: [{ nonce: 'a', at: 0, ok: true }, { nonce: 'a', at: 1000, ok: true }] },
  { name: 'different nonces', steps: [{ nonce: 'a', at: 0, ok: true }, { nonce: 'b', at: 1, ok: true }] },
  { name: 'same nonce, other access key', steps: [{ nonce: 'a', at: 0, ok: true }, { key: 'K2', nonce: 'a', at: 1, ok: true }] },
  { name: 'a refused reuse does not extend the window', steps: [{ nonce: 'a', at: 0, ok: true }, { nonce: 'a', at: 900, ok: false }, { nonce: 'a', at: 1000, ok: true }] },
  { name: 'a taken-over row gets the new expiry', steps: [{ nonce: 'a', at: 0, ok: true }, { nonce: 'a', at: 1000, ok: true }, { nonce: 'a', at: 1999, ok: false }] },
  { name: 'unicode and long nonces', steps: [{ nonce: '😀\u0000'.repeat(300), at: 0, ok: true }, { nonce: '😀\u0000'.repeat(300), at: 1, ok: false }] },
];

let run = 0;
for (const c of CASES) {
  test(`useNonce (lifetime 1000 ms): ${c.name}`, async () => {
    // Each case in its own time range, so earlier cases' rows are expired and irrelevant.
    const base = 1_000_000 * ++run;
    const prefix = `case${run}`;
    for (const s of c.steps) {
      const got = await store.useNonce(s.key ?? 'K1', `${prefix}-${s.nonce}`, base + s.at + 1000, base + s.at);
      assert.equal(got, s.ok, `${s.key ?? 'K1'}/${s.nonce} at ${s.at}`);
    }
  });
}

test('recording a nonce does not move the change token of the row cache', async () => {
  const token = store.backend.changeToken!();
  for (let i = 0; i < 20; i++) assert.equal(await store.useNonce('K1', `token-${i}`, 9e15, 1e15), true);
  assert.equal(store.backend.changeToken!(), token);
});

test('why the nonces need their own file: a write by a second connection to the main file moves the token', async () => {
  const token = store.backend.changeToken!();
  const other = new BetterSqlite3(file());
  other.exec('CREATE TABLE IF NOT EXISTS scratch (x INTEGER); INSERT INTO scratch VALUES (1)');
  other.close();
  assert.notEqual(store.backend.changeToken!(), token);
});

test('a recorded nonce survives closing and reopening the store (a restart)', async () => {
  assert.equal(await store.useNonce('K1', 'restart-1', 9e15, 2e15), true);
  await store.close();
  store = await openSqliteStore(file(), noncesFile());
  assert.equal(await store.useNonce('K1', 'restart-1', 9e15, 2e15 + 1), false);
  assert.ok(existsSync(noncesFile()));
});

test('a recorded nonce survives a crash: another process sees it committed at once', async () => {
  assert.equal(await store.useNonce('K1', 'crash-1', 9e15, 3e15), true);
  // A fresh connection (as after kill -9, the WAL not checkpointed) must see the row.
  const other = new BetterSqlite3(noncesFile(), { readonly: true });
  const row = other.prepare('SELECT expires_at FROM nonce_log WHERE key_id = ? AND nonce = ?').get('K1', 'crash-1') as { expires_at: number } | undefined;
  other.close();
  assert.equal(row?.expires_at, 9e15);
});

test('two stores on the same files (two processes): exactly one wins a nonce', async () => {
  const second = await openSqliteStore(file(), noncesFile());
  try {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : second).useNonce('K1', 'race-1', 9e15, 4e15)));
    assert.equal(results.filter(Boolean).length, 1);
  } finally {
    await second.close();
  }
});

test('expired nonces are pruned on the way, at most once a second, by id range', async () => {
  // Files of its own: the log prunes ids in order, so the long-lived rows of the other tests would hold it back.
  const own = mkdtempSync(join(tmpdir(), 'openrds-store-nonces-prune-'));
  const s = await openSqliteStore(join(own, 'openrds.db'), join(own, 'nonces.db'));
  try {
    const t = 5e15;
    for (let i = 0; i < 50; i++) await s.useNonce('K1', `prune-${i}`, t + 10, t);
    const before = await s.nonces.count();
    // Before expiry nothing of them goes; one second later (after expiry) they are gone.
    await s.useNonce('K1', 'prune-probe-1', t + 5000, t + 5);
    assert.ok((await s.nonces.count()) >= before);
    await s.useNonce('K1', 'prune-probe-2', t + 5000, t + 2000);
    const left = await s.db.selectFrom('instances').select('uuid').execute(); // main db untouched by pruning
    assert.equal(left.length, 0);
    const other = new BetterSqlite3(join(own, 'nonces.db'), { readonly: true });
    const rows = other.prepare('SELECT nonce FROM nonce_log ORDER BY nonce').pluck().all();
    other.close();
    assert.deepEqual(rows, ['prune-probe-1', 'prune-probe-2']);
    // A pruned nonce is expired anyway: used again, it wins.
    assert.equal(await s.useNonce('K1', 'prune-3', t + 9000, t + 2001), true);
  } finally {
    await s.close();
    rmSync(own, { recursive: true, force: true });
  }
});

test('the newest row is never pruned, so ids only grow (a second process reads on from its last id)', async () => {
  const own = mkdtempSync(join(tmpdir(), 'openrds-store-nonces-ids-'));
  const a = await openSqliteStore(join(own, 'openrds.db'), join(own, 'nonces.db'));
  const b = await openSqliteStore(join(own, 'openrds.db'), join(own, 'nonces.db'));
  try {
    const t = 6e15;
    assert.equal(await a.useNonce('K1', 'ids-1', t + 10, t), true);
    assert.equal(await b.useNonce('K1', 'ids-2', t + 10, t), true);
    // Everything expired; a prunes (keeping the newest row), then b's next nonce must get a fresh id that a reads.
    assert.equal(await a.useNonce('K1', 'ids-3', t + 5000, t + 2000), true);
    assert.equal(await a.nonces.count(), 1);
    assert.equal(await b.useNonce('K1', 'ids-4', t + 5000, t + 2001), true);
    assert.equal(await a.useNonce('K1', 'ids-4', t + 5000, t + 2002), false, 'a sees the nonce b recorded after the prune');
    assert.equal(await b.useNonce('K1', 'ids-3', t + 5000, t + 2003), false, 'b sees the nonce a recorded');
  } finally {
    await a.close();
    await b.close();
    rmSync(own, { recursive: true, force: true });
  }
});

test('a nonce of the old table (before migration 012) is still refused after the upgrade', async () => {
  const own = mkdtempSync(join(tmpdir(), 'openrds-store-nonces-012-'));
  const nf = join(own, 'nonces.db');
  const old = new BetterSqlite3(nf);
  old.exec(`CREATE TABLE nonce_migration (name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL);
    INSERT INTO nonce_migration VALUES ('007_nonces', '2026-01-01T00:00:00.000Z');
    CREATE TABLE nonces (key_id text NOT NULL, nonce text NOT NULL, expires_at bigint NOT NULL, CONSTRAINT nonces_pk PRIMARY KEY (key_id, nonce));
    CREATE INDEX nonces_expires_at ON nonces (expires_at);
    INSERT INTO nonces VALUES ('K1', 'before-upgrade', 9e15);`);
  old.close();
  const s = await openSqliteStore(join(own, 'openrds.db'), nf);
  try {
    assert.equal(await s.useNonce('K1', 'before-upgrade', 9e15, 8e15), false);
    assert.equal(await s.useNonce('K1', 'after-upgrade', 9e15, 8e15), true);
  } finally {
    await s.close();
    rmSync(own, { recursive: true, force: true });
  }
});

test('group commit: many calls in one turn, one nonce among them used ten times, exactly one of those wins', async () => {
  const calls = Array.from({ length: 150 }, (_, i) => store.useNonce('K1', i % 15 === 0 ? 'group-dup' : `group-${i}`, 9e15, 6e15));
  const got = await Promise.all(calls);
  assert.equal(got.filter((x, i) => x && i % 15 === 0).length, 1);
  assert.equal(got.filter((x, i) => x && i % 15 !== 0).length, 140);
  // And all of them are recorded: a second round loses every one.
  const again = await Promise.all(Array.from({ length: 150 }, (_, i) => store.useNonce('K1', i % 15 === 0 ? 'group-dup' : `group-${i}`, 9e15, 6e15 + 1)));
  assert.equal(again.filter(Boolean).length, 0);
});

test('checkpoints run off the connection (worker): the nonce file itself grows while the API connection never checkpoints', async () => {
  const size0 = statSync(noncesFile()).size;
  for (let k = 0; k < 20; k++) await Promise.all(Array.from({ length: 64 }, (_, i) => store.useNonce('K1', `ckpt-${k}-${i}-${'x'.repeat(200)}`, 9e15, 7e15)));
  const deadline = Date.now() + 20_000;
  while (statSync(noncesFile()).size <= size0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(statSync(noncesFile()).size > size0, `nonces.db stayed at ${size0} bytes: no checkpoint copied the WAL back`);
  const auto = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute((store.nonces as SqliteNonceLog).db);
  assert.equal(auto.rows[0]?.wal_autocheckpoint, 0);
});
