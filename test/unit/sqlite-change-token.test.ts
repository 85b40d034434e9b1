/** Which SQLite statements move the store's change token (sqlite-store.ts mayChangeCachedRows). Pure, table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayChangeCachedRows } from '../../src/store/sqlite/sqlite-store.js';

const CASES: Array<[name: string, sql: string, moves: boolean]> = [
  ['kysely insert into instances', 'insert into "instances" ("uuid") values (?)', true],
  ['kysely update of nodes', 'update "nodes" set "desired" = ? where "id" = ?', true],
  ['kysely delete from tasks', 'delete from "tasks" where "id" = ?', true],
  ['raw INSERT OR REPLACE into accounts', 'INSERT OR REPLACE INTO accounts (a) VALUES (?)', true],
  ['REPLACE INTO a cached table', 'REPLACE INTO instances (uuid) VALUES (?)', true],
  ['member heartbeat (kysely)', 'insert into "members" ("id", "host_id") values (?, ?) on conflict ("id") do update set "heartbeat_at" = ?', false],
  ['member heartbeat update', 'update "members" set "heartbeat_at" = ? where "id" = ?', false],
  ['member leaves', 'delete from "members" where "id" = ?', false],
  ['loop lease (raw, unquoted, new line)', 'INSERT INTO loop_leases (name, owner, token)\n VALUES (?, ?, 1)', false],
  ['loop lease released', 'delete from "loop_leases" where "owner" = ?', false],
  ['UPDATE OR IGNORE of a lease', 'UPDATE OR IGNORE loop_leases SET owner = ?', false],
  ['a table whose name starts like an uncached one', 'insert into "members_archive" ("id") values (?)', true],
  ['a CTE write (not recognised: counts)', 'with x as (select 1) delete from "members" where "id" in x', true],
  ['DDL counts', 'alter table "members" add column "x" text', true],
  ['create table counts', 'create table "loop_leases2" ("a" text)', true],
  ['leading white space', '   update "loop_leases" set "token" = "token" + 1', false],
];

for (const [name, sql, moves] of CASES) {
  test(`change token: ${name} → ${moves ? 'moves' : 'stays'}`, () => {
    assert.equal(mayChangeCachedRows(sql), moves);
  });
}
