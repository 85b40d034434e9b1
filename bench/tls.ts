/**
 * HTTPS benchmark: signed GET DescribeDBInstances?InstanceUuid=… (the Terraform refresh path)
 * over HTTPS with keep-alive against the same request over plain HTTP, in the same run and on
 * the same `openrds serve` (both listeners in one process, certificate from its local CA: ECDSA
 * P-256), holding 1,000 instances. Rounds are interleaved and alternate which target goes
 * first. autocannon runs in its own process (bench/api-load.ts), 10 keep-alive connections,
 * building every request with a fresh nonce, timestamp and signature.
 *
 * The figure of merit is the server's CPU time per request (from /proc/<pid>/stat), because the
 * load generator's own TLS work shares the machine's cores and depresses HTTPS req/s. serve's
 * background loops are slowed down (reconciler, HA monitor, disk guard, backup scheduler; no
 * metrics collection) so that they add little to a request's share, and their remaining idle
 * CPU, measured before and after the rounds, is subtracted for the "net" figure.
 * Target: net server CPU per request over HTTPS ≤ 1.3× plain HTTP (median of the per-round ratios).
 *
 *   npm run bench:tls -- [--rounds 4] [--duration 15] [--connections 10] [--warmup 3] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import type { LoadJob } from './api-load.js';
import { idleCpuPct, load, N, seedAndCheck, type Measured } from './api-support.js';
import { cleanupAll, freeLoopbackNet, machine, median, round, sourceRevision, startServe } from './support.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const ROUNDS = Number(opt('rounds') ?? 4);
const DURATION = Number(opt('duration') ?? 15);
const CONNECTIONS = Number(opt('connections') ?? 10);
const WARMUP_S = Number(opt('warmup') ?? 3);
const JSON_OUT = opt('json');
const TARGET_RATIO = 1.3;

type Target = 'http' | 'https';

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const net = await freeLoopbackNet(16);
  /** Background loops that do not serve requests, slowed down (the nodes are seeded rows: nothing to watch). */
  const quiet = { reconciler: { intervalMs: 60_000 }, ha: { checkIntervalMs: 60_000 }, storage: { guardIntervalMs: 60_000 }, metrics: { enabled: false }, backups: { schedulerIntervalMs: 3_600_000 } };
  const s = await startServe({ cidr: net.cidr, config: { tls: { listen: '127.0.0.1:0' }, ...quiet } });
  const tlsUrl = /"tlsUrl":"(https:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(s.logs())?.[1];
  if (!tlsUrl) throw new Error(`serve has no HTTPS listener:\n${s.logs().slice(-2000)}`);
  const rows: Array<{ round: number; target: Target; r: Measured }> = [];
  const warm: string[] = [];
  const idle: number[] = [];
  try {
    const uuids = await seedAndCheck(s, net.ip);
    process.stderr.write(`serve pid ${s.proc.pid}: ${s.url} and ${tlsUrl}; ${N} instances seeded\n`);
    const job = (t: Target, durationS: number): [LoadJob, number] => [{
      url: t === 'https' ? tlsUrl : s.url, path: '/mysql/', query: 'signed', creds: s.creds, uuids, expect: '"Code":"Success"',
      connections: CONNECTIONS, durationS, ...(t === 'https' ? { servername: 'localhost' } : {}),
    }, s.proc.pid!];
    for (const t of ['http', 'https'] as const) {
      const r = await load(...job(t, WARMUP_S));
      warm.push(`${t}: ${round(r.rps)} req/s, ${r.serverCpuUsPerReq} µs CPU/req`);
      process.stderr.write(`warm-up ${warm.at(-1)}\n`);
    }
    idle.push(await idleCpuPct(s.proc.pid!, 5000));
    for (let i = 0; i < ROUNDS; i++) {
      for (const t of (i % 2 === 0 ? ['http', 'https'] : ['https', 'http']) as Target[]) {
        const r = await load(...job(t, DURATION));
        rows.push({ round: i + 1, target: t, r });
        process.stderr.write(`round ${i + 1} ${t}: ${round(r.rps)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non2xx ${r.non2xx}, ` +
          `bad ${r.badBodies}, errors ${r.errors}, server CPU ${r.serverCpuPct}% (${r.serverCpuUsPerReq} µs/req), autocannon CPU ${r.loadCpuPct}%\n`);
      }
    }
    idle.push(await idleCpuPct(s.proc.pid!, 5000));
    process.stderr.write(`serve idle CPU before/after the rounds: ${idle.map((x) => round(x, 2)).join('% / ')}%\n`);
  } finally {
    await s.stop();
    cleanupAll();
  }

  const idlePct = idle.reduce((a, x) => a + x, 0) / idle.length;
  /** Server CPU per request without the background loops' idle share. */
  const netOf = (r: Measured) => round(((r.serverCpuMs - (idlePct / 100) * r.wallMs) * 1000) / Math.max(1, r.total));
  const of = (t: Target) => rows.filter((x) => x.target === t).map((x) => x.r);
  const summary = (t: Target) => {
    const rs = of(t);
    return {
      rps: rs.map((r) => round(r.rps)), medianRps: round(median(rs.map((r) => r.rps))),
      serverCpuUsPerReq: rs.map((r) => r.serverCpuUsPerReq), medianServerCpuUsPerReq: median(rs.map((r) => r.serverCpuUsPerReq)),
      netServerCpuUsPerReq: rs.map(netOf), medianNetServerCpuUsPerReq: median(rs.map(netOf)),
      serverCpuPct: rs.map((r) => r.serverCpuPct), loadCpuPct: rs.map((r) => r.loadCpuPct),
      p50: rs.map((r) => r.latency.p50), p99: rs.map((r) => r.latency.p99), medianP99: median(rs.map((r) => r.latency.p99)),
      total: rs.reduce((a, r) => a + r.total, 0), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), badBodies: rs.reduce((a, r) => a + r.badBodies, 0),
      errors: rs.reduce((a, r) => a + r.errors, 0), timeouts: rs.reduce((a, r) => a + r.timeouts, 0), firstBad: rs.find((r) => r.firstBad)?.firstBad,
    };
  };
  const http = summary('http');
  const https = summary('https');
  /** Per round, HTTPS over plain HTTP: the two runs of a round are adjacent in time, so they share the machine's load. */
  const perRound = (f: (r: Measured) => number) => Array.from({ length: ROUNDS }, (_, i) => {
    const a = rows.find((x) => x.round === i + 1 && x.target === 'https')!.r;
    const b = rows.find((x) => x.round === i + 1 && x.target === 'http')!.r;
    return round(f(a) / f(b), 3);
  });
  const rawRatios = perRound((r) => r.serverCpuUsPerReq);
  const cpuRatios = perRound(netOf);
  const rpsRatios = perRound((r) => r.rps);
  const cpuRatio = median(cpuRatios);
  const clean = [http, https].every((x) => x.non2xx === 0 && x.badBodies === 0 && x.errors === 0 && x.timeouts === 0);
  const result = {
    benchmark: 'tls', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/tls.ts ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { connections: CONNECTIONS, durationS: DURATION, rounds: ROUNDS, instances: N, keepAlive: true, key: 'ECDSA P-256 (local CA)' },
    warmup: warm, order: rows.map((x) => `${x.round}:${x.target}`),
    http, https,
    serveIdleCpuPct: idle.map((x) => round(x, 2)),
    perRoundNetServerCpuRatio: cpuRatios, medianNetServerCpuRatio: round(cpuRatio, 3),
    perRoundRawServerCpuRatio: rawRatios, medianRawServerCpuRatio: round(median(rawRatios), 3),
    perRoundRpsRatio: rpsRatios, medianRpsRatio: round(median(rpsRatios), 3),
    targets: {
      serverCpuPerRequest: { want: `HTTPS <= ${TARGET_RATIO} x plain HTTP (net of idle)`, got: round(cpuRatio, 3), met: cpuRatio <= TARGET_RATIO },
      allSuccess: { want: 'non-2xx = 0 and every body Code Success', met: clean },
    },
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\nplain HTTP ${http.medianRps} req/s, ${http.medianNetServerCpuUsPerReq} µs net server CPU/req (${http.medianServerCpuUsPerReq} raw); ` +
    `HTTPS ${https.medianRps} req/s, ${https.medianNetServerCpuUsPerReq} µs net (${https.medianServerCpuUsPerReq} raw); ` +
    `net server CPU/req HTTPS/HTTP per round ${cpuRatios.join(', ')} (median ${round(cpuRatio, 3)}, target ≤ ${TARGET_RATIO}: ${cpuRatio <= TARGET_RATIO ? 'MET' : 'MISSED'}; ` +
    `raw median ${result.medianRawServerCpuRatio}); req/s ratio median ${result.medianRpsRatio}; serve idle ${result.serveIdleCpuPct.join('/')}%\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:tls failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
