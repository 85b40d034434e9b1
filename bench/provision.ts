/**
 * Provisioning benchmark: CreateDBInstance (POST) → DescribeDBInstances shows RUNNING, against
 * the raw baseline (mariadb-install-db + mariadbd until `SELECT 1` as root answers), interleaved
 * A/B in the same run so that a busy machine slows both sides alike. openrds copies its datadir
 * template (built by the warm-up's create, whose time is reported apart). Target (issue 15):
 * openrds median ≤ 0.5× the raw median.
 *
 *   npm run bench:provision -- [--runs 10] [--warmup 1] [--json out.json]
 *
 * Every instance is deleted after its run (and waited for until DescribeDBInstances says
 * ResourceNotFound); every raw server is killed and its datadir removed.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestClient } from '../test/support/cds-client.js';
import { rawIps, rawOnce, type RawResult } from './raw-baseline.js';
import {
  cleanupAll, sourceRevision, freeLoopbackNet, machine, max, median, min, PIPE, round, sleep, startServe, VDC, type Serve,
} from './support.js';

const POLL_MS = 20;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const RUNS = arg('runs', 10);
const WARMUP = arg('warmup', 1);
const jsonOut = (() => { const i = process.argv.indexOf('--json'); return i > 0 ? process.argv[i + 1] : undefined; })();

// --- openrds -----------------------------------------------------------------------------------

interface OpenrdsResult {
  uuid: string;
  totalMs: number;
  deleteMs: number;
  polls: number;
  /** From the serve log and the node's files (epoch ms, ms resolution); see breakdown(). */
  phases: Record<string, number>;
}

const createParams = {
  RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: 'bench-db', PaasGoodsId: 27060,
  DiskType: 'ssd_disk', DiskValue: 100,
};

async function openrdsOnce(s: Serve, c: TestClient): Promise<OpenrdsResult> {
  const t0 = Date.now();
  const p0 = performance.now();
  const { data } = await c.ok('CreateDBInstance', createParams);
  const uuid = data.InstancesUuid[0] as string;
  let polls = 0;
  let files: Record<string, number> = {};
  for (;;) {
    polls++;
    const r = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    const st = r.body?.Data?.[0]?.Status;
    if (r.body.Code === 'Success' && st === 'RUNNING') break;
    if (st === 'ERROR') throw new Error(`instance ${uuid} went to ERROR: ${r.body.Data[0].StatusDetail}`);
    if (r.body.Code !== 'Success') throw new Error(`DescribeDBInstances: ${JSON.stringify(r.body)}`);
    if (performance.now() - p0 > 180_000) throw new Error(`instance ${uuid} not RUNNING after 180 s`);
    await sleep(POLL_MS);
  }
  const totalMs = performance.now() - p0;
  const t1 = t0 + totalMs;
  files = nodeFileTimes(s.home);

  const d0 = performance.now();
  await c.ok('DeleteDBInstance', { InstanceUuid: uuid });
  for (;;) {
    const r = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    if (r.body.Code === 'ResourceNotFound') break;
    if (r.body?.Data?.[0]?.Status === 'ERROR') throw new Error(`delete of ${uuid} failed: ${r.body.Data[0].StatusDetail}`);
    if (performance.now() - d0 > 120_000) throw new Error(`instance ${uuid} not gone after 120 s`);
    await sleep(POLL_MS);
  }
  const deleteMs = performance.now() - d0;
  return { uuid, totalMs, deleteMs, polls, phases: breakdown(s.logs(), uuid, t0, t1, files) };
}

/**
 * Timestamps left by the running node: `.openrds-initialized` holds (first line) the ISO time
 * written right after the datadir was ready (template copied and flushed); node.pid is written
 * right after mariadbd was spawned.
 */
function nodeFileTimes(home: string): Record<string, number> {
  const nodes = join(home, 'nodes');
  if (!existsSync(nodes)) return {};
  const ids = readdirSync(nodes);
  if (ids.length !== 1) return {};
  const dir = join(nodes, ids[0]!);
  const out: Record<string, number> = {};
  try { out.installDone = Date.parse(readFileSync(join(dir, 'disk', 'data', '.openrds-initialized'), 'utf8').split('\n')[0]!); } catch { /* */ }
  try { out.spawned = statSync(join(dir, 'node.pid')).mtimeMs; } catch { /* */ }
  return out;
}

/** Phases of one create, in ms, from the serve log lines of its task and the node files. */
function breakdown(logs: string, uuid: string, t0: number, t1: number, f: Record<string, number>): Record<string, number> {
  // The create's own lines: the API's, and those of its CreateDBInstance task (not the later delete's).
  const lines = logs.split('\n').filter((l) => l.includes(uuid)).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } })
    .filter((x) => x.taskType === undefined || x.taskType === 'CreateDBInstance');
  const at = (pred: (x: any) => boolean) => lines.find(pred)?.time as number | undefined;
  const created = at((x) => x.msg === 'instances created');
  const stepStart = (n: string) => at((x) => x.msg === 'step start' && x.step === n);
  const stepDone = (n: string) => lines.find((x) => x.msg === 'step done' && x.step === n);
  const sn0 = stepStart('start-nodes');
  const sn = stepDone('start-nodes');
  const mr = stepDone('mark-running');
  const ph: Record<string, number> = {};
  if (created) ph.apiCreate = created - t0; // POST sent → row committed and logged
  if (created && sn0) ph.claim = sn0 - created; // task runner picked it up
  if (sn) ph.startNodes = sn.ms;
  // listNodes, mkdir, volume, render my.cnf, inspect() (a /proc scan), then the template copy + flush. The
  // marker holds a Date.now() time; node.pid's mtime comes from the kernel's coarse clock (a few ms of jitter).
  if (sn0 && f.installDone) ph.prepAndCopy = f.installDone - sn0;
  if (f.spawned && f.installDone) ph.spawn = f.spawned - f.installDone;
  if (sn && f.spawned) ph.serverReady = sn.time - f.spawned; // spawn → admin ping answers (+ updateNode)
  // Every later step (their names and number vary with the task definition), and the gaps between steps
  // (progress saved to the store, next step logged).
  const done = lines.filter((x) => x.msg === 'step done');
  for (const d of done) if (d.step !== 'start-nodes') ph[`step:${d.step}`] = d.ms;
  const gaps = done.slice(1).map((d, k) => d.time - d.ms - done[k]!.time);
  if (gaps.length) ph.betweenSteps = gaps.reduce((x, y) => x + y, 0);
  if (mr) ph.observed = t1 - mr.time; // RUNNING committed → client's poll saw it
  for (const k of Object.keys(ph)) ph[k] = round(ph[k]!, 1);
  return ph;
}

// --- main ----------------------------------------------------------------------------------------

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const net = await freeLoopbackNet(24);
  // The raw baseline gets its own free loopback address, outside the openrds pipe.
  const [rawIp] = (await rawIps(1, [net.cidr])) as [string];
  const s = await startServe({ cidr: net.cidr });
  const c = new TestClient(s.url, s.creds);
  process.stderr.write(`serve ${s.url} home ${s.home}; openrds pipe ${net.cidr}; raw baseline on ${rawIp}:3306\n`);

  const raw: RawResult[] = [];
  const ord: OpenrdsResult[] = [];
  const warm: string[] = [];
  const order: string[] = [];
  try {
    for (let i = 0; i < WARMUP; i++) {
      const a = await rawOnce(rawIp);
      const b = await openrdsOnce(s, c);
      warm.push(`raw ${round(a.totalMs)} ms, openrds ${round(b.totalMs)} ms`);
      process.stderr.write(`warm-up ${i + 1}: ${warm.at(-1)}\n`);
    }
    for (let i = 0; i < RUNS; i++) {
      // A/B then B/A: neither side always runs right after the other's teardown.
      const seq = i % 2 === 0 ? (['raw', 'openrds'] as const) : (['openrds', 'raw'] as const);
      for (const side of seq) {
        if (side === 'raw') raw.push(await rawOnce(rawIp));
        else ord.push(await openrdsOnce(s, c));
      }
      order.push(seq.join('→'));
      const r = raw.at(-1)!;
      const o = ord.at(-1)!;
      process.stderr.write(`run ${i + 1}/${RUNS} (${seq.join(' then ')}): raw ${round(r.totalMs)} ms (install ${round(r.installMs)} + start ${round(r.startToReadyMs)}), ` +
        `openrds ${round(o.totalMs)} ms ${JSON.stringify(o.phases)}, delete ${round(o.deleteMs)} ms\n`);
    }
  } finally {
    await s.stop();
    cleanupAll();
  }

  const rawT = raw.map((r) => r.totalMs);
  const ordT = ord.map((r) => r.totalMs);
  const ratio = median(ordT) / median(rawT);
  const phaseNames = [...new Set(ord.flatMap((o) => Object.keys(o.phases)))];
  const phaseMedians = Object.fromEntries(phaseNames.map((k) => [k, round(median(ord.map((o) => o.phases[k]).filter((x): x is number => x !== undefined)), 1)]));
  const result = {
    benchmark: 'provision', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(), command: `node --import tsx bench/provision.ts ${process.argv.slice(2).join(' ')}`.trim(),
    runs: RUNS, warmup: warm, order,
    raw: {
      totalMs: rawT.map((x) => round(x)), installMs: raw.map((r) => round(r.installMs)), startToReadyMs: raw.map((r) => round(r.startToReadyMs)),
      median: round(median(rawT)), max: round(max(rawT)), min: round(min(rawT)),
      medianInstall: round(median(raw.map((r) => r.installMs))), medianStartToReady: round(median(raw.map((r) => r.startToReadyMs))),
    },
    openrds: {
      totalMs: ordT.map((x) => round(x)), deleteMs: ord.map((r) => round(r.deleteMs)),
      median: round(median(ordT)), max: round(max(ordT)), min: round(min(ordT)),
      medianDelete: round(median(ord.map((r) => r.deleteMs))),
      phases: ord.map((o) => o.phases), phaseMedians,
    },
    ratioOfMedians: round(ratio, 3),
    // Run i of each side ran back to back, so their ratio cancels slow spells of the machine.
    pairedRatios: ord.map((o, i) => round(o.totalMs / raw[i]!.totalMs, 3)),
    medianPairedRatio: round(median(ord.map((o, i) => o.totalMs / raw[i]!.totalMs)), 3),
    target: 'openrds median <= 0.5 x raw median',
    met: ratio <= 0.5,
  };
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\nraw median ${result.raw.median} ms (max ${result.raw.max}); openrds median ${result.openrds.median} ms (max ${result.openrds.max}); ` +
    `ratio ${result.ratioOfMedians} (median of paired ratios ${result.medianPairedRatio}) → target ${result.met ? 'MET' : 'MISSED'}\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:provision failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
