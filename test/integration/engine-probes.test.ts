/**
 * The engine's long-lived probe connections (HA and replication status, read several times a
 * second): a server restart is not mistaken for an outage (the stale connection is replaced and
 * the query retried once), and a hung server is reported within the deadline, not waited on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRunning, startServer, type ServerHandle } from '../support/harness.js';
import { homeNodes, pidAlive } from '../support/ha.js';
import { MariaDbEngine } from '../../src/engine/mariadb/mariadb-engine.js';
import { ADMIN_USER, type Target } from '../../src/engine/engine.js';
import { openMasterKey } from '../../src/home.js';
import { derivePassword } from '../../src/security/secrets.js';

let s: ServerHandle;
let inst: any;
let target: Target;
const engine = new MariaDbEngine();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The pid of the server that serves the node now: the one mariadbd wrote itself (its pid_file). */
function serverPid(): number {
  const id = homeNodes(s.home).find((n) => n.ip === inst.IP)!.id;
  return Number(readFileSync(join(s.home, 'nodes', id, 'mysqld.pid'), 'utf8').trim());
}
const procState = (pid: number) => { const st = readFileSync(`/proc/${pid}/stat`, 'utf8'); return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3); };

before(async () => {
  s = await startServer();
  inst = await createRunning(s.client, { InstanceName: 'probes' });
  target = { host: inst.IP, port: inst.Port, user: ADMIN_USER, password: derivePassword(openMasterKey(s.home), inst.InstanceUuid, 'admin') };
});
after(async () => {
  engine.closeMonitoring();
  await s?.cleanup();
});

test('after a restart of the server, the first probe on the old connection still answers', async () => {
  assert.equal(await engine.replicaStatus(target), undefined, 'a basic instance replicates from nobody');
  const before = (await engine.semiSyncStatus(target)).masterOn;
  const pid = serverPid();
  process.kill(pid, 'SIGKILL');
  // The watchdog restarts it; wait until a fresh connection works.
  const t0 = Date.now();
  for (;;) {
    const now = (() => { try { return serverPid(); } catch { return 0; } })();
    if (now && now !== pid && pidAlive(now)) {
      try {
        await engine.waitReady(target, 500);
        break;
      } catch { /* starting */ }
    }
    assert.ok(Date.now() - t0 < 60_000, 'restarted within 60 s');
    await sleep(100);
  }
  // The pooled connections still point at the dead process: the first calls must succeed anyway.
  assert.equal((await engine.semiSyncStatus(target)).masterOn, before);
  assert.equal(await engine.replicaStatus(target), undefined);
});

test('a hung server is reported within the deadline', async () => {
  await engine.semiSyncStatus(target); // an open, working connection
  const pid = serverPid();
  process.kill(pid, 'SIGSTOP');
  try {
    for (let i = 0; procState(pid) !== 'T' && i < 100; i++) await sleep(10);
    assert.equal(procState(pid), 'T', `server ${pid} is stopped`);
    const t0 = Date.now();
    await assert.rejects(engine.semiSyncStatus(target, 800), /did not answer within 800 ms/);
    const took = Date.now() - t0;
    assert.ok(took < 2 * 800 + 500, `rejected after ${took} ms (one deadline; a timeout is not retried)`);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await engine.waitReady(target, 10_000);
  assert.equal((await engine.semiSyncStatus(target)).masterOn, false);
});
