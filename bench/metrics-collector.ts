/**
 * Collector cost: the CPU that `openrds serve` uses with 50 running instances (50 real mariadbd
 * processes, created through the API) with metrics collection on at a 10 s interval, side by side
 * with the same serve and the same databases with collection off (`metrics.enabled: false`), in
 * the same run. serve is restarted on the same home between phases (the databases keep running);
 * phases alternate on/off; each is measured from /proc/<serve pid>/stat over --measure seconds
 * after --warmup seconds. Also measured: the CPU the 50 mariadbd spend (their side of the
 * monitoring queries), and the collector's own round duration from /metrics.
 * Target: on − off < 2 % of one core.
 *
 *   npm run bench:collector -- [--instances 50] [--rounds 2] [--warmup 20] [--measure 60] [--json out.json] [--no-results]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestClient } from '../test/support/cds-client.js';
import { cleanupAll, exited, freeLoopbackNet, machine, PIPE, ROOT, round, sleep, startServe, track, TSX, VDC } from './support.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const N = Number(opt('instances') ?? 50);
const ROUNDS = Number(opt('rounds') ?? 2);
const WARMUP_S = Number(opt('warmup') ?? 20);
const MEASURE_S = Number(opt('measure') ?? 60);
const JSON_OUT = opt('json');
const WRITE_RESULTS = !process.argv.includes('--no-results');
const INTERVAL_MS = 10_000;

/** user+system CPU ms of a process (USER_HZ 100). */
function cpuMs(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

function dbPids(home: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`--defaults-file=${home}/nodes/`)) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

const sumCpu = (pids: number[]) => pids.reduce((a, p) => { try { return a + cpuMs(p); } catch { return a; } }, 0);

/** serve on an existing home (the databases of that home keep running across restarts). */
async function launch(home: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = track(spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'serve', '--home', home, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] }));
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${buf.slice(-3000)}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf = (buf + d.toString()).slice(-20_000);
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => { buf = (buf + d.toString()).slice(-20_000); });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${buf.slice(-3000)}`)); });
  });
  return { proc, url };
}

async function term(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
  await exited(p);
  clearTimeout(t);
}

function writeConfig(home: string, cidr: string, enabled: boolean): void {
  writeFileSync(join(home, 'config.json'), JSON.stringify({
    networks: [{ VdcId: VDC, VdcName: 'bench', RegionIds: '*', Pipes: [{ BasePipeId: PIPE, PipeName: 'bench', Cidr: cidr }] }],
    metrics: { enabled, intervalMs: INTERVAL_MS },
  }));
}

function sample(text: string, name: string, label = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(name + (label ? `{${label}` : ' ')) || (label === '' && l.startsWith(name + '{')));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0; // a counter not yet incremented is absent
}

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const net = await freeLoopbackNet(24);
  const first = await startServe({ cidr: net.cidr, config: { metrics: { enabled: true, intervalMs: INTERVAL_MS } } });
  const home = first.home;
  const c = new TestClient(first.url, first.creds);
  const phases: Array<{ phase: 'on' | 'off'; serveCpuPct: number; dbCpuPct: number; rounds?: number; roundMs?: number; ok?: number; gaps?: number; serveRssMb: number }> = [];
  let createS = 0;
  try {
    // 50 real instances through the API, Amount 3 at a time.
    const t0 = Date.now();
    const uuids: string[] = [];
    for (let left = N; left > 0; left -= 3) {
      const { data } = await c.ok('CreateDBInstance', {
        RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: `col-${uuids.length}`, PaasGoodsId: 27060,
        DiskType: 'ssd_disk', DiskValue: 100, Amount: Math.min(3, left),
      });
      uuids.push(...data.InstancesUuid);
    }
    for (;;) {
      const { data } = await c.ok('DescribeDBInstances', {}, { method: 'GET' });
      const running = data.filter((i: any) => i.Status === 'RUNNING').length;
      const failed = data.filter((i: any) => i.Status === 'ERROR');
      if (failed.length) throw new Error(`instances failed: ${failed.map((i: any) => i.StatusDetail).join('; ').slice(0, 500)}`);
      if (running === N) break;
      if (Date.now() - t0 > 900_000) throw new Error(`only ${running}/${N} RUNNING after 15 min`);
      await sleep(2000);
    }
    createS = round((Date.now() - t0) / 1000);
    process.stderr.write(`${N} instances RUNNING after ${createS} s; ${dbPids(home).length} mariadbd\n`);
    await term(first.proc);

    const order: Array<'on' | 'off'> = [];
    for (let r = 0; r < ROUNDS; r++) order.push(...(r % 2 === 0 ? ['on', 'off'] as const : ['off', 'on'] as const));
    for (const phase of order) {
      writeConfig(home, net.cidr, phase === 'on');
      const { proc, url } = await launch(home);
      await sleep(WARMUP_S * 1000);
      const pids = dbPids(home);
      if (pids.length !== N) throw new Error(`expected ${N} mariadbd, found ${pids.length}`);
      const pre = phase === 'on' ? await (await fetch(`${url}/metrics`)).text() : '';
      const s0 = cpuMs(proc.pid!);
      const d0 = sumCpu(pids);
      const w0 = performance.now();
      await sleep(MEASURE_S * 1000);
      const wall = performance.now() - w0;
      const s1 = cpuMs(proc.pid!);
      const d1 = sumCpu(pids);
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) / 1024;
      const row: (typeof phases)[number] = { phase, serveCpuPct: round(((s1 - s0) / wall) * 100, 2), dbCpuPct: round(((d1 - d0) / wall) * 100, 2), serveRssMb: round(rss) };
      if (phase === 'on') {
        const post = await (await fetch(`${url}/metrics`)).text();
        const cnt = (t: string) => sample(t, 'openrds_collector_round_duration_seconds_count');
        const sum = (t: string) => sample(t, 'openrds_collector_round_duration_seconds_sum');
        row.rounds = cnt(post) - cnt(pre);
        row.roundMs = round(((sum(post) - sum(pre)) / Math.max(1, row.rounds)) * 1000, 1);
        row.ok = sample(post, 'openrds_collector_readings_total', 'result="ok"') - sample(pre, 'openrds_collector_readings_total', 'result="ok"');
        row.gaps = sample(post, 'openrds_collector_readings_total', 'result="gap"') - sample(pre, 'openrds_collector_readings_total', 'result="gap"');
      }
      phases.push(row);
      process.stderr.write(`${phase}: serve ${row.serveCpuPct} % of a core, ${N} mariadbd ${row.dbCpuPct} %, RSS ${row.serveRssMb} MB` +
        (row.rounds !== undefined ? `, ${row.rounds} rounds of ${row.roundMs} ms, ${row.ok} readings ok, ${row.gaps} gaps` : '') + '\n');
      await term(proc);
    }
  } finally {
    await first.stop(); // also kills the databases of the home
    cleanupAll();
  }

  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const on = phases.filter((p) => p.phase === 'on');
  const off = phases.filter((p) => p.phase === 'off');
  const cost = avg(on.map((p) => p.serveCpuPct)) - avg(off.map((p) => p.serveCpuPct));
  const dbCost = avg(on.map((p) => p.dbCpuPct)) - avg(off.map((p) => p.dbCpuPct));
  const result = {
    benchmark: 'collector', startedAt: startedAt.toISOString(), machine: mach,
    command: `npm run bench:collector -- ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { instances: N, intervalMs: INTERVAL_MS, warmupS: WARMUP_S, measureS: MEASURE_S, rounds: ROUNDS, createS },
    phases,
    serveCpuPctOn: round(avg(on.map((p) => p.serveCpuPct)), 2), serveCpuPctOff: round(avg(off.map((p) => p.serveCpuPct)), 2),
    collectorCostPctOfCore: round(cost, 2), dbSideCostPctOfCore: round(dbCost, 2),
    targets: { collector: { want: '< 2 % of one core at 10 s', got: round(cost, 2), met: cost < 2 } },
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (WRITE_RESULTS) appendResults(result);
}

function appendResults(r: any): void {
  const file = join(ROOT, 'bench/RESULTS.md');
  const lines = [
    '', '<!-- metrics:collector -->', `## Metrics collector: CPU of serve with 50 instances (\`npm run bench:collector\`, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC)`, '',
    `Machine: ${r.machine}. ${r.settings.instances} real mariadbd (1C2G, created through the API in ${r.settings.createS} s); one home, serve restarted between ` +
    `phases with \`metrics.enabled\` on (interval ${r.settings.intervalMs / 1000} s) or off; each phase ${r.settings.warmupS} s warm-up, then ${r.settings.measureS} s measured from /proc/<pid>/stat.`, '',
    `| phase | serve CPU, % of one core | ${r.settings.instances} mariadbd CPU, % of one core | collector rounds | ms per round | readings ok / gaps | serve RSS MB |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.phases.map((p: any) => `| ${p.phase} | ${p.serveCpuPct} | ${p.dbCpuPct} | ${p.rounds ?? '—'} | ${p.roundMs ?? '—'} | ${p.ok !== undefined ? `${p.ok} / ${p.gaps}` : '—'} | ${p.serveRssMb} |`),
    '', `Collector cost in serve: on ${r.serveCpuPctOn} % − off ${r.serveCpuPctOff} % = **${r.collectorCostPctOfCore} % of one core** ` +
    `(target < 2 %: ${r.targets.collector.met ? 'met' : 'NOT met'}); on the databases' side: ${r.dbSideCostPctOfCore} % of one core for all ${r.settings.instances} together.`, '',
  ];
  lines.push('<!-- /metrics:collector -->', '');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  appendFileSync(file, (existing && !existing.endsWith('\n') ? '\n' : '') + lines.join('\n'));
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:collector failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
