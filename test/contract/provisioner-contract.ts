/**
 * The Provisioner contract (src/provisioner/provisioner.ts): what any provisioner must do, as one
 * suite that takes a factory. A provisioner passes when every test here passes against real
 * servers: test/integration/provisioner-contract.test.ts runs it on the local provisioner; a
 * Kubernetes provisioner would run the same function against a cluster (docs/provisioners.md).
 *
 * The suite only uses the port, the engine's SQL client and a BackupStorage. What it cannot see
 * through the port (is the memory limit really in force?) the factory answers with `probe`.
 */
import { MariaDbProfile } from '../../src/engine/mariadb/mariadb-profile.js';
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { Readable } from 'node:stream';
import { ADMIN_USER, type EngineClient, type NodeSpec, type Target } from '../../src/engine/engine.js';
import type { BackupStorage } from '../../src/backups/backup-storage.js';
import type { InternalCredentials, Provisioner } from '../../src/provisioner/provisioner.js';
import { nativePasswordHash } from '../../src/security/secrets.js';

export interface ContractSubject {
  provisioner: Provisioner;
  /** A second provisioner on the same nodes, as a restarted control plane would build it (adoption). */
  reopen(): Provisioner;
  engine: EngineClient;
  /** Where backups go in the round trip. */
  storage: BackupStorage;
  /** The network new nodes get addresses from, and the service port. */
  cidr: string;
  port: number;
  /** Bytes per DiskValue GB of this provisioner (the local one's storage.gbBytes). */
  gbBytes: number;
  probe: {
    /** The memory limit in force on the node's running server, or undefined when there is none. */
    memoryLimitBytes(nodeId: string): Promise<number | undefined>;
    /** The environment the node's running server was started with. */
    serverEnvironment(nodeId: string): Promise<Record<string, string>>;
    /** The raw bytes of one of the node's binlog files (as the binlog archive would hand them to a replay). */
    binlog(nodeId: string, file: string): Readable;
  };
  /** Removes whatever the suite left (nodes it did not destroy, scratch folders). */
  cleanup(): Promise<void>;
}

const PASSWORD = 'Contract-Admin-1';
const CREDS: InternalCredentials = { adminHash: nativePasswordHash(PASSWORD), replHash: nativePasswordHash('Contract-Repl-1') };
const READY_MS = 120_000;

export function provisionerContract(name: string, factory: () => Promise<ContractSubject>): void {
  let s: ContractSubject;
  let p: Provisioner;
  const used = new Set<string>();
  let serverId = 100;

  before(async () => {
    s = await factory();
    p = s.provisioner;
  });
  after(async () => {
    await s?.cleanup();
  });

  /** A new node's spec, with an address from the provisioner. */
  async function newSpec(nodeId: string, over: Partial<NodeSpec> = {}): Promise<NodeSpec> {
    const plan = await p.planAddresses({ cidr: s.cidr, port: s.port, alsoTaken: new Set() });
    assert.ok(plan.ok, 'the contract network must have addresses');
    const ip = plan.pick(used);
    assert.ok(ip, 'an address was picked');
    assert.ok(!used.has(ip), 'never an address already in use');
    used.add(ip);
    return {
      nodeId, serverId: serverId++, ip, port: s.port, cpu: 1, ramGb: 1, diskGb: 100, diskType: 'ssd_disk',
      timeZone: '+08:00', role: 'primary', topology: 'none', ...over,
    };
  }
  const target = (spec: Pick<NodeSpec, 'ip' | 'port'>): Target => ({ host: spec.ip, port: spec.port, user: ADMIN_USER, password: PASSWORD });

  async function sql(spec: NodeSpec, q: string): Promise<unknown[]> {
    const c = await mysql.createConnection({ ...target(spec), connectTimeout: 5000 });
    try {
      const [rows] = await c.query(q);
      return JSON.parse(JSON.stringify(rows)) as unknown[]; // plain objects, for deepEqual
    } finally {
      await c.end();
    }
  }

  async function started(spec: NodeSpec): Promise<string> {
    const rt = await p.ensureRunning(spec, CREDS);
    assert.equal(rt.alive, true);
    assert.ok(rt.incarnation, 'a running node has an incarnation');
    await s.engine.waitReady(target(spec), READY_MS);
    return rt.incarnation;
  }

  test(`${name}: capabilities are stated in the port's terms`, () => {
    const c = p.capabilities;
    assert.ok(['hard', 'measured'].includes(c.disk.limit));
    assert.ok(['hard', 'advisory'].includes(c.compute.limit));
    for (const text of [c.disk.mechanism, c.disk.detail, c.compute.mechanism, c.compute.detail]) assert.equal(typeof text, 'string');
  });

  test(`${name}: engineVersion names a server version`, async () => {
    assert.match(await p.engineVersion(), /^\d+\.\d+\.\d+$/);
  });

  let a: NodeSpec;
  let aRun = '';

  test(`${name}: ensureRunning starts a node that answers SQL, and is idempotent`, async () => {
    a = await newSpec('ca');
    aRun = await started(a);
    const again = await p.ensureRunning(a, CREDS);
    assert.deepEqual(again, { alive: true, incarnation: aRun }, 'a second call changes nothing');
    assert.deepEqual(await p.inspect('ca'), { alive: true, incarnation: aRun });
    await sql(a, 'CREATE DATABASE contract');
    await sql(a, 'CREATE TABLE contract.t (id INT PRIMARY KEY, v VARCHAR(20))');
    await sql(a, "INSERT INTO contract.t VALUES (1, 'before-backup')");
  });

  test(`${name}: a restarted control plane adopts the running node (inspect, listRunning)`, async () => {
    const other = s.reopen();
    assert.deepEqual(await other.inspect('ca'), { alive: true, incarnation: aRun });
    assert.deepEqual((await other.listRunning()).filter((r) => r.nodeId === 'ca'), [{ nodeId: 'ca', incarnation: aRun }]);
    assert.deepEqual(await other.inspect('never-made'), { alive: false });
  });

  test(`${name}: usage reports the same run, with memory and disk in use`, async () => {
    const u = await p.usage('ca', { diskMaxAgeMs: 0 });
    assert.ok(u, 'a running node has usage');
    assert.equal(u.incarnation, aRun);
    assert.ok(u.cpuSeconds >= 0);
    assert.ok(u.rssBytes > 10 * 1024 * 1024, `rss ${u.rssBytes}`);
    assert.ok(u.diskBytes > 1024 * 1024, `disk ${u.diskBytes}`);
    assert.equal(await p.usage('never-made'), undefined);
  });

  test(`${name}: diskStatus matches the disk capability`, async () => {
    const limitBytes = a.diskGb * s.gbBytes;
    const st = (await p.diskStatus([{ nodeId: 'ca', limitBytes }, { nodeId: 'never-made', limitBytes }]));
    assert.equal(st.has('never-made'), false, 'a node with no data is left out');
    const d = st.get('ca');
    assert.ok(d);
    assert.equal(d.hardLimit, p.capabilities.disk.limit === 'hard');
    assert.ok(d.usedBytes > 0 && d.usedBytes < d.totalBytes, `used ${d.usedBytes} of ${d.totalBytes}`);
    if (d.hardLimit) assert.ok(d.totalBytes <= limitBytes && d.totalBytes > limitBytes * 0.8, `a disk of its own of about ${limitBytes}: ${d.totalBytes}`);
    else assert.equal(d.totalBytes, limitBytes);
  });

  test(`${name}: the compute capability is honest (a memory limit in force exactly when it says hard)`, async () => {
    const limit = await s.probe.memoryLimitBytes('ca');
    if (p.capabilities.compute.limit === 'hard') assert.equal(limit, a.ramGb * 1024 ** 3);
    else assert.equal(limit, undefined);
  });

  test(`${name}: the server runs with the engine profile's environment (one malloc arena per CPU)`, async () => {
    const env = await s.probe.serverEnvironment('ca');
    for (const [k, v] of Object.entries(new MariaDbProfile().serverEnvironment(a))) assert.equal(env[k], v, k);
  });

  let backupKey = '';
  let backupGtid = '';

  test(`${name}: a physical backup streams into the storage and restores from a stream`, async () => {
    backupKey = 'contract/physical.xb.zst';
    const up = await s.storage.openUpload(backupKey);
    const res = await p.runBackup({ id: 'contract-physical', nodeId: 'ca', kind: 'physical', target: target(a), replica: false, timeoutMs: 600_000 }, up.writable);
    const pub = await up.commit();
    assert.ok(pub.sizeBytes > 1024, `size ${pub.sizeBytes}`);
    assert.ok(res.position.binlogFile, 'the position names a binlog file');
    assert.match(res.position.gtid, /^\d+-\d+-\d+/);
    backupGtid = res.position.gtid;
    await sql(a, "INSERT INTO contract.t VALUES (2, 'after-backup')");

    const r = await newSpec('cr');
    const restored = await p.restorePhysical({ nodeId: 'cr', diskGb: r.diskGb }, () => s.storage.read(backupKey));
    assert.equal(restored.gtid, backupGtid, 'the restore reports the backup\'s position');
    await started(r);
    assert.deepEqual(await sql(r, 'SELECT id, v FROM contract.t ORDER BY id'), [{ id: 1, v: 'before-backup' }], 'the copy holds what was there at the backup');
    restoredSpec = r;
  });

  let restoredSpec: NodeSpec | undefined;

  test(`${name}: replayBinlog applies exactly the events after the base up to the stop GTID, keeping their GTIDs`, async () => {
    const r = restoredSpec;
    assert.ok(r, 'the restore test ran');
    await s.engine.startHistoryAt(target(r), backupGtid);
    await sql(a, "INSERT INTO contract.t VALUES (5, 'after-stop')"); // committed after the stop point: never applied
    const rows = (await sql(a, "SELECT @@gtid_binlog_pos AS pos")) as Array<{ pos: string }>;
    const [domain, server, seq] = rows[0]!.pos.split(',')[0]!.split('-');
    const stopGtid = `${domain}-${server}-${Number(seq) - 1}`; // the INSERT of row 2
    const files = (await s.engine.listBinlogs(target(a))).map((f) => f.file);
    const binlogs = files.map((f) => () => s.probe.binlog('ca', f));
    await assert.rejects(p.replayBinlog({ nodeId: 'cr', target: { ...target(r), password: 'wrong' }, startGtid: backupGtid, stopGtid, binlogs }), /replaying the binlog failed|denied/i, 'a client that cannot apply the events rejects');
    const res = await p.replayBinlog({ nodeId: 'cr', target: target(r), startGtid: backupGtid, stopGtid, binlogs });
    assert.ok(res.bytes > 0, `bytes read ${res.bytes}`);
    assert.deepEqual(await sql(r, 'SELECT id, v FROM contract.t ORDER BY id'), [{ id: 1, v: 'before-backup' }, { id: 2, v: 'after-backup' }]);
    assert.equal((await s.engine.gtidState(target(r))).binlogPos, stopGtid, 'the events keep their GTIDs');
    await sql(a, 'DELETE FROM contract.t WHERE id = 5');
    await p.destroy('cr');
  });

  test(`${name}: a logical backup streams zstd into the storage; a failed job publishes nothing`, async () => {
    const up = await s.storage.openUpload('contract/logical.sql.zst');
    const res = await p.runBackup({ id: 'contract-logical', nodeId: 'ca', kind: 'logical', target: target(a), databases: ['contract'], replica: false, timeoutMs: 600_000 }, up.writable);
    await up.commit();
    assert.ok(res.position.binlogFile, 'a dump names its binlog file');
    const head: Buffer[] = [];
    for await (const c of s.storage.read('contract/logical.sql.zst', { start: 0, end: 3 })) head.push(c as Buffer);
    assert.deepEqual([...Buffer.concat(head)], [0x28, 0xb5, 0x2f, 0xfd], 'zstd frames');

    const bad = await s.storage.openUpload('contract/bad.sql.zst');
    await assert.rejects(p.runBackup({ id: 'contract-bad', nodeId: 'ca', kind: 'logical', target: { ...target(a), password: 'wrong' }, replica: false, timeoutMs: 600_000 }, bad.writable));
    await bad.abort();
    assert.equal(await s.storage.stat('contract/bad.sql.zst'), undefined);
    await p.abortBackup('contract-bad'); // idempotent, nothing left to end
  });

  test(`${name}: a restart gives a new incarnation; stop keeps the data`, async () => {
    await p.stop('ca', 60_000);
    assert.deepEqual(await p.inspect('ca'), { alive: false });
    assert.equal(await s.engine.ping(target(a), 1000), false);
    const next = await started(a);
    assert.notEqual(next, aRun, 'a new run has a new incarnation');
    aRun = next;
    assert.deepEqual(await sql(a, 'SELECT id FROM contract.t ORDER BY id'), [{ id: 1 }, { id: 2 }]);
  });

  test(`${name}: fence stops the server at once (no clean shutdown), and the data stays`, async () => {
    await sql(a, "INSERT INTO contract.t VALUES (3, 'committed')");
    // A clean shutdown would wait for this transaction; a fence must not.
    const hold = await mysql.createConnection({ ...target(a), connectTimeout: 5000 });
    hold.on('error', () => {});
    await hold.query('BEGIN');
    await hold.query("INSERT INTO contract.t VALUES (4, 'uncommitted')");
    const t0 = Date.now();
    await p.fence('ca');
    const tookMs = Date.now() - t0;
    assert.deepEqual(await p.inspect('ca'), { alive: false });
    assert.equal(await s.engine.ping(target(a), 1000), false);
    assert.ok(tookMs < 10_000, `fence took ${tookMs} ms`);
    hold.destroy();
    await p.fence('ca'); // idempotent on a stopped node
    aRun = await started(a);
    assert.deepEqual((await sql(a, 'SELECT id FROM contract.t ORDER BY id')).map((r) => (r as { id: number }).id), [1, 2, 3], 'committed rows survive, the open transaction does not');
  });

  test(`${name}: destroy removes the node and is idempotent`, async () => {
    await p.destroy('ca');
    await p.destroy('ca');
    assert.deepEqual(await p.inspect('ca'), { alive: false });
    assert.equal((await p.listRunning()).some((r) => r.nodeId === 'ca'), false);
    assert.equal((await p.diskStatus([{ nodeId: 'ca', limitBytes: s.gbBytes }])).has('ca'), false, 'no data left');
    assert.equal(await p.usage('ca'), undefined);
  });
}
