/** Pure parts of the CLI: Name=Value parsing, did-you-mean, tables, completion, profiles, retries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAssignments, resolveAction } from '../../src/cli/call-args.js';
import { CliError } from '../../src/cli/cli-error.js';
import { chooseOutput, displayWidth, progressLine, renderTable } from '../../src/cli/output.js';
import { completeWords } from '../../src/cli/completion.js';
import { resolveConnection } from '../../src/cli/profiles.js';
import { actionHelp, actionsHelp } from '../../src/cli/call-command.js';
import { closest, editDistance } from '../../src/contract/suggest.js';
import { CONTRACTS } from '../../src/contract/index.js';
import { retryDelay } from '../../src/sdk/retry.js';
import { buildRequest, flatten } from '../../src/sdk/request.js';
import { computeSignature } from '../../src/api/signature.js';

const usage = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message));

interface ArgCase { name: string; action: keyof typeof CONTRACTS; words: string[]; out?: unknown; err?: RegExp }
const ARGS: ArgCase[] = [
  { name: 'string and integer by declaration', action: 'CreateDBInstance', words: ['InstanceName=12', 'DiskValue=100', 'Password=12345678'], out: { InstanceName: '12', DiskValue: 100, Password: '12345678' } },
  { name: 'integer that is not one passes through for the server to name', action: 'CreateDBInstance', words: ['DiskValue=big'], out: { DiskValue: 'big' } },
  { name: 'a value with = in it', action: 'CreateDBInstance', words: ['Password=a=b'], out: { Password: 'a=b' } },
  { name: 'object list as JSON', action: 'ModifyDbPrivilege', words: ['Operations=[{"DBName":"shop","Privilege":"ReadWrite"}]'], out: { Operations: [{ DBName: 'shop', Privilege: 'ReadWrite' }] } },
  { name: 'object list by dotted paths', action: 'ModifyDbPrivilege', words: ['Operations.0.DBName=shop', 'Operations.0.Privilege=ReadOnly', 'Operations.1.DBName=crm', 'Operations.1.Privilege=DMLOnly'], out: { Operations: [{ DBName: 'shop', Privilege: 'ReadOnly' }, { DBName: 'crm', Privilege: 'DMLOnly' }] } },
  { name: 'object by dotted path, boolean typed', action: 'ModifyDbPrivilege', words: ['ExtraPrivilege.AllCreate=true'], out: { ExtraPrivilege: { AllCreate: true } } },
  { name: 'object as JSON', action: 'ModifyDbBackupPolicy', words: ['DataBackups={"TimeSlot":"02:00-03:00","DateList":["1"],"Sign":1}'], out: { DataBackups: { TimeSlot: '02:00-03:00', DateList: ['1'], Sign: 1 } } },
  { name: 'nested object by paths with a list inside', action: 'ModifyDbBackupPolicy', words: ['DataBackups.TimeSlot=02:00-03:00', 'DataBackups.DateList.0=1', 'DataBackups.DateList.1=4', 'DataBackups.Sign=1'], out: { DataBackups: { TimeSlot: '02:00-03:00', DateList: ['1', '4'], Sign: 1 } } },
  { name: 'string list repeated', action: 'DeleteDbPrivilege', words: ['DBNames=a', 'DBNames=b'], out: { DBNames: ['a', 'b'] } },
  { name: 'string list single', action: 'DeleteDbPrivilege', words: ['DBNames=a'], out: { DBNames: ['a'] } },
  { name: 'string list as JSON', action: 'DeleteDbPrivilege', words: ['DBNames=["a","b"]'], out: { DBNames: ['a', 'b'] } },
  { name: 'typo names the word and suggests', action: 'CreateDBInstance', words: ['Pasword=x'], err: /unknown parameter Pasword of CreateDBInstance; did you mean Password\?/ },
  { name: 'case typo', action: 'CreateDBInstance', words: ['instancename=x'], err: /did you mean InstanceName\?/ },
  { name: 'far off word: no suggestion', action: 'DescribeRegions', words: ['Zzzzzz=1'], err: /unknown parameter Zzzzzz of DescribeRegions \(/ },
  { name: 'unknown nested field by path', action: 'ModifyDbPrivilege', words: ['Operations.0.DBNme=shop'], err: /Operations\.0\.DBNme.*did you mean DBName\?/ },
  { name: 'unknown nested field in JSON', action: 'ModifyDbPrivilege', words: ['Operations=[{"DBName":"a","Privileges":"ReadWrite"}]'], err: /Operations\.0\.Privileges.*did you mean Privilege\?/ },
  { name: 'no = sign', action: 'DescribeRegions', words: ['RegionId'], err: /parameters are Name=Value/ },
  { name: 'object needs JSON or paths', action: 'ModifyDbPrivilege', words: ['Operations=shop'], err: /JSON .*Operations\.0\.Field/ },
  { name: 'bad JSON', action: 'ModifyDbPrivilege', words: ['Operations=[{'], err: /not valid JSON/ },
];
for (const c of ARGS) {
  test(`parseAssignments: ${c.name}`, () => {
    const k = CONTRACTS[c.action];
    if (c.err) usage(() => parseAssignments(k, c.words), c.err);
    else assert.deepEqual(parseAssignments(k, c.words), c.out);
  });
}

test('unknown action: exit 2, named, with a suggestion', () => {
  usage(() => resolveAction('DescribeDBInstance'), /unknown action DescribeDBInstance; did you mean DescribeDBInstances\?/);
  usage(() => resolveAction('describeregions'), /did you mean DescribeRegions\?/);
  assert.equal(resolveAction('DescribeTask').name, 'DescribeTask');
});

const DIST: Array<[string, string, number]> = [['Pasword', 'Password', 1], ['abc', 'abc', 0], ['ab', 'ba', 1], ['InstanceUUID', 'InstanceUuid', 0], ['', 'abc', 3], ['kitten', 'sitting', 3]];
for (const [a, b, d] of DIST) test(`editDistance(${a}, ${b}) = ${d}`, () => assert.equal(editDistance(a, b), d));
test('closest: within a third of the length, or a contained name', () => {
  assert.equal(closest('Pasword', ['Password', 'AccountName']), 'Password');
  assert.equal(closest('xyz', ['Password']), undefined);
  assert.equal(closest('Uuid', ['InstanceUuid', 'AccountName']), 'InstanceUuid');
});

test('renderTable: a list of objects with the chosen columns, wide characters padded by width', () => {
  const t = renderTable('DescribeRegions', [{ RegionId: 'CN_Beijing_A', CityName: '北京' }, { RegionId: 'X', CityName: 'ab' }]);
  assert.equal(t, 'RegionId      CityName\n------------  --------\nCN_Beijing_A  北京\nX             ab\n');
  const inst = renderTable('DescribeDBInstances', [{ InstanceUuid: 'u1', Status: 'RUNNING', Tags: [], Extra: 1 }]);
  assert.match(inst.split('\n')[0]!, /^InstanceUuid  Status$/);
});
test('renderTable: an object as Field/Value, an empty list, scalars, nested values summarised, long cells clipped', () => {
  assert.equal(renderTable('X', { A: 1, B: [1, 2] }), 'Field  Value\n-----  -----\nA      1\nB      [2]\n');
  assert.equal(renderTable('X', []), '(none)\n');
  assert.equal(renderTable('X', ['a', 'b']), 'Value\n-----\na\nb\n');
  assert.ok(renderTable('X', [{ A: 'x'.repeat(100) }]).includes('…'));
  assert.equal(displayWidth('北京a'), 5);
});
test('chooseOutput: explicit wins; table only for lists on a terminal', () => {
  assert.equal(chooseOutput(undefined, true, []), 'table');
  assert.equal(chooseOutput(undefined, true, {}), 'json');
  assert.equal(chooseOutput(undefined, false, []), 'json');
  assert.equal(chooseOutput('table', false, {}), 'table');
  assert.equal(chooseOutput('json', true, []), 'json');
});
test('progressLine: subject, status, step with counts, elapsed', () => {
  assert.equal(progressLine({ subject: 'task t1', status: 'DOING', step: 'start-nodes', stepsDone: 2, stepCount: 7, elapsedMs: 12_345 }), 'task t1: DOING, step start-nodes (2/7), 12.3 s');
  assert.equal(progressLine({ subject: 'instance u', status: 'RUNNING', step: '', elapsedMs: 1000 }), 'instance u: RUNNING, 1.0 s');
});

const CMDS = ['serve', 'keys', 'call', 'configure', 'connect', 'completion'];
const COMPLETE: Array<[string[], string[]]> = [
  [[''], CMDS],
  [['c'], ['call', 'configure', 'connect', 'completion']],
  [['call', 'DescribeR'], ['DescribeRegions', 'DescribeRollbackRangeTime']],
  [['call', 'DeleteDBInstance', ''], ['InstanceUuid=']],
  [['call', 'DeleteBackup', 'InstanceUuid=x', ''], ['BackupId=']],
  [['call', 'DescribeRegions', '--o'], ['--output']],
  [['call', 'DescribeRegions', '--output', 't'], ['table']],
  [['call', 'NoSuch', ''], []],
  [['-'], ['--version', '--help']],
];
for (const [words, want] of COMPLETE) test(`completeWords ${JSON.stringify(words)}`, () => assert.deepEqual(completeWords(words, CMDS), want));

const FILE = { profiles: { default: { endpoint: 'http://d:1', accessKeyId: 'D', accessKeySecret: 'DS' }, prod: { endpoint: 'http://p:1', accessKeyId: 'P', accessKeySecret: 'PS', output: 'table' as const } } };
const CONN: Array<[string, object, NodeJS.ProcessEnv, Partial<ReturnType<typeof resolveConnection>>]> = [
  ['default profile', {}, {}, { endpoint: 'http://d:1', accessKeyId: 'D', profile: 'default' }],
  ['env beats the default profile', {}, { OPENRDS_ACCESS_KEY_ID: 'E', OPENRDS_ENDPOINT: 'http://e:1' }, { accessKeyId: 'E', endpoint: 'http://e:1', accessKeySecret: 'DS' }],
  ['--profile beats env', { profile: 'prod' }, { OPENRDS_ACCESS_KEY_ID: 'E' }, { accessKeyId: 'P', output: 'table', profile: 'prod' }],
  ['OPENRDS_PROFILE picks the profile, env keys still win over it', {}, { OPENRDS_PROFILE: 'prod', OPENRDS_ACCESS_KEY_ID: 'E' }, { accessKeyId: 'E', accessKeySecret: 'PS' }],
  ['flags beat everything', { profile: 'prod', key: 'F', endpoint: 'http://f:1' }, { OPENRDS_ACCESS_KEY_ID: 'E' }, { accessKeyId: 'F', endpoint: 'http://f:1', accessKeySecret: 'PS' }],
];
for (const [name, flags, env, want] of CONN) {
  test(`resolveConnection: ${name}`, () => {
    const r = resolveConnection(flags, env, FILE);
    for (const [k, v] of Object.entries(want)) assert.equal(r[k as keyof typeof r], v, k);
  });
}
test('resolveConnection: no file gives the default endpoint; an unknown --profile is an error naming it', () => {
  assert.equal(resolveConnection({}, {}, { profiles: {} }).endpoint, 'http://127.0.0.1:8080');
  assert.throws(() => resolveConnection({ profile: 'nope' }, {}, FILE), /no profile nope.*profiles: default, prod.*configure --profile nope/);
});

test('help: actions by group; an action lists type, required, range and an example', () => {
  const all = actionsHelp();
  assert.ok(all.indexOf('  Backups:') < all.indexOf('    CreateBackup'));
  for (const c of Object.values(CONTRACTS)) assert.ok(all.includes(c.name), c.name);
  const h = actionHelp(CONTRACTS.CreateDBInstance);
  assert.match(h, /Amount\s+integer; 1–3/);
  assert.match(h, /DiskValue\s+integer, required; DiskMin–DiskMax/);
  assert.match(h, /Example: Password=Shop-Pass1/);
  assert.match(actionHelp(CONTRACTS.ModifyDbPrivilege), /Operations\.N\.Privilege\s+string, required; one of ReadWrite, DMLOnly, ReadOnly, DDLOnly/);
});

const RETRY: Array<[string, Parameters<typeof retryDelay>[0], boolean, number, boolean]> = [
  ['refused: never sent, retried even when not idempotent', { kind: 'network', errno: 'ECONNREFUSED' }, false, 1, true],
  ['reset of a create: fate unknown, not retried', { kind: 'network', errno: 'ECONNRESET' }, false, 1, false],
  ['reset of a read: retried', { kind: 'network', errno: 'ECONNRESET' }, true, 1, true],
  ['500 of a create: not retried', { kind: 'http', status: 500 }, false, 1, false],
  ['500 of a read: retried', { kind: 'http', status: 500 }, true, 2, true],
  ['503: did not run, retried', { kind: 'http', status: 503 }, false, 1, true],
  ['400: never', { kind: 'http', status: 400 }, true, 1, false],
  ['last attempt: no more', { kind: 'network', errno: 'ECONNREFUSED' }, true, 4, false],
];
for (const [name, f, idem, attempt, want] of RETRY) {
  test(`retryDelay: ${name}`, () => assert.equal(retryDelay(f, idem, attempt, undefined, () => 0) !== undefined, want));
}
test('retryDelay doubles from the base, with jitter up to half, capped', () => {
  assert.equal(retryDelay({ kind: 'http', status: 503 }, false, 1, undefined, () => 0), 200);
  assert.equal(retryDelay({ kind: 'http', status: 503 }, false, 3, undefined, () => 1), 1200);
  assert.equal(retryDelay({ kind: 'http', status: 503 }, false, 3, { maxAttempts: 9, baseDelayMs: 200, maxDelayMs: 500 }, () => 0), 500);
});

test('buildRequest: POST sends a JSON body and signs only the common parameters; GET flattens into the signed query', () => {
  const base = { endpoint: 'http://h:1/', action: 'ModifyDbPrivilege', accessKeyId: 'AK', accessKeySecret: 'S', nonce: 'n', timestamp: '2026-01-01T00:00:00Z' };
  const params = { InstanceUuid: 'u', Operations: [{ DBName: 'shop', Privilege: 'ReadWrite' }] };
  const post = buildRequest({ ...base, method: 'POST', params });
  assert.equal(post.body, JSON.stringify(params));
  assert.ok(post.url.startsWith('http://h:1/mysql/?'));
  const get = buildRequest({ ...base, method: 'GET', params });
  const q = new URL(get.url).searchParams;
  assert.equal(q.get('Operations.0.DBName'), 'shop');
  const sig = q.get('Signature')!;
  q.delete('Signature');
  assert.equal(computeSignature('GET', [...q], 'S', 'HMAC-SHA1'), sig);
  assert.deepEqual(flatten({ A: [1, { B: null, C: 'x' }], D: '' }), { 'A.0': '1', 'A.1.C': 'x' });
  assert.ok(buildRequest({ ...base, action: 'DescribeTask', method: 'GET', params: {} }).url.includes('/ccs/?'));
});

test('writeProfile: 0600 file in a 0700 folder under XDG_CONFIG_HOME, merged per profile; readProfiles reads it back', async () => {
  const { mkdtempSync, rmSync, statSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writeProfile, readProfiles, configFile } = await import('../../src/cli/profiles.js');
  const dir = mkdtempSync(join(tmpdir(), 'openrds-prof-'));
  try {
    const env = { XDG_CONFIG_HOME: dir, HOME: '/nonexistent' };
    assert.equal(configFile(env), join(dir, 'openrds', 'config.json'));
    assert.deepEqual(readProfiles(env), { profiles: {} });
    writeProfile('default', { accessKeyId: 'A', accessKeySecret: 'S', endpoint: 'http://x:1' }, env);
    writeProfile('default', { endpoint: 'http://y:1', accessKeyId: undefined }, env);
    writeProfile('prod', { accessKeyId: 'P' }, env);
    assert.equal(statSync(configFile(env)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'openrds')).mode & 0o777, 0o700);
    assert.deepEqual(readProfiles(env).profiles, { default: { accessKeyId: 'A', accessKeySecret: 'S', endpoint: 'http://y:1' }, prod: { accessKeyId: 'P' } });
    assert.equal(configFile({ HOME: '/h' }), '/h/.config/openrds/config.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
