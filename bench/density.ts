/**
 * Density benchmark (issue 15 §3): N basic instances of the smallest spec (27060, 1 CPU 2 GB) on
 * this host, all RUNNING and each answering a root login, then measured while idle:
 * - resident memory (VmRSS) of every mariadbd;
 * - the control plane's CPU time over an idle window (every background loop, the metrics
 *   collector at its default interval included), as process CPU time from /proc, not wall ratios,
 *   beside how busy the whole machine was in the same window;
 * - DescribeDBInstances by uuid under bench:api's load (10 connections, signed, fresh nonces);
 * - the create time (CreateDBInstance → RUNNING, one at a time) of the last 10 against the first 10.
 * It checks free disk space before it starts (and again from the first nodes' real usage), and
 * cleans up completely: every instance deleted through the API, serve stopped, then it checks that
 * no process, mount, nftables table or cgroup of the home is left.
 *
 *   npm run bench:density -- [--instances 150] [--idle-s 60] [--load-s 10] [--settle-s 20] [--json out.json]
 *                            [--profile DIR]  (serve under node --cpu-prof; bench/cpuprofile-top.ts summarises)
 *
 * Targets: ≤ 60 MB VmRSS per idle mariadbd; background loops < 3 % of one core; API p99 < 50 ms;
 * median of the last 10 creates ≤ 1.5× the first 10.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { TestClient } from '../test/support/cds-client.js';
import { nftTableName } from '../src/endpoints/nftables/nft-endpoints.js';
import { parseMountInfo } from '../src/provisioner/local/volumes.js';
import { homeTag } from '../src/provisioner/local/cgroups.js';
import { cpuMs, load } from './api-support.js';
import { cleanupAll, freeLoopbackNet, machine, max, median, min, PIPE, round, sleep, sourceRevision, startServe, VDC, type Serve } from './support.js';

function opt(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const N = opt('instances', 150);
const IDLE_S = opt('idle-s', 60);
const LOAD_S = opt('load-s', 10);
const SETTLE_S = opt('settle-s', 20);
const strOpt = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const JSON_OUT = strOpt('json');
const PROFILE = strOpt('profile');
const PASSWORD = 'Dense-Pass1';
const GB = 1024 ** 3;
/** Assumed disk use per node before one is measured (a sparse XFS image with a copied datadir). */
const GUESS_NODE_BYTES = 0.4 * GB;
const MARGIN_BYTES = 5 * GB;

const freeBytes = (dir: string) => { const s = statfsSync(dir); return s.bavail * s.bsize; };
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

/** Blocks really allocated under `dir` (du), in bytes: what the sparse copies cost. */
function allocatedBytes(dir: string): number {
  return Number(execFileSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** mariadbd processes of the home: pid → VmRSS bytes. */
function mariadbds(home: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!argv.startsWith('mariadbd') && !argv.includes('/mariadbd\0')) continue;
      if (!argv.includes(`${home}/`)) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] ?? 0);
      out.set(Number(d), kb * 1024);
    } catch { /* gone */ }
  }
  return out;
}

/** CPU time of a process's threads, summed by thread name (main "node", libuv's pool, V8's GC workers…). */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // libuv's pool threads keep the name "node": the main thread is told apart by its tid.
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+$/, '');
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch { /* the thread ended */ }
  }
  return out;
}

/** Whole-machine CPU: busy and total jiffies from /proc/stat (for "how loaded was the host"). */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function createOne(c: TestClient, i: number): Promise<{ uuid: string; ms: number; ip: string; port: number }> {
  const t0 = performance.now();
  const { data } = await c.ok('CreateDBInstance', {
    RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: `dense-${String(i).padStart(3, '0')}`, PaasGoodsId: 27060,
    DiskType: 'ssd_disk', DiskValue: 100, Password: PASSWORD,
  });
  const uuid = data.InstancesUuid[0] as string;
  for (;;) {
    const r = await c.call('DescribeDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    const d = r.body?.Data?.[0];
    if (r.body.Code === 'Success' && d?.Status === 'RUNNING') return { uuid, ms: performance.now() - t0, ip: d.IP, port: d.Port };
    if (d?.Status === 'ERROR') throw new Error(`instance ${i} (${uuid}) went to ERROR: ${d.StatusDetail}`);
    await sleep(25);
  }
}

async function login(ip: string, port: number): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ host: ip, port, user: 'root', password: PASSWORD, connectTimeout: 10_000 });
    const [rows] = await conn.query('SELECT 1 AS one');
    await conn.end();
    return (rows as Array<{ one: number }>)[0]?.one === 1;
  } catch {
    return false;
  }
}

/** Thread counters of one node, to tell what its resident memory holds (cached threads keep theirs). */
async function threadCounters(ip: string, port: number): Promise<Record<string, number> | undefined> {
  try {
    const conn = await mysql.createConnection({ host: ip, port, user: 'root', password: PASSWORD, connectTimeout: 10_000 });
    const [rows] = await conn.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_cached', 'Threads_created', 'Threads_connected', 'Max_used_connections', 'Connections')");
    await conn.end();
    return Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, Number(r.Value)]));
  } catch {
    return undefined;
  }
}

async function deleteAll(c: TestClient, uuids: string[]): Promise<void> {
  for (const u of uuids) await c.call('DeleteDBInstance', { InstanceUuid: u });
  const deadline = Date.now() + 15 * 60_000;
  const left = new Set(uuids);
  while (left.size && Date.now() < deadline) {
    for (const u of [...left]) {
      const r = await c.call('DescribeDBInstances', { InstanceUuid: u }, { method: 'GET' });
      if (r.body.Code === 'ResourceNotFound') left.delete(u);
    }
    if (left.size) await sleep(500);
  }
  if (left.size) throw new Error(`${left.size} instances not deleted after 15 min`);
}

/** What the home left on the host after serve stopped: processes, mounts, nft table, cgroups. */
function leftovers(home: string): string[] {
  const out: string[] = [];
  if (mariadbds(home).size) out.push(`${mariadbds(home).size} mariadbd processes`);
  const mounts = [...parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).keys()].filter((m) => m.startsWith(`${home}/`));
  if (mounts.length) out.push(`${mounts.length} mounts`);
  try {
    execFileSync('nft', ['list', 'table', 'ip', nftTableName(home)], { stdio: 'ignore' });
    out.push(`nft table ${nftTableName(home)}`);
  } catch { /* none: good */ }
  const nodesDir = join(home, 'nodes');
  if (existsSync(nodesDir) && readdirSync(nodesDir).length) out.push(`${readdirSync(nodesDir).length} node directories`);
  const tag = homeTag(nodesDir);
  for (const parent of ['/sys/fs/cgroup/openrds', '/sys/fs/cgroup/memory/openrds', '/sys/fs/cgroup/cpu/openrds']) {
    const mine = existsSync(parent) ? readdirSync(parent).filter((d) => d.startsWith(`${tag}-`)) : [];
    if (mine.length) out.push(`${mine.length} cgroups in ${parent}`);
  }
  return out;
}

async function main() {
  const startedAt = new Date();
  const free0 = freeBytes('/tmp');
  const need0 = N * GUESS_NODE_BYTES + MARGIN_BYTES;
  log(`free space in /tmp: ${round(free0 / GB, 1)} GB; ${N} nodes at ~${round(GUESS_NODE_BYTES / GB, 2)} GB each + ${MARGIN_BYTES / GB} GB margin need ${round(need0 / GB, 1)} GB`);
  if (free0 < need0) throw new Error(`not enough free space in /tmp: ${round(free0 / GB, 1)} GB < ${round(need0 / GB, 1)} GB`);
  const net = await freeLoopbackNet(16);
  const s: Serve = await startServe({ cidr: net.cidr, nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [] });
  const c = new TestClient(s.url, s.creds);
  const created: Array<{ uuid: string; ms: number; ip: string; port: number }> = [];
  let result: Record<string, unknown> = {};
  let cleanupProblems: string[] = [];
  try {
    const tStart = performance.now();
    for (let i = 0; i < N; i++) {
      created.push(await createOne(c, i));
      if (i === 4) {
        // Re-check the disk with what five real nodes use (sparse images, copied datadirs).
        const per = allocatedBytes(join(s.home, 'nodes')) / 5;
        const need = (N - 5) * per + MARGIN_BYTES;
        log(`5 nodes use ${round(per / 1024 ** 2)} MB each on disk; the other ${N - 5} need ${round(need / GB, 1)} GB, ${round(freeBytes('/tmp') / GB, 1)} GB free`);
        if (freeBytes('/tmp') < need) throw new Error('not enough free space for the rest of the nodes');
      }
      if ((i + 1) % 10 === 0) log(`${i + 1} RUNNING; last create ${round(created[i]!.ms)} ms; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    }
    const createAllS = (performance.now() - tStart) / 1000;
    const logins = await Promise.all(created.map((x) => login(x.ip, x.port)));
    const loginOk = logins.filter(Boolean).length;
    log(`${loginOk}/${N} answer a root login; settling ${SETTLE_S} s`);
    await sleep(SETTLE_S * 1000);

    // Idle: the control plane's CPU time, every mariadbd's CPU time and the machine's, one window.
    const dbs0 = mariadbds(s.home);
    const dbCpu = (pids: Iterable<number>) => [...pids].reduce((a, p) => { try { return a + cpuMs(p); } catch { return a; } }, 0);
    const serveCpu0 = cpuMs(s.proc.pid!);
    const threads0 = threadCpuMs(s.proc.pid!);
    const dbCpu0 = dbCpu(dbs0.keys());
    const m0 = machineCpu();
    const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const t0 = performance.now();
    await sleep(IDLE_S * 1000);
    const wallMs = performance.now() - t0;
    const serveCpuMs = cpuMs(s.proc.pid!) - serveCpu0;
    const threads1 = threadCpuMs(s.proc.pid!);
    const serveThreadsPct = Object.fromEntries([...threads1].map(([k, v]) => [k, round(((v - (threads0.get(k) ?? 0)) / (performance.now() - t0)) * 100, 2)]).filter(([, v]) => Number(v) > 0));
    const dbCpuMs = dbCpu(dbs0.keys()) - dbCpu0;
    const m1 = machineCpu();
    const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const rss = [...mariadbds(s.home).values()].map((b) => b / 1024 ** 2);
    const serveRssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const machineBusyPct = ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100;
    log(`idle ${round(wallMs / 1000)} s: serve ${round((serveCpuMs / wallMs) * 100, 2)} % of a core; mariadbds ${round((dbCpuMs / wallMs) * 100, 1)} % in total; machine ${round(machineBusyPct, 1)} % busy of 2 cores (load ${load0} → ${load1})`);
    log(`serve by thread (% of a core): ${JSON.stringify(serveThreadsPct)}`);
    log(`VmRSS per mariadbd: median ${round(median(rss), 1)} MB, max ${round(max(rss), 1)} MB (${rss.length} processes); serve ${round(serveRssMb)} MB`);
    // Read after the RSS sample (this login adds a session of its own), one node at a time.
    const counters: Array<Record<string, number>> = [];
    for (const x of created) { const t = await threadCounters(x.ip, x.port); if (t) counters.push(t); }
    const threads = Object.fromEntries(['Threads_cached', 'Threads_created', 'Threads_connected', 'Max_used_connections', 'Connections']
      .map((k) => [k, { median: median(counters.map((t) => t[k] ?? 0)), max: max(counters.map((t) => t[k] ?? 0)) }]));
    log(`threads per node (median / max of ${counters.length}): ${Object.entries(threads).map(([k, v]) => `${k} ${v.median} / ${v.max}`).join(', ')}`);

    // API under bench:api's load: signed DescribeDBInstances by uuid, 10 connections.
    const uuids = created.map((x) => x.uuid);
    const api = await load({ url: s.url, path: '/mysql/', query: 'signed', creds: s.creds, uuids, expect: '"Code":"Success"', connections: 10, durationS: LOAD_S }, s.proc.pid!);
    log(`API DescribeDBInstances by uuid: ${round(api.rps)} req/s, p50 ${api.latency.p50} ms, p99 ${api.latency.p99} ms, non2xx ${api.non2xx}, bad ${api.badBodies}, server ${api.serverCpuUsPerReq} µs CPU/req`);

    const ms = created.map((x) => x.ms);
    const first10 = median(ms.slice(0, 10));
    const last10 = median(ms.slice(-10));
    const diskBytes = allocatedBytes(join(s.home, 'nodes'));
    result = {
      benchmark: 'density', startedAt: startedAt.toISOString(), machine: machine(), revision: sourceRevision(),
      command: `node --import tsx bench/density.ts ${process.argv.slice(2).join(' ')}`.trim(),
      instances: N, createAllS: round(createAllS, 1), loginOk,
      createMs: { first10Median: round(first10), last10Median: round(last10), ratio: round(last10 / first10, 2), min: round(min(ms)), max: round(max(ms)), all: ms.map((x) => round(x)) },
      rssMb: { median: round(median(rss), 1), max: round(max(rss), 1), min: round(min(rss), 1), processes: rss.length, serve: round(serveRssMb) },
      threadsPerNode: threads,
      idle: {
        windowS: round(wallMs / 1000, 1), serveCpuMs: round(serveCpuMs), servePctOfCore: round((serveCpuMs / wallMs) * 100, 2), serveByThread: serveThreadsPct,
        mariadbdPctOfCoreTotal: round((dbCpuMs / wallMs) * 100, 1), machineBusyPctOf2Cores: round(machineBusyPct, 1), loadavg: `${load0} → ${load1}`,
      },
      api: { rps: round(api.rps), p50: api.latency.p50, p99: api.latency.p99, non2xx: api.non2xx, badBodies: api.badBodies, errors: api.errors, serverCpuUsPerReq: api.serverCpuUsPerReq },
      disk: { freeBeforeGb: round(free0 / GB, 1), nodesAllocatedGb: round(diskBytes / GB, 2), perNodeMb: round(diskBytes / N / 1024 ** 2) },
      targets: {
        rss: { want: '<= 60 MB per idle mariadbd', got: round(max(rss), 1), met: max(rss) <= 60 },
        loops: { want: '< 3 % of one core (serve idle)', got: round((serveCpuMs / wallMs) * 100, 2), met: (serveCpuMs / wallMs) * 100 < 3 },
        apiP99: { want: '< 50 ms', got: api.latency.p99, met: api.latency.p99 < 50 && api.non2xx === 0 && api.badBodies === 0 },
        createGrowth: { want: 'last-10 median <= 1.5 x first-10 median', got: round(last10 / first10, 2), met: last10 / first10 <= 1.5 },
        allRunningAndLogin: { want: `${N} RUNNING, ${N} logins`, got: loginOk, met: loginOk === N },
      },
    };
  } finally {
    log(`deleting ${created.length} instances`);
    try {
      await deleteAll(c, created.map((x) => x.uuid));
    } catch (e) {
      cleanupProblems.push(String(e));
    }
    await s.stop();
    cleanupProblems = [...cleanupProblems, ...leftovers(s.home)];
    cleanupAll();
  }
  result.cleanup = { problems: cleanupProblems, clean: cleanupProblems.length === 0 };
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(text + '\n');
  if (JSON_OUT) writeFileSync(JSON_OUT, text + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
