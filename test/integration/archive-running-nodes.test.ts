/**
 * The binlog archive on nodes that already run (docs/recovery.md "Purge", "Gaps"): turning the
 * archive on sets time-based binlog expiry off on the running node at once (no restart), the disk
 * guard counts the binlogs held back for the archive (in /metrics), and a gap shows in /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { killByArgv } from '../support/backups.js';
import { homeNodes } from '../support/ha.js';
import { execFileSync } from 'node:child_process';
import { until as untilFor } from '../support/until.js';

let s: ServerHandle;
const PW = 'Running-Pass-123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  s = await startServer({ config: { storage: { guardIntervalMs: 500 } } }); // archive off (the harness's default)
});
after(async () => { await s?.cleanup(); });

const until = (what: string, f: () => Promise<true | undefined>, timeoutMs = 90_000) => untilFor(what, f, timeoutMs);
const metrics = async () => (await fetch(`${s.url}/metrics`)).text();

function setArchive(archive: Record<string, unknown>): void {
  const f = join(s.home, 'config.json');
  const cfg = JSON.parse(readFileSync(f, 'utf8'));
  cfg.archive = { ...cfg.archive, ...archive };
  writeFileSync(f, JSON.stringify(cfg));
}

test('archive turned on: the running node gets binlog expiry off at once; held-back binlogs and a gap show in /metrics', async () => {
  const inst = await createRunning(s.client, { InstanceName: 'running', Password: PW });
  // A connection that lives across the serve restart: it breaks if the node restarts.
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password: PW });
  const expiry = async () => String(((await c.query('SELECT @@GLOBAL.binlog_expire_logs_seconds AS v'))[0] as Array<{ v: number }>)[0]!.v);
  assert.equal(await expiry(), '604800', 'without the archive the node expires binlogs after 7 days');

  await s.stop();
  // The replication client (archive.stream "replication"): its killed client and a purge make the gap.
  setArchive({ enabled: true, intervalMs: 100, closeEveryMs: 1000, purgeEveryMs: 500, stream: 'replication' });
  await s.restart();
  await until('expiry off on the running node', async () => ((await expiry()) === '0' ? true : undefined));
  await c.query('SELECT 1'); // the same connection: the node was not restarted
  assert.match(s.logs(), /time-based binlog expiry turned off on the running node/);
  const held = new RegExp(`openrds_archive_held_binlog_bytes\\{instance_uuid="${inst.InstanceUuid}",instance_name="running",node="[^"]+"\\} \\d+`);
  await until('held-back binlogs in /metrics', async () => (held.test(await metrics()) ? true : undefined));

  // A gap: the stream ended while serve is down, and the binlogs it had not read are purged.
  await until('the first backup', async () => ((await s.client.ok('DescribeBackups', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' })).data as any[]).some((b) => b.Status === 'finished') ? true : undefined);
  await s.stop();
  const spool = join(s.home, 'backups', '.binlog-spool', inst.InstanceUuid);
  assert.ok(readdirSync(spool).length > 0);
  killByArgv(`--result-file=${spool}/r`);
  await c.query('CREATE DATABASE lost');
  // As the server's own root over its socket (the instance's root may not purge binlogs).
  const node = homeNodes(s.home).find((n) => n.ip === inst.IP)!;
  const socket = /socket = (\S+)/.exec(readFileSync(join(s.home, 'nodes', node.id, 'my.cnf'), 'utf8'))![1]!;
  const local = (q: string) => execFileSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', '-e', q], { encoding: 'utf8' }).trim();
  local('FLUSH BINARY LOGS');
  const last = local('SHOW BINARY LOGS').split('\n').at(-1)!.split('\t')[0]!;
  local(`PURGE BINARY LOGS TO '${last}'`);
  await s.restart();
  const gap = new RegExp(`openrds_archive_gaps\\{instance_uuid="${inst.InstanceUuid}",kind="gap"\\} 1`);
  await until('the gap in /metrics', async () => (gap.test(await metrics()) ? true : undefined));
  await c.end();
});
