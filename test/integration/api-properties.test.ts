/**
 * The bounded integration set of the property tests (test/unit/api-properties.test.ts runs the
 * invalid shapes in process): account actions with generated parameters, valid ones included,
 * then valid ModifyDbPrivilege and ModifyDBParameter inputs, against the real `openrds serve` and
 * a real MariaDB instance. Fixed seed, few runs.
 * Invariants: an envelope with a documented code and its status, never 5xx; the engine's users
 * and grants (`SELECT user, host FROM mysql.user` and SHOW GRANTS of each, parsed by
 * src/engine/mariadb/grants.ts, read on a separate root connection to the node) hold exactly the
 * store's accounts plus the internal ones; on an error, those and DescribeDBAccount are
 * unchanged; after a Success of ModifyDbPrivilege / ModifyDBParameter, the engine holds what the
 * API said.
 * Database names are left to the engine-level tests: this set is about the account fields.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import { PRIVILEGE_LEVELS, type PrivilegeLevel } from '../../src/accounts/privileges.js';
import { parseShowGrants } from '../../src/engine/mariadb/grants.js';
import { MariaDbEngine } from '../../src/engine/mariadb/mariadb-engine.js';
import { ERROR_CODES } from '../../src/api/errors.js';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let uuid = '';
let inst: any;
/** root@'%' (CreateDBInstance's Password): the test's own way into the node, apart from the API. */
const ROOT_PW = 'Root-Pass1';
const DBS = ['pdb1', 'pdb2'];
before(async () => {
  s = await startServer();
  inst = await createRunning(s.client, { Password: ROOT_PW });
  uuid = inst.InstanceUuid;
  await asRoot(async (c) => { for (const db of DBS) await c.query(`CREATE DATABASE ${db}`); });
});

async function asRoot<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: ROOT_PW, connectTimeout: 10_000 });
  try {
    await c.query("SET SESSION sql_mode = '', max_statement_time = 0");
    return await fn(c);
  } finally {
    c.destroy();
  }
}

/** Every user of the node with its grants, parsed (raw lines when the parser refuses them). */
async function engineUsers(): Promise<Map<string, unknown>> {
  return asRoot(async (c) => {
    const [users] = await c.query('SELECT user AS user, host AS host FROM mysql.user ORDER BY user, host');
    const out = new Map<string, unknown>();
    for (const u of users as Array<{ user: string; host: string }>) {
      let lines: string[];
      try {
        const [rows] = await c.query('SHOW GRANTS FOR ?@?', [String(u.user), String(u.host)]);
        lines = (rows as Array<Record<string, string>>).map((r) => String(Object.values(r)[0]));
      } catch (e) {
        lines = [`SHOW GRANTS failed: ${(e as Error).message}`]; // a role (host ''), kept in the snapshot as such
      }
      let grants: unknown;
      try { grants = parseShowGrants(lines); } catch { grants = lines.slice().sort(); }
      out.set(`${u.user}@${u.host}`, grants);
    }
    return out;
  });
}

/** Users of the service itself and of the server, not accounts of the API. */
const INTERNAL = (key: string) => /^(openrds_|mariadb\.sys@|root@localhost$|PUBLIC@)/.test(key) || key.endsWith('@localhost');
after(async () => { await s?.cleanup(); });

const RUNS = Number(process.env.PROPERTY_RUNS_INTEGRATION ?? 12);

const text = fc.oneof(
  fc.constantFrom("' OR 1=1 --", 'a\u0000b', 'line\nbreak', '😀', '数据', '`x`', "root'@'%", '', 'x'.repeat(300), '\u2028'),
  fc.string({ maxLength: 12 }),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 0xffff })).map(([p, o]) => String.fromCodePoint(p * 0x10000 + o)), { maxLength: 6 }).map((x) => x.join('')),
);
const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 2 }));
const maybe = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 1 }, { arbitrary: good, weight: 4 }, { arbitrary: value, weight: 2 });

const accountParams = fc.record({
  AccountName: maybe(fc.constantFrom('gen_a', 'gen_b', 'gen_c', 'root', 'openrds_admin', 'x')),
  Password: maybe(fc.constantFrom('Good-Pass1', 'weak')),
  AccountType: maybe(fc.constantFrom('Normal', 'Super')),
  Description: maybe(text),
}, { requiredKeys: [] });

/** DescribeDBAccount and the engine's users and grants, read apart. */
const snapshot = async () => JSON.stringify({
  api: (await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' })).data,
  engine: [...(await engineUsers())],
});

/** The engine's user accounts (internal ones left out) are exactly the API's, all at host '%'. */
async function assertEngineMatchesApi(where: string): Promise<void> {
  const api = (await s.client.ok('DescribeDBAccount', { InstanceUuid: uuid }, { method: 'GET' })).data.map((a: any) => `${a.AccountName}@%`).sort();
  const engine = [...(await engineUsers()).keys()].filter((k) => !INTERNAL(k)).sort();
  assert.deepEqual(engine, api, `engine users differ from the API's accounts: ${where}`);
}

const successes = new Map<string, number>();

async function checkAnswer(action: string, params: Record<string, unknown>, method: 'GET' | 'POST'): Promise<any> {
  const before = await snapshot();
  const r = await s.client.call(action, { InstanceUuid: uuid, ...params }, { method });
  const where = `${action} ${method} ${JSON.stringify(params)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
  assert.ok(r.status < 500, `5xx: ${where}`);
  assert.equal(typeof r.body.TaskId, 'string', where);
  assert.match(r.body.RequestId ?? '', /^[0-9a-f-]{36}$/, where);
  await assertEngineMatchesApi(where);
  if (r.body.Code === 'Success') {
    successes.set(action, (successes.get(action) ?? 0) + 1);
    assert.equal(r.status, 200, where);
    return r.body;
  }
  assert.ok(Object.hasOwn(ERROR_CODES, r.body.Code), `undocumented code: ${where}`);
  assert.equal(r.status, ERROR_CODES[r.body.Code as keyof typeof ERROR_CODES].status, where);
  assert.equal(await snapshot(), before, `an error changed the accounts or grants: ${where}`);
  return undefined;
}

for (const method of ['POST', 'GET'] as const) {
  test(`property (real MariaDB): CreatePrivilegedAccount then DeleteDBAccount over ${method}`, async () => {
    await fc.assert(fc.asyncProperty(accountParams, fc.constantFrom('gen_a', 'gen_b', 'gen_c', 'openrds_admin', '😀', ''), async (create, drop) => {
      const p = method === 'GET' ? Object.fromEntries(Object.entries(create).map(([k, v]) => [k, v === null || v === undefined ? v : String(v)])) : create;
      await checkAnswer('CreatePrivilegedAccount', p, method);
      await checkAnswer('DeleteDBAccount', { AccountName: drop }, method);
    }), { seed: 20261202, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true });
  });
}

// --- valid privilege and parameter changes: the engine holds what the API said ---

const PRIV_ACCOUNT = 'prop_app';
const level = fc.constantFrom(...(Object.keys(PRIVILEGE_LEVELS) as PrivilegeLevel[]));
const privilegeChange = fc.record({
  Operations: fc.subarray(DBS, { minLength: 1 }).chain((dbs) => fc.tuple(...dbs.map((db) => level.map((Privilege) => ({ DBName: db, Privilege }))))),
  ExtraPrivilege: fc.option(fc.record({ AllCreate: fc.constantFrom('true', 'false') }), { nil: undefined }),
}, { requiredKeys: ['Operations'] });

test('property (real MariaDB): valid ModifyDbPrivilege: SHOW GRANTS holds exactly the levels and AllCreate the API answered', async () => {
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: uuid, AccountName: PRIV_ACCOUNT, Password: 'Good-Pass1', AccountType: 'Normal' });
  await fc.assert(fc.asyncProperty(privilegeChange, fc.constantFrom('GET' as const, 'POST' as const), async (change, method) => {
    const beforeGrants = (await engineUsers()).get(`${PRIV_ACCOUNT}@%`) as { global: string[] };
    const params = method === 'GET' ? JSON.parse(JSON.stringify(change)) : change;
    const ok = await checkAnswer('ModifyDbPrivilege', { AccountName: PRIV_ACCOUNT, ...params }, method);
    const where = `ModifyDbPrivilege ${JSON.stringify(change)}`;
    assert.ok(ok, `a valid change was refused: ${where}`);
    const g = (await engineUsers()).get(`${PRIV_ACCOUNT}@%`) as { global: string[]; objects: Array<{ db: string; table: string; privileges: string[] }> };
    for (const o of change.Operations) {
      const held = g.objects.find((x) => x.db === o.DBName && x.table === '*')?.privileges.slice().sort();
      assert.deepEqual(held, [...PRIVILEGE_LEVELS[o.Privilege]].sort(), `${where}: ${o.DBName}`);
    }
    const wantCreate = change.ExtraPrivilege ? change.ExtraPrivilege.AllCreate === 'true' : beforeGrants.global.includes('CREATE');
    assert.equal(g.global.includes('CREATE'), wantCreate, `${where}: global CREATE`);
  }), { seed: 20261204, numRuns: Math.min(RUNS, 8), endOnFailure: true, includeErrorInReport: true });
});

/** Dynamic parameters (no restart) and valid values for them. */
const PARAMS: Record<string, fc.Arbitrary<string>> = {
  max_connections: fc.integer({ min: 50, max: 800 }).map(String),
  wait_timeout: fc.integer({ min: 60, max: 86_400 }).map(String),
  long_query_time: fc.constantFrom('0.5', '2', '10'),
  slow_query_log: fc.constantFrom('ON', 'OFF'),
  innodb_lock_wait_timeout: fc.integer({ min: 1, max: 120 }).map(String),
};
const parameterChange = fc.subarray(Object.keys(PARAMS), { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map((n) => PARAMS[n]!.map((Value) => ({ Name: n, Value })))));
const catalog = new MariaDbEngine().parameters;

test('property (real MariaDB): valid ModifyDBParameter: SHOW GLOBAL VARIABLES holds each value once the task is FINISH', async () => {
  await fc.assert(fc.asyncProperty(parameterChange, async (Parameters) => {
    const ok = await checkAnswer('ModifyDBParameter', { Parameters }, 'POST');
    const where = `ModifyDBParameter ${JSON.stringify(Parameters)}`;
    assert.ok(ok, `a valid change was refused: ${where}`);
    await s.client.waitStatus(uuid, 'RUNNING');
    const task = await s.client.ok('DescribeTask', { TaskId: ok.TaskId }, { method: 'GET' });
    assert.equal(task.data.Status, 'FINISH', `${where}: ${JSON.stringify(task.data)}`);
    const live = await asRoot(async (c) => {
      const [rows] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${Parameters.map(() => '?').join(', ')})`, Parameters.map((x) => x.Name));
      return Object.fromEntries((rows as any[]).map((r) => [r.Variable_name, String(r.Value)]));
    });
    for (const p of Parameters) assert.ok(catalog.same(p.Name, live[p.Name] ?? '', p.Value), `${where}: ${p.Name} is ${live[p.Name]}`);
  }), { seed: 20261205, numRuns: Math.min(RUNS, 5), endOnFailure: true, includeErrorInReport: true });
});

test('the generated set reached real account changes, not only refusals', () => {
  assert.ok((successes.get('CreatePrivilegedAccount') ?? 0) > 0, JSON.stringify([...successes]));
  assert.ok((successes.get('DeleteDBAccount') ?? 0) > 0, JSON.stringify([...successes]));
});
