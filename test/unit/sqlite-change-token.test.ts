/** Which table a SQLite statement moves the change token of (sqlite-store.ts writtenTable, TableWrites). Pure, table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TableWrites, writtenTable } from '../../src/store/sqlite/sqlite-store.js';

// undefined: not attributed to one table (moves every table's token); null: writes nothing of its own.
const CASES: Array<[name: string, sql: string, table: string | undefined | null]> = [
  ['kysely insert into instances', 'insert into "instances" ("uuid") values (?)', 'instances'],
  ['kysely update of nodes', 'update "nodes" set "desired" = ? where "id" = ?', 'nodes'],
  ['kysely delete from tasks', 'delete from "tasks" where "id" = ?', 'tasks'],
  ['raw INSERT OR REPLACE into accounts', 'INSERT OR REPLACE INTO accounts (a) VALUES (?)', 'accounts'],
  ['REPLACE INTO, upper case', 'REPLACE INTO Instances (uuid) VALUES (?)', 'instances'],
  ['member heartbeat (kysely, upsert)', 'insert into "members" ("id", "host_id") values (?, ?) on conflict ("id") do update set "heartbeat_at" = ?', 'members'],
  ['loop lease (raw, unquoted, new line)', 'INSERT INTO loop_leases (name, owner, token)\n VALUES (?, ?, 1)', 'loop_leases'],
  ['UPDATE OR IGNORE of a lease', 'UPDATE OR IGNORE loop_leases SET owner = ?', 'loop_leases'],
  ['archive stream progress', 'update "archive_streams" set "caught_up_at" = ? where "instance_uuid" = ?', 'archive_streams'],
  ['a table whose name starts like another', 'insert into "members_archive" ("id") values (?)', 'members_archive'],
  ['leading white space', '   update "loop_leases" set "token" = "token" + 1', 'loop_leases'],
  ['a CTE write (not recognised: every table)', 'with x as (select 1) delete from "members" where "id" in x', undefined],
  ['DDL (every table)', 'alter table "members" add column "x" text', undefined],
  ['create table (every table)', 'create table "loop_leases2" ("a" text)', undefined],
  ['begin', 'begin', null],
  ['commit', 'COMMIT', null],
  ['rollback', 'rollback', null],
  ['savepoint', 'savepoint sp1', null],
];

for (const [name, sql, table] of CASES) {
  test(`writtenTable: ${name} → ${table === undefined ? 'every table' : table ?? 'none'}`, () => {
    assert.equal(writtenTable(sql), table);
  });
}

const TOKEN_CASES: Array<{ name: string; writes: Array<string | undefined>; tables: string[]; moves: boolean }> = [
  { name: 'a write to a table read', writes: ['instances'], tables: ['instances', 'nodes'], moves: true },
  { name: 'writes to other tables only', writes: ['archive_streams', 'members', 'loop_leases'], tables: ['instances', 'nodes'], moves: false },
  { name: 'an unattributed write', writes: [undefined], tables: ['instances'], moves: true },
  { name: 'no write', writes: [], tables: ['instances'], moves: false },
  { name: 'the stream rows, written by the archiver', writes: ['archive_streams'], tables: ['archive_streams'], moves: true },
];

for (const c of TOKEN_CASES) {
  test(`TableWrites: ${c.name} → ${c.moves ? 'moves' : 'stays'}`, () => {
    const w = new TableWrites();
    w.onWrite('tasks');
    const before = w.token(c.tables);
    const any = w.token();
    for (const t of c.writes) w.onWrite(t);
    assert.equal(w.token(c.tables) !== before, c.moves);
    // Without tables the token moves on any write.
    assert.equal(w.token() !== any, c.writes.length > 0);
  });
}
