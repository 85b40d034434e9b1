/**
 * Datadir templates (docs/engine-config.md "Datadir templates"): nodes made from one template
 * have their own identity; a template of another version, of other settings, or half-written is
 * never used but rebuilt; a serve killed -9 in the middle of a build leaves nothing that a later
 * create would trust, and that create still reaches RUNNING.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, createParams, createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { homeNodes, socketQuery } from '../support/ha.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let s: ServerHandle;
before(async () => { s = await startServer(); });
after(async () => { await s?.cleanup(); });

/** The valid templates of a home (folders with a manifest), by key. */
function templates(home: string): Map<string, any> {
  const out = new Map<string, any>();
  const root = join(home, 'templates');
  if (!existsSync(root)) return out;
  for (const name of readdirSync(root)) {
    try { out.set(name, JSON.parse(readFileSync(join(root, name, 'manifest.json'), 'utf8'))); } catch { /* not a template */ }
  }
  return out;
}
const count = (logs: string, msg: string) => logs.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
const rows = (out: string) => out.trim().split('\n').slice(1).map((l) => l.split('\t'));

test('two instances created at once share one template build, and each has its own server_id and internal credentials', async () => {
  const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'twin', Amount: 2, Password: 'Twin-Pass1' }));
  const insts = await Promise.all(r.data.InstancesUuid.map((u: string) => s.client.waitStatus(u, 'RUNNING')));
  assert.equal(count(s.logs(), 'datadir template built'), 1, 'one build for both creates');
  const tpl = templates(s.home);
  assert.equal(tpl.size, 1);
  const [key, manifest] = [...tpl][0]!;
  assert.equal(manifest.key, key);
  assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
  assert.ok(manifest.files.some((f: any) => f.path === 'ibdata1'));

  const nodes = homeNodes(s.home);
  assert.equal(nodes.length, 2);
  const seen = nodes.map((n) => {
    const marker = readFileSync(join(s.home, 'nodes', n.id, 'disk', 'data', '.openrds-initialized'), 'utf8');
    assert.equal(marker.split('\n')[1], `template ${key}`, 'the datadir was copied from the template');
    const serverId = rows(socketQuery(s.home, n.id, 'SELECT @@server_id'))[0]![0]!;
    const accounts = new Map(rows(socketQuery(s.home, n.id,
      "SELECT User, authentication_string FROM mysql.user WHERE User IN ('openrds_admin','openrds_repl','root') AND Host = '%' ORDER BY User")).map(([u, h]) => [u!, h!]));
    const state = rows(socketQuery(s.home, n.id, 'SELECT @@gtid_slave_pos, (SELECT COUNT(*) FROM mysql.gtid_slave_pos), @@gtid_binlog_pos'))[0]!;
    const binlogs = rows(socketQuery(s.home, n.id, 'SHOW BINARY LOGS')).map((x) => x[0]);
    return { serverId, accounts, state, binlogs };
  });
  assert.notEqual(seen[0]!.serverId, seen[1]!.serverId, 'server_id differs');
  for (const u of ['openrds_admin', 'openrds_repl']) {
    assert.match(seen[0]!.accounts.get(u) ?? '', /^\*[0-9A-F]{40}$/, `${u} exists on the first node`);
    assert.match(seen[1]!.accounts.get(u) ?? '', /^\*[0-9A-F]{40}$/, `${u} exists on the second node`);
    assert.notEqual(seen[0]!.accounts.get(u), seen[1]!.accounts.get(u), `${u} has its own password per instance`);
  }
  // The user's root@'%' was made from the same Password on both, but with nothing inherited besides.
  assert.equal(seen[0]!.accounts.get('root'), seen[1]!.accounts.get('root'));
  for (const x of seen) {
    assert.equal(x.state[0], '', 'no replication position inherited');
    assert.equal(x.state[1], '0', 'mysql.gtid_slave_pos is empty');
    // Whatever the node wrote since it started is its own: GTIDs carry its server_id only.
    for (const g of (x.state[2] ?? '').split(',').filter(Boolean)) assert.equal(g.split('-')[1], x.serverId, `GTID ${g} is the node's own`);
    assert.deepEqual(x.binlogs, ['mysql-bin.000001'], 'a fresh binary log, none inherited');
  }
  for (const u of r.data.InstancesUuid) await s.client.ok('DeleteDBInstance', { InstanceUuid: u });
  for (const u of r.data.InstancesUuid) await s.client.waitStatus(u, 'gone');
  assert.equal(templates(s.home).size, 1, 'the template outlives the instances made from it');
  void insts;
});

// Each case damages the template while serve is down; the next create must rebuild it, not use it.
const DAMAGE: Array<{ name: string; why: RegExp; damage(dir: string): void }> = [
  { name: 'a manifest of another MariaDB version', why: /made by "10\.0\.0"/, damage: (d) => editManifest(d, (m) => { m.version = '10.0.0'; }) },
  { name: 'a manifest of other init-time settings', why: /other init-time settings/, damage: (d) => editManifest(d, (m) => { m.settings['innodb-page-size'] = '64k'; }) },
  { name: 'a folder without manifest (half-written)', why: /no manifest/, damage: (d) => rmSync(join(d, 'manifest.json')) },
  { name: 'a file missing from the listing', why: /missing files: ibdata1/, damage: (d) => rmSync(join(d, 'data', 'ibdata1')) },
  { name: 'a file cut short', why: /aria_log_control is 10 bytes/, damage: (d) => truncateSync(join(d, 'data', 'aria_log_control'), 10) },
  { name: 'a file whose contents no longer match the checksum', why: /mysql_upgrade_info does not match its checksum/, damage: (d) => {
    const f = join(d, 'data', 'mysql_upgrade_info');
    const b = readFileSync(f);
    b[0] = b[0]! ^ 0xff;
    writeFileSync(f, b);
  } },
];

function editManifest(dir: string, edit: (m: any) => void): void {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  edit(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
}

for (const c of DAMAGE) {
  test(`a template with ${c.name} is rebuilt, and the instance made from the new one reaches RUNNING`, async () => {
    const [key] = [...templates(s.home).keys()];
    assert.ok(key, 'a template from the first test');
    await s.stop();
    c.damage(join(s.home, 'templates', key));
    await s.restart(); // a new process: contents are checked against the checksums again
    const from = s.logs().length;
    const inst = await createRunning(s.client, { InstanceName: 'rebuilt', Password: 'Rebu-Pass1' });
    const logs = s.logs().slice(from);
    const warn = logs.split('\n').find((l) => l.includes('"msg":"datadir template is not usable: rebuilding it"'));
    assert.ok(warn, 'the bad template was noticed');
    assert.match(JSON.parse(warn).why, c.why);
    assert.equal(count(logs, 'datadir template built'), 1);
    const after = templates(s.home);
    assert.equal(after.size, 1);
    assert.equal(after.get(key)?.key, key, 'rebuilt under the same key');
    assert.equal(readdirSync(join(s.home, 'templates')).filter((n) => n.startsWith('.')).length, 0, 'no build or trash folder left');
    await s.client.ok('DeleteDBInstance', { InstanceUuid: inst.InstanceUuid });
    await s.client.waitStatus(inst.InstanceUuid, 'gone');
  });
}

test('kill -9 of serve during a template build: nothing half-made is used, the create finishes after the restart', async () => {
  const pause = join(s.home, 'pause-template-build');
  const h = await startServer({ env: { OPENRDS_TEMPLATE_BUILD_PAUSE_FILE: pause } });
  try {
    writeFileSync(pause, '');
    const r = await h.client.ok('CreateDBInstance', createParams({ InstanceName: 'mid-build', Password: 'Mid-Pass12' }));
    const uuid = r.data.InstancesUuid[0];
    const t0 = Date.now();
    while (count(h.logs(), 'template build paused') === 0) {
      assert.ok(Date.now() - t0 < 120_000, 'the build reached its pause');
      await sleep(50);
    }
    await h.kill9();
    const left = readdirSync(join(h.home, 'templates'));
    assert.equal(left.length, 1);
    assert.match(left[0]!, /^\.build-/, 'only the private build folder exists, under no key');
    assert.ok(existsSync(join(h.home, 'templates', left[0]!, 'data', 'ibdata1')), 'the build had made its datadir');
    assert.equal(templates(h.home).size, 0);
    rmSync(pause);
    await h.restart();
    const inst = await h.client.waitStatus(uuid, 'RUNNING', 180_000);
    const task = await h.client.ok('DescribeTask', { TaskId: r.taskId }, { method: 'GET' });
    assert.equal(task.data.Status, 'FINISH');
    assert.equal(count(h.logs(), 'datadir template built'), 1, 'built again by the new serve');
    assert.deepEqual(readdirSync(join(h.home, 'templates')).filter((n) => n.startsWith('.')), [], 'the dead build was swept');
    assert.equal(templates(h.home).size, 1);
    const mysql = (await import('mysql2/promise')).default;
    const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: 'Mid-Pass12' });
    await c.query('SELECT 1');
    await c.end();
    await h.client.ok('DeleteDBInstance', { InstanceUuid: uuid });
    await h.client.waitStatus(uuid, 'gone');
  } finally {
    rmSync(pause, { force: true });
    await h.cleanup();
  }
});

test('`openrds templates build` makes the template ahead of time, once', () => {
  const home = mkdtempSync('/tmp/openrds-test-tpl-');
  try {
    const first = execFileSync(BIN, ['templates', 'build', '--home', home], { encoding: 'utf8' });
    assert.match(first, /^built: template [0-9a-f]{24} /);
    const second = execFileSync(BIN, ['templates', 'build', '--home', home], { encoding: 'utf8' });
    assert.match(second, /^valid, kept: template [0-9a-f]{24} /);
    const tpl = templates(home);
    assert.equal(tpl.size, 1);
    assert.equal(first.split(' ')[2], [...tpl.keys()][0]);
    assert.equal(second.split(' ')[3], [...tpl.keys()][0]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
