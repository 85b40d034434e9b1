/**
 * Engine parameters against real MariaDB through the real HTTP server (spec §4.22–§4.24,
 * docs/parameters.md): live values, a dynamic change that survives a crash of the node, a
 * restart-only change applied by the controlled restart, the history, ResourceInUse while the
 * task runs, and every refusal. One instance for the whole file.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { MARIADB_PARAMETERS } from '../../src/engine/mariadb/profile/parameters.js';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let inst: any;
let uuid: string;
const ROOT_PW = 'Root-Pass1';
const t0 = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const apiTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

before(async () => {
  s = await startServer();
  inst = await createRunning(s.client, { InstanceName: 'params', Password: ROOT_PW });
  uuid = inst.InstanceUuid;
});
after(async () => { await s?.cleanup(); });

/** SHOW GLOBAL VARIABLES on the node, as a user connection sees it. */
async function live(...names: string[]): Promise<Record<string, string>> {
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: ROOT_PW, connectTimeout: 3000 });
  try {
    const [rows] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`);
    return Object.fromEntries((rows as any[]).map((r) => [r.Variable_name, String(r.Value)]));
  } finally {
    await c.end();
  }
}

/** The pid of this home's one mariadbd. */
function dbPid(): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (argv.includes(`--defaults-file=${s.home}/nodes/`)) return Number(d);
    } catch { /* gone */ }
  }
  throw new Error('no mariadbd for this home');
}

async function parameters(): Promise<Map<string, any>> {
  const { data } = await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid }, { method: 'GET' });
  return new Map(data.Parameters.map((p: any) => [p.Name, p]));
}

async function history(from = t0 - 60_000, to = Date.now() + 60_000): Promise<any[]> {
  const { data } = await s.client.ok('DescribeDBParameterModifyHistory', { InstanceUuid: uuid, StartTime: apiTime(from), EndTime: apiTime(to) }, { method: 'GET' });
  assert.ok(Array.isArray(data));
  return data;
}

async function refused(params: Record<string, unknown>, code: string, status: number, message?: RegExp, action = 'ModifyDBParameter') {
  const r = await s.client.call(action, params, { method: action.startsWith('Describe') ? 'GET' : 'POST' });
  assert.equal(r.body.Code, code, `${JSON.stringify(params)}: ${JSON.stringify(r.body)}`);
  assert.equal(r.status, status);
  if (message) assert.match(r.body.Message, message);
}

test('DescribeDBParameter: every field a string, CurrentValue read from the engine and equal to the default on a new instance', async () => {
  const ps = await parameters();
  assert.equal(ps.size, MARIADB_PARAMETERS.list().length);
  for (const p of ps.values()) {
    assert.deepEqual(Object.keys(p).sort(), ['CheckingCode', 'CurrentValue', 'DefaultValue', 'Description', 'IsModify', 'IsRestart', 'Name']);
    for (const v of Object.values(p)) assert.equal(typeof v, 'string', `${p.Name}: ${JSON.stringify(p)}`);
    assert.ok(['true', 'false'].includes(p.IsModify) && ['true', 'false'].includes(p.IsRestart), p.Name);
    assert.ok(MARIADB_PARAMETERS.same(p.Name, p.CurrentValue, p.DefaultValue), `${p.Name}: runs ${p.CurrentValue}, default says ${p.DefaultValue}`);
  }
  assert.deepEqual(ps.get('back_log'), {
    Name: 'back_log', CurrentValue: '130', DefaultValue: '130', Description: ps.get('back_log').Description,
    IsModify: 'true', IsRestart: 'true', CheckingCode: '[1-65535]',
  });
  assert.equal(ps.get('long_query_time').CurrentValue, '1.000000', 'straight from SHOW GLOBAL VARIABLES');
  assert.equal(ps.get('binlog_format').IsModify, 'false');
  const post = await s.client.ok('DescribeDBParameter', { InstanceUuid: uuid });
  assert.equal(post.data.Parameters.length, ps.size);
});

test('refusals: protected and unknown parameters, bad values, missing fields — nothing recorded, instance stays RUNNING', async () => {
  const one = (Name: string, Value: unknown) => ({ InstanceUuid: uuid, Parameters: [{ Name, Value }] });
  for (const name of ['datadir', 'port', 'bind_address', 'log_bin', 'log-bin', 'binlog_format', 'gtid_strict_mode', 'gtid_domain_id', 'server_id', 'read_only', 'init_file', 'sync_binlog', 'lower_case_table_names', 'rpl_semi_sync_master_enabled']) {
    await refused(one(name, '1'), 'InvalidParameter', 400, new RegExp(`Parameters\\.0\\.Name: ${name.replace('-', '_')} is protected`));
  }
  await refused(one('innodb_fake_knob', '1'), 'InvalidParameter', 400, /Parameters\.0\.Name: innodb_fake_knob is not a tunable parameter/);
  await refused(one('max_connections', 'abc'), 'InvalidParameter', 400, /Parameters\.0\.Value: max_connections must be an integer in \[10-10000\]/);
  await refused(one('back_log', '0'), 'InvalidParameter', 400, /Parameters\.0\.Value: back_log .*\[1-65535\]/);
  await refused(one('slow_query_log', 'maybe'), 'InvalidParameter', 400, /\[ON\|OFF\]/);
  await refused(one('sql_mode', 'TRADITIONAL'), 'InvalidParameter', 400, /sql_mode/);
  await refused(one('max_allowed_packet', '64M'), 'InvalidParameter', 400, /max_allowed_packet must be an integer/);
  await refused(one('innodb_buffer_pool_size', String(200 * 1024 * 1024)), 'InvalidParameter', 400, /multiple of 134217728/);
  await refused({ InstanceUuid: uuid, Parameters: [{ Name: 'wait_timeout', Value: '60' }, { Name: 'WAIT_TIMEOUT', Value: '70' }] }, 'InvalidParameter', 400, /Parameters\.1\.Name: wait_timeout is given twice/);
  await refused({ InstanceUuid: uuid, Parameters: [{ Name: 'wait_timeout', Value: '60' }, { Name: 'datadir', Value: '/x' }] }, 'InvalidParameter', 400, /Parameters\.1\.Name/);
  await refused({ InstanceUuid: uuid }, 'ArgMissing', 400, /Parameters/);
  await refused({ InstanceUuid: uuid, Parameters: [] }, 'ArgMissing', 400, /Parameters/);
  await refused({ InstanceUuid: uuid, Parameters: [{ Name: 'wait_timeout' }] }, 'ArgMissing', 400, /Parameters\.0\.Value/);
  await refused({ InstanceUuid: uuid, Parameters: [{ Value: '1' }] }, 'ArgMissing', 400, /Parameters\.0\.Name/);
  await refused({ Parameters: [{ Name: 'wait_timeout', Value: '60' }] }, 'ArgMissing', 400, /InstanceUuid/);
  await refused({ InstanceUuid: 'no-such-instance', Parameters: [{ Name: 'wait_timeout', Value: '60' }] }, 'ResourceNotFound', 404);
  await refused({}, 'ArgMissing', 400, /InstanceUuid/, 'DescribeDBParameter');
  await refused({ InstanceUuid: 'no-such-instance' }, 'ResourceNotFound', 404, undefined, 'DescribeDBParameter');
  await refused({ InstanceUuid: uuid, StartTime: '2024-01-01 00:00:00' }, 'ArgMissing', 400, /EndTime/, 'DescribeDBParameterModifyHistory');
  await refused({ InstanceUuid: uuid, StartTime: '2024-01-01T00:00:00Z', EndTime: '2024-01-02 00:00:00' }, 'InvalidParameter', 400, /StartTime/, 'DescribeDBParameterModifyHistory');
  await refused({ InstanceUuid: uuid, StartTime: '2024-02-30 00:00:00', EndTime: '2024-03-01 00:00:00' }, 'InvalidParameter', 400, /StartTime/, 'DescribeDBParameterModifyHistory');
  await refused({ InstanceUuid: uuid, StartTime: '2024-01-02 00:00:00', EndTime: '2024-01-01 00:00:00' }, 'InvalidParameter', 400, /EndTime: must not be before StartTime/, 'DescribeDBParameterModifyHistory');
  await refused({ InstanceUuid: 'no-such-instance', StartTime: '2024-01-01 00:00:00', EndTime: '2024-01-02 00:00:00' }, 'ResourceNotFound', 404, undefined, 'DescribeDBParameterModifyHistory');
  assert.deepEqual(await history(), []);
  const d = await s.client.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(d.data[0].Status, 'RUNNING');
});

test('dynamic parameters: in SHOW GLOBAL VARIABLES when the task ends, and still there after kill -9 of mariadbd', async () => {
  const r = await s.client.ok('ModifyDBParameter', {
    InstanceUuid: uuid,
    Parameters: [
      { Name: 'long_query_time', Value: '2' }, { Name: 'max_connections', Value: 500 }, { Name: 'wait_timeout', Value: '600' },
      { Name: 'sql_mode', Value: 'no_engine_substitution,STRICT_ALL_TABLES' }, { Name: 'Slow-Query-Log', Value: 'on' },
    ],
  });
  assert.equal(typeof r.taskId, 'string');
  assert.ok(r.taskId.length > 0);
  await s.client.waitStatus(uuid, 'RUNNING');
  const task = await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
  assert.equal(task.data.Status, 'FINISH');
  assert.equal(task.data.TaskType, 'ModifyDBParameter');
  const want = { long_query_time: '2.000000', max_connections: '500', wait_timeout: '600', sql_mode: 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', slow_query_log: 'ON' };
  assert.deepEqual(await live(...Object.keys(want)), want);
  const ps = await parameters();
  assert.equal(ps.get('max_connections').CurrentValue, '500');
  assert.equal(ps.get('max_connections').DefaultValue, '400');

  // Persisted in the node's config …
  const cnf = readFileSync(`${s.home}/nodes/${readdirSync(`${s.home}/nodes`)[0]}/my.cnf`, 'utf8');
  assert.match(cnf, /^max_connections = 500$/m);
  assert.match(cnf, /^wait_timeout = 600$/m);
  // … so a crash and the watchdog's restart keep them.
  const pid = dbPid();
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.ok(Date.now() < deadline, 'the node came back within 30 s');
    await sleep(200);
    try {
      if (dbPid() !== pid && (await live('wait_timeout')).wait_timeout) break;
    } catch { /* still down */ }
  }
  await s.client.waitStatus(uuid, 'RUNNING');
  assert.deepEqual(await live(...Object.keys(want)), want);
});

test('restart-only parameter: the instance leaves RUNNING, other mutations get ResourceInUse, the node restarts with it', async () => {
  // Not set yet, back_log is autosized at start from max_connections: 50 + 500/5 after the crash restart.
  assert.deepEqual(await live('back_log'), { back_log: '150' });
  const pid = dbPid();
  // GET, with the SDK's flattening: Parameters.0.Name / Parameters.0.Value.
  const r = await s.client.ok('ModifyDBParameter', { InstanceUuid: uuid, Parameters: [{ Name: 'back_log', Value: '120' }] }, { method: 'GET' });
  assert.ok(r.taskId);
  const during = await s.client.ok('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
  assert.equal(during.data[0].Status, 'MODIFYING_PARAMETERS');
  assert.equal(during.data[0].StatusStr, '参数修改中');
  await refused({ InstanceUuid: uuid, Parameters: [{ Name: 'wait_timeout', Value: '700' }] }, 'ResourceInUse', 409);
  await refused({ InstanceUuid: uuid, AccountName: 'late', Password: 'Late-Pass1', AccountType: 'Normal' }, 'ResourceInUse', 409, undefined, 'CreatePrivilegedAccount');
  await refused({ InstanceUuid: uuid, AccountName: 'root', Operations: [{ DBName: 'anydb', Privilege: 'ReadOnly' }] }, 'ResourceInUse', 409, undefined, 'ModifyDbPrivilege');
  await refused({ InstanceUuid: uuid, AccountName: 'root' }, 'ResourceInUse', 409, undefined, 'DeleteDBAccount');
  await refused({ InstanceUuid: uuid }, 'ResourceInUse', 409, undefined, 'DeleteDBInstance');
  // Reads keep working, or say the instance is busy; they never fail with an internal error.
  const read = await s.client.call('DescribeDBParameter', { InstanceUuid: uuid }, { method: 'GET' });
  assert.ok(read.body.Code === 'Success' || read.body.Code === 'ResourceInUse', JSON.stringify(read.body));

  await s.client.waitStatus(uuid, 'RUNNING');
  assert.deepEqual(await live('back_log'), { back_log: '120' });
  assert.notEqual(dbPid(), pid, 'the node was restarted');
  assert.equal((await s.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' })).data.Status, 'FINISH');
  // The dynamic values of before survived this restart too.
  assert.deepEqual(await live('wait_timeout', 'max_connections'), { wait_timeout: '600', max_connections: '500' });
  assert.equal((await parameters()).get('back_log').CurrentValue, '120');
});

test('history: every change with old and new value, time, role and IsValid as a bool', async () => {
  const h = await history();
  const by = new Map(h.map((x) => [x.ParameterName, x]));
  assert.deepEqual([...by.keys()].sort(), ['back_log', 'long_query_time', 'max_connections', 'slow_query_log', 'sql_mode', 'wait_timeout']);
  for (const x of h) {
    assert.deepEqual(Object.keys(x).sort(), ['IsValid', 'ModifyRole', 'ModifyTime', 'NewParameterValue', 'OldParameterValue', 'ParameterName', 'StatusMessage']);
    assert.equal(x.IsValid, true, JSON.stringify(x));
    assert.equal(x.StatusMessage, '已生效');
    assert.equal(x.ModifyRole, '用户');
    assert.match(x.ModifyTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  }
  assert.deepEqual(
    { old: by.get('long_query_time').OldParameterValue, new: by.get('long_query_time').NewParameterValue },
    { old: '1.000000', new: '2' },
  );
  assert.deepEqual({ old: by.get('max_connections').OldParameterValue, new: by.get('max_connections').NewParameterValue }, { old: '400', new: '500' });
  assert.deepEqual({ old: by.get('back_log').OldParameterValue, new: by.get('back_log').NewParameterValue }, { old: '150', new: '120' });
  assert.equal(by.get('sql_mode').NewParameterValue, 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION');
  assert.ok(h.findIndex((x) => x.ParameterName === 'back_log') > h.findIndex((x) => x.ParameterName === 'long_query_time'), 'oldest first');
  // The time window filters.
  assert.deepEqual(await history(t0 - 3_600_000, t0 - 1_800_000), []);
  // A one-second window holds exactly the changes made in that second: several changes can
  // land in the same second on a fast machine, so the expected set comes from the full history.
  const backLogTime = by.get('back_log').ModifyTime;
  const backLogAt = Date.parse(backLogTime.replace(' ', 'T') + 'Z');
  const sameSecond = h.filter((x) => x.ModifyTime === backLogTime).map((x) => x.ParameterName);
  assert.ok(sameSecond.includes('back_log'));
  assert.deepEqual((await history(backLogAt, backLogAt)).map((x) => x.ParameterName), sameSecond);
  const after = h.filter((x) => x.ModifyTime > backLogTime).map((x) => x.ParameterName);
  assert.deepEqual((await history(backLogAt + 1000, Date.now() + 60_000)).map((x) => x.ParameterName), after);
});
