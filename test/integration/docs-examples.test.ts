/**
 * The README's and docs/' runnable shell blocks, run as written (issue 14 §5) against a real
 * `serve` on a scratch home, as a reader would in a shell where OPENRDS_HOME and OPENRDS_ENDPOINT
 * point there. Placeholders (`<AccessKeyId>`, `<IP>`, `<InstanceUuid>`) are filled from what the
 * commands before printed or what the API says. The commands table of the README is checked
 * against each command's own --help. Which blocks exist and who runs them: test/unit/docs.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TestClient } from '../support/cds-client.js';
import { docBlock, DocShell, fill } from '../support/doc-blocks.js';
import { BIN, ROOT, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
/** The reader's shell: this home and endpoint, no key of the harness; exports carry to the next block. */
let env: Record<string, string>;
let shell: DocShell;
const values: Record<string, string> = {};

before(async () => {
  s = await startServer();
  env = { OPENRDS_HOME: s.home, OPENRDS_ENDPOINT: s.url, OPENRDS_ACCESS_KEY_ID: '', OPENRDS_ACCESS_KEY_SECRET: '' };
  shell = new DocShell(env, s.home);
});
after(async () => s?.cleanup());

const run = (file: string, marker: string) => shell.run(fill(docBlock(file, { marker }), values));

/** The reader's key, once readme:keys made it. */
const acme = () => new TestClient(s.url, { AccessKeyId: values.AccessKeyId!, AccessKeySecret: values.AccessKeySecret! });

test('README readme:keys — a key for tenant acme, and the networks', () => {
  const out = run('README.md', 'readme:keys');
  const key = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!);
  assert.match(key.AccessKeyId, /^AK/);
  values.AccessKeyId = key.AccessKeyId;
  values.AccessKeySecret = key.AccessKeySecret;
  assert.match(out, /vdc-default/);
  assert.match(out, /pipe-default/);
});

test('README readme:create — the instance is RUNNING when --wait returns', async () => {
  const out = run('README.md', 'readme:create');
  const { data } = await acme().ok('DescribeDBInstances', { InstanceName: 'shop' });
  assert.equal(data.length, 1);
  assert.equal(data[0].Status, 'RUNNING');
  // The last command printed the list a reader takes IP and Port from.
  assert.ok(out.includes(`"IP": "${data[0].IP}"`), out.slice(-2000));
  values.IP = data[0].IP;
  values.InstanceUuid = data[0].InstanceUuid;
});

test('README readme:connect — root logs in with the password, then the instance is deleted', async () => {
  run('README.md', 'readme:connect');
  const r = await acme().call('DescribeDBInstances', { InstanceUuid: values.InstanceUuid }, { method: 'GET' });
  assert.equal(r.body.Code, 'ResourceNotFound');
});

test('README readme:ha and readme:read-only — an HA instance and a read-only instance of it', async () => {
  run('README.md', 'readme:ha');
  const { data } = await acme().ok('DescribeDBInstances', { InstanceName: 'shop-ha' });
  const ha = data.find((i: any) => i.InstanceName === 'shop-ha');
  assert.equal(ha.Status, 'RUNNING');
  assert.equal(ha.ArchitectureType, 1);
  values.InstanceUuid = ha.InstanceUuid;
  run('README.md', 'readme:read-only');
  const [primary] = (await acme().ok('DescribeDBInstances', { InstanceUuid: ha.InstanceUuid })).data;
  assert.equal(primary.RoGroups.length, 1);
  assert.equal(primary.RoGroups[0].ServiceName, 'shop-ro');
  assert.equal(primary.RoGroups[0].Status, 'RUNNING');
});

test('docs/backups.md example:backup-policy — the policy set is read back', () => {
  // The shell of the README blocks (the key exported there), with the instance in $INSTANCE.
  const out = shell.run(`INSTANCE=${values.InstanceUuid}\n${docBlock('docs/backups.md', { marker: 'example:backup-policy' })}`);
  // Two JSON answers, one after the other: the second is DescribeDbBackupPolicy's.
  const answers = out.split(/\n(?=\{)/).map((x) => JSON.parse(x));
  assert.equal(answers.length, 2);
  assert.deepEqual(answers.map((a) => a.Code), ['Success', 'Success']);
  assert.deepEqual(answers[1].Data.DataBackups, { TimeSlot: '02:00-03:00', DateList: ['1', '3', '5'], Sign: 1 });
});

/** The README's commands table: the first cell of each `| \`bin/openrds CMD …\` | … |` row. */
function commandRows(): Array<{ cmd: string[]; options: string[] }> {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const table = readme.slice(readme.indexOf('## Commands'));
  return [...table.matchAll(/^\| `bin\/openrds ([^`]+)` \|/gm)].map((m) => {
    const words = m[1]!.split(' ');
    const cmd = words.slice(0, words.findIndex((w) => !/^[a-z]+$/.test(w)) >>> 0);
    return { cmd, options: [...new Set([...m[1]!.matchAll(/--[a-z][a-z-]+/g)].map((x) => x[0]))] };
  });
}

/** `openrds CMD --help`, once per command. */
const helps = new Map<string, string>();
const helpOf = (cmd: string[]) => {
  const k = cmd.join(' ');
  if (!helps.has(k)) helps.set(k, spawnSync(BIN, [...cmd, '--help'], { encoding: 'utf8' }).stdout);
  return helps.get(k)!;
};

test('README commands table: every option it lists is one the command takes', () => {
  const rows = commandRows();
  assert.ok(rows.length >= 6, JSON.stringify(rows));
  for (const { cmd, options } of rows) {
    const help = helpOf(cmd);
    for (const o of options) assert.ok(help.includes(o), `README says \`openrds ${cmd.join(' ')}\` takes ${o}; its --help does not list it`);
  }
});

test("README: which commands take --home is what the CLI does", () => {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  assert.match(readme, /Every command that works on a home takes `--home`; `call`, `connect`, `configure` and `completion` talk to the API or to your shell, not to a home, and do not\./);
  const notOnAHome = new Set(['call', 'connect', 'configure', 'completion']);
  for (const { cmd } of commandRows()) {
    const help = helpOf(cmd);
    if (notOnAHome.has(cmd[0]!)) assert.ok(!help.includes('--home'), `openrds ${cmd.join(' ')} lists --home`);
    else assert.ok(help.includes('--home'), `openrds ${cmd.join(' ')} does not take --home`);
  }
});
