/**
 * Read-only creation benchmark (issue 3): an HA primary holding about 1 GB of data (sysbench
 * prepare); CreateReadOnlyDBInstance → the read-only instance is RUNNING both as its own entry
 * and as its primary's RoGroups item; side by side with the raw copy-and-restore of the same
 * data by hand, interleaved (raw, openrds, openrds, raw, …):
 *   mariadb-backup --backup of the standby (its my.cnf and datadir, the node's admin account),
 *   mariadb-backup --prepare, then a mariadbd on the copy until it accepts a login.
 * Target: openrds ≤ 1.5 × raw.
 *
 * ha.readOnlyMinCreatingMs is 0 here: by default a read-only instance stays CREATING at least
 * 15 s (Terraform polls for the CREATING RoGroups item), which is a floor, not work.
 *
 * Then the replication catch-up: a row inserted on the primary (through its endpoint) becomes
 * readable on the read-only instance after how many ms — beside the same for the semi-sync
 * standby, for the same row.
 *
 *   npm run bench:readonly -- [--runs 6] [--warmup 1] [--tables 8] [--table-size 500000] [--lag-samples 30] [--json out.json] [--no-results]
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ADMIN_USER } from '../src/engine/engine.js';
import { derivePassword } from '../src/security/secrets.js';
import { homeNodes, writableNode } from '../test/support/ha.js';
import {
  strArg, createParams, deleteAndWait, describe, flag, fmt, freeLoopbackIp, jsonOutArg, logLines, numArg, PW, RO_2C4G, runP, sleep, sql, startHaServe, sysbenchPrepare,
  waitHealthy, waitRunning, writeHaResults, type HaServe,
} from './ha-support.js';
import { cleanupAll, exited, machine, max, median, min, round, sourceRevision, track, trackArgv, trackDir } from './support.js';

const RUNS = numArg('runs', 6);
const WARMUP = numArg('warmup', 1);
const TABLES = numArg('tables', 8);
const TABLE_SIZE = numArg('table-size', 500_000);
const LAG_SAMPLES = numArg('lag-samples', 30);
const POLL_MS = 20;

async function duBytes(dir: string): Promise<number> {
  const { stdout } = await runP('du', ['-sb', dir]);
  return Number(stdout.split(/\s/)[0]);
}

interface RawResult { totalMs: number; backupMs: number; prepareMs: number; startMs: number; bytes: number }
interface OrdsResult { totalMs: number; uuid: string; phases: Record<string, number> }

/** The raw copy-and-restore of the standby, by hand. */
async function rawOnce(standby: { id: string; ip: string }, home: string, admin: string, ip: string, cnf: Record<string, string>): Promise<RawResult> {
  const dir = trackDir(mkdtempSync('/tmp/orb-ro-'));
  const T = join(dir, 'd');
  trackArgv(`--datadir=${T}`);
  const nodeDir = join(home, 'nodes', standby.id);
  const t0 = performance.now();
  await runP('mariadb-backup', [`--defaults-file=${join(nodeDir, 'my.cnf')}`, '--backup', `--target-dir=${T}`, `--datadir=${join(nodeDir, 'disk', 'data')}`,
    `--host=${standby.ip}`, '--port=3306', `--user=${ADMIN_USER}`, `--password=${admin}`], { timeout: 1_800_000, maxBuffer: 1 << 26 });
  const t1 = performance.now();
  await runP('mariadb-backup', ['--no-defaults', '--prepare', `--target-dir=${T}`], { timeout: 1_800_000, maxBuffer: 1 << 26 });
  const t2 = performance.now();
  const bytes = await duBytes(T);
  const log = openSync(join(dir, 'server.log'), 'a');
  const child = track(spawn('mariadbd', ['--no-defaults', `--datadir=${T}`, '--user=root', `--bind-address=${ip}`, '--port=3306',
    `--socket=${join(dir, 's.sock')}`, `--pid-file=${join(dir, 'p.pid')}`, '--skip-slave-start', '--skip-name-resolve',
    ...Object.entries(cnf).map(([k, v]) => `--${k}=${v}`)], { stdio: ['ignore', log, log] }));
  closeSync(log);
  let lastErr = '';
  try {
    for (;;) {
      let c: mysql.Connection | undefined;
      try {
        c = await mysql.createConnection({ host: ip, port: 3306, user: 'root', password: PW, connectTimeout: 1000 });
        await c.query('SELECT 1');
        break;
      } catch (e) {
        lastErr = String((e as Error).message);
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`raw mariadbd exited: ${readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000)}`);
        if (performance.now() - t2 > 120_000) throw new Error(`raw mariadbd not accepting connections after 120 s: ${lastErr}; ${readFileSync(join(dir, 'server.log'), 'utf8').slice(-1500)}`);
        await sleep(POLL_MS);
      } finally {
        c?.destroy();
      }
    }
    const t3 = performance.now();
    return { totalMs: t3 - t0, backupMs: t1 - t0, prepareMs: t2 - t1, startMs: t3 - t2, bytes };
  } finally {
    child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openrdsOnce(s: HaServe, primaryUuid: string): Promise<OrdsResult> {
  const t0 = Date.now();
  const p0 = performance.now();
  const { data } = await s.client.ok('CreateReadOnlyDBInstance', {
    InstanceUuid: primaryUuid, InstanceName: 'bench-ro', PaasGoodsId: RO_2C4G, DiskType: 'ssd_disk', DiskValue: 100,
  });
  const uuid = data.InstancesUuid[0] as string;
  for (;;) {
    const own = await describe(s.client, uuid);
    if (own?.Status === 'ERROR') throw new Error(`read-only ${uuid} went to ERROR: ${own.StatusDetail}`);
    if (own?.Status === 'RUNNING') {
      const p = await describe(s.client, primaryUuid);
      if (p.RoGroups.find((g: any) => g.ServiceId === uuid)?.Status === 'RUNNING') break;
    }
    if (performance.now() - p0 > 1_800_000) throw new Error(`read-only ${uuid} not RUNNING after 30 min`);
    await sleep(POLL_MS);
  }
  const totalMs = performance.now() - p0;
  const lines = logLines(s, uuid).filter((x) => x.time >= t0 - 5 && (x.taskType === undefined || x.taskType === 'CreateReadOnlyDBInstance'));
  const ph: Record<string, number> = {};
  const created = lines.find((x) => x.msg === 'read-only instances created') ?? logLines(s, 'read-only instances created').find((x) => x.time >= t0 - 5);
  const first = lines.find((x) => x.msg === 'step start');
  if (created) ph.api = created.time - t0;
  if (created && first) ph.claim = first.time - created.time;
  const done = lines.filter((x) => x.msg === 'step done');
  for (const d of done) ph[`step:${d.step}`] = d.ms;
  const gaps = done.slice(1).map((d, k) => d.time - d.ms - done[k]!.time);
  if (gaps.length) ph.betweenSteps = gaps.reduce((a, b) => a + b, 0);
  const last = done.at(-1);
  if (last) ph.observed = t0 + totalMs - last.time;
  for (const k of Object.keys(ph)) ph[k] = round(ph[k]!, 1);
  return { totalMs, uuid, phases: ph };
}

/** Rows inserted on the primary: ms until readable on the read-only instance and on the standby. */
async function catchUp(ep: mysql.ConnectionOptions, ro: mysql.ConnectionOptions, sb: mysql.ConnectionOptions, n: number) {
  const pc = await mysql.createConnection(ep);
  const rc = await mysql.createConnection(ro);
  const sc = await mysql.createConnection(sb);
  const roMs: number[] = [];
  const sbMs: number[] = [];
  try {
    await pc.query('CREATE TABLE IF NOT EXISTS bench.lag (id BIGINT AUTO_INCREMENT PRIMARY KEY, at BIGINT)');
    await sleep(500);
    const until = async (c: mysql.Connection, id: number, t0: number) => {
      for (;;) {
        const [rows] = await c.query('SELECT id FROM bench.lag WHERE id = ?', [id]);
        if ((rows as unknown[]).length) return performance.now() - t0;
        if (performance.now() - t0 > 30_000) throw new Error(`row ${id} not replicated within 30 s`);
        await sleep(1);
      }
    };
    for (let i = 0; i < n; i++) {
      const [r] = await pc.query('INSERT INTO bench.lag (at) VALUES (?)', [Date.now()]);
      const t0 = performance.now(); // acknowledged on the primary (semi-sync: the standby has received it)
      const id = (r as mysql.ResultSetHeader).insertId;
      const [a, b] = await Promise.all([until(rc, id, t0), until(sc, id, t0)]);
      roMs.push(a);
      sbMs.push(b);
      await sleep(100);
    }
  } finally {
    await Promise.all([pc.end(), rc.end(), sc.end()].map((p) => p.catch(() => {})));
  }
  return { roMs, sbMs };
}

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const s = await startHaServe({ ha: { readOnlyMinCreatingMs: 0 } });
  process.stderr.write(`serve ${s.url} home ${s.home} pipe ${s.cidr}\n`);
  const raw: RawResult[] = [];
  const ord: OrdsResult[] = [];
  const order: string[] = [];
  const warm: string[] = [];
  let prepareMs = 0;
  let sizes: Record<string, number> = {};
  let lag: { roMs: number[]; sbMs: number[] } = { roMs: [], sbMs: [] };
  try {
    const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'bench-primary', Password: PW }));
    const uuid = r.data.InstancesUuid[0] as string;
    const inst = await waitRunning(s.client, uuid);
    const haNodes = homeNodes(s.home).map((n) => n.id);
    await waitHealthy(s, uuid, haNodes);
    const ep = { host: inst.IP, port: inst.Port, user: 'root', password: PW };
    await sql(ep, 'CREATE DATABASE sbtest', 'CREATE DATABASE bench');
    process.stderr.write(`sysbench prepare --tables=${TABLES} --table-size=${TABLE_SIZE} through the endpoint ${inst.IP}…\n`);
    const tp = performance.now();
    await sysbenchPrepare({ ...ep, db: 'sbtest' }, TABLES, TABLE_SIZE, 4);
    prepareMs = performance.now() - tp;
    const primary = (await writableNode(homeNodes(s.home), 'root', PW))!;
    const standby = homeNodes(s.home).find((n) => haNodes.includes(n.id) && n.id !== primary.id)!;
    const admin = derivePassword(Buffer.from(readFileSync(join(s.home, 'secrets/master.key'), 'utf8').trim(), 'hex'), uuid, 'admin');
    // The standby has applied everything before anything is copied.
    const [[g]] = (await sql({ host: primary.ip, port: 3306, user: ADMIN_USER, password: admin }, 'SELECT @@gtid_binlog_pos AS p')) as any;
    await sql({ host: standby.ip, port: 3306, user: ADMIN_USER, password: admin }, `SELECT MASTER_GTID_WAIT('${g.p}', 600)`);
    sizes = {
      primaryDatadir: await duBytes(join(s.home, 'nodes', primary.id, 'disk', 'data')),
      standbyDatadir: await duBytes(join(s.home, 'nodes', standby.id, 'disk', 'data')),
    };
    process.stderr.write(`prepared in ${fmt(prepareMs)}; datadirs: primary ${(sizes.primaryDatadir! / 2 ** 30).toFixed(2)} GiB, standby ${(sizes.standbyDatadir! / 2 ** 30).toFixed(2)} GiB\n`);
    const sbCnf = readFileSync(join(s.home, 'nodes', standby.id, 'my.cnf'), 'utf8');
    const cnf: Record<string, string> = {};
    for (const k of ['innodb_buffer_pool_size', 'innodb_log_file_size']) {
      const m = new RegExp(`^${k} = (\\S+)`, 'm').exec(sbCnf);
      if (m) cnf[k.replace(/_/g, '-')] = m[1]!;
    }
    const rawIp = await freeLoopbackIp(s.cidr);

    // One pair not counted: the first copy of the data reads it from disk, later ones from the page cache.
    for (let i = 0; i < WARMUP; i++) {
      const a = await rawOnce(standby, s.home, admin, rawIp, cnf);
      const b = await openrdsOnce(s, uuid);
      await deleteAndWait(s.client, b.uuid);
      warm.push(`raw ${fmt(a.totalMs)} (backup ${fmt(a.backupMs)}), openrds ${fmt(b.totalMs)} (clone ${fmt(b.phases['step:clone'] ?? NaN)})`);
      process.stderr.write(`warm-up ${i + 1}: ${warm.at(-1)}\n`);
    }
    for (let i = 0; i < RUNS; i++) {
      const seq = i % 2 === 0 ? (['raw', 'openrds'] as const) : (['openrds', 'raw'] as const);
      for (const side of seq) {
        if (side === 'raw') {
          raw.push(await rawOnce(standby, s.home, admin, rawIp, cnf));
        } else {
          const o = await openrdsOnce(s, uuid);
          ord.push(o);
          if (i === RUNS - 1) {
            const roInst = await describe(s.client, o.uuid);
            const roCfg = { host: roInst.IP, port: roInst.Port, user: 'root', password: PW };
            lag = await catchUp(ep, roCfg, { host: standby.ip, port: 3306, user: 'root', password: PW }, LAG_SAMPLES);
            process.stderr.write(`catch-up: read-only median ${round(median(lag.roMs), 1)} ms max ${round(max(lag.roMs), 1)}; standby median ${round(median(lag.sbMs), 1)} ms max ${round(max(lag.sbMs), 1)}\n`);
          }
          await deleteAndWait(s.client, o.uuid);
        }
      }
      order.push(seq.join('→'));
      const a = raw.at(-1)!;
      const b = ord.at(-1)!;
      process.stderr.write(`run ${i + 1}/${RUNS}: raw ${fmt(a.totalMs)} (backup ${fmt(a.backupMs)}, prepare ${fmt(a.prepareMs)}, start ${fmt(a.startMs)}, ${(a.bytes / 2 ** 30).toFixed(2)} GiB); ` +
        `openrds ${fmt(b.totalMs)} ${JSON.stringify(b.phases)}\n`);
    }
  } finally {
    await s.shutdown();
    cleanupAll();
  }

  const rawT = raw.map((r) => r.totalMs);
  const ordT = ord.map((r) => r.totalMs);
  const phaseNames = [...new Set(ord.flatMap((o) => Object.keys(o.phases)))];
  const result = {
    benchmark: 'readonly', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/readonly.ts ${process.argv.slice(2).join(' ')}`.trim(), runs: RUNS, warmup: warm, order,
    data: { tables: TABLES, tableSize: TABLE_SIZE, prepareMs: round(prepareMs), ...sizes, backupBytes: raw.map((r) => r.bytes) },
    raw: {
      totalMs: rawT.map((x) => round(x)), median: round(median(rawT)), max: round(max(rawT)), min: round(min(rawT)),
      medianBackupPlusPrepare: round(median(raw.map((r) => r.backupMs + r.prepareMs))),
      medianBackup: round(median(raw.map((r) => r.backupMs))), medianPrepare: round(median(raw.map((r) => r.prepareMs))), medianStart: round(median(raw.map((r) => r.startMs))),
    },
    openrds: {
      totalMs: ordT.map((x) => round(x)), median: round(median(ordT)), max: round(max(ordT)), min: round(min(ordT)),
      phases: ord.map((o) => o.phases),
      phaseMedians: Object.fromEntries(phaseNames.map((k) => [k, round(median(ord.map((o) => o.phases[k]).filter((x): x is number => x !== undefined)), 1)])),
    },
    ratioOfMedians: round(median(ordT) / median(rawT), 3),
    pairedRatios: ordT.map((x, i) => round(x / rawT[i]!, 3)),
    catchUp: {
      samples: lag.roMs.length,
      readOnlyMs: { median: round(median(lag.roMs), 1), max: round(max(lag.roMs), 1), min: round(min(lag.roMs), 1), all: lag.roMs.map((x) => round(x, 1)) },
      standbyMs: { median: round(median(lag.sbMs), 1), max: round(max(lag.sbMs), 1), min: round(min(lag.sbMs), 1), all: lag.sbMs.map((x) => round(x, 1)) },
    },
    target: 'openrds median <= 1.5 x raw median', met: median(ordT) / median(rawT) <= 1.5,
  };
  const out = jsonOutArg();
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (!flag('no-results')) writeHaResults('readonly', markdown(result));
}

function markdown(r: any): string {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const pm = r.openrds.phaseMedians as Record<string, number>;
  return `### Read-only instance creation (\`npm run bench:readonly\`)

${r.startedAt}, revision ${r.revision}, ${r.machine}. HA primary (1C2G) with sysbench data: --tables=${r.data.tables}
--table-size=${r.data.tableSize} (prepared through the endpoint in ${fmt(r.data.prepareMs)}); datadirs: primary ${gib(r.data.primaryDatadir)},
standby ${gib(r.data.standbyDatadir)}; each backup copy ${gib(median(r.data.backupBytes))}. openrds = CreateReadOnlyDBInstance (2C4G read-only spec)
→ the read-only instance is RUNNING as its own entry *and* in the primary's RoGroups (polled every 20 ms), with
**ha.readOnlyMinCreatingMs = 0** (the default keeps a new read-only instance CREATING for at least 15 s because Terraform looks
for the CREATING item; that floor is not counted here). Raw = by hand, the same data: \`mariadb-backup --backup\` of the standby
(its my.cnf and datadir, the node's admin account), \`--prepare\`, then \`mariadbd\` on the copy (same buffer pool and log file
size as the standby) until a login answers. One warm-up pair not counted (${(r.warmup ?? []).join('; ') || 'none'}: the first copy reads the
data from disk, the later ones from the page cache); then interleaved: ${r.order.join(', ')}.

| | median | max | min | runs |
| --- | --- | --- | --- | --- |
| **openrds CreateReadOnlyDBInstance → RUNNING** | **${fmt(r.openrds.median)}** | ${fmt(r.openrds.max)} | ${fmt(r.openrds.min)} | ${r.openrds.totalMs.map(fmt).join(', ')} |
| raw backup + prepare + start (baseline) | ${fmt(r.raw.median)} | ${fmt(r.raw.max)} | ${fmt(r.raw.min)} | ${r.raw.totalMs.map(fmt).join(', ')} |

- Ratio (medians): **${r.ratioOfMedians}×** raw (paired per run: ${r.pairedRatios.join(', ')}; median of the paired ratios ${round(median(r.pairedRatios), 3)}) → target ≤ 1.5× **${r.met ? 'MET' : 'MISSED'}**.
- Raw medians: backup ${fmt(r.raw.medianBackup)}, prepare ${fmt(r.raw.medianPrepare)}, start ${fmt(r.raw.medianStart)}.
  Like for like: openrds clone step ${fmt(pm['step:clone'] ?? NaN)} vs raw backup + prepare ${fmt(r.raw.medianBackupPlusPrepare ?? NaN)};
  openrds start step ${fmt(pm['step:start'] ?? NaN)} vs raw start ${fmt(r.raw.medianStart)}.
- openrds phase medians (ms): ${Object.entries(pm).map(([k, v]) => `${k} ${v}`).join(', ')}
  (clone = mariadb-backup --backup + --prepare of the standby + move into place; start = mariadbd until the admin answers;
  replicate/wait-replicating = CHANGE MASTER from the copy's GTID until both threads run).
- Replication catch-up (${r.catchUp.samples} rows inserted through the primary's endpoint, polled every ~1 ms on a connection to each
  replica): readable on the **read-only instance after ${r.catchUp.readOnlyMs.median} ms median, ${r.catchUp.readOnlyMs.max} ms max**;
  on the semi-sync standby (baseline, same rows) ${r.catchUp.standbyMs.median} ms median, ${r.catchUp.standbyMs.max} ms max. (Issue test bound: 1 s.)
`;
}

// `--render out.json`: only (re)write the RESULTS.md block from a saved --json result.
const rendered = strArg('render');
(rendered ? Promise.resolve(writeHaResults('readonly', markdown(JSON.parse(readFileSync(rendered, 'utf8'))))) : main()).then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:readonly failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
