/**
 * API throughput benchmark: signed GET DescribeDBInstances?InstanceUuid=… (the Terraform
 * refresh path) against the real `openrds serve` holding 1,000 instances, side by side with a
 * bare fastify hello-world in another node process, rounds interleaved in the same run.
 * autocannon runs in its own process (bench/api-load.ts) for every target, with 10 connections
 * for 15 s, and builds every request the same way: a fresh nonce, timestamp and signature.
 * Targets (issue 15 §4): openrds ≥ 0.65× the hello-world's requests/s, and p99 < 20 ms, persistent nonces on. The unfiltered list
 * of all 1,000 instances is measured too (no target).
 *
 *   npm run bench:api -- [--rounds 3] [--duration 15] [--connections 10] [--json out.json]
 *                        [--targets hello,one,all] [--warmup 3]
 *                        [--profile DIR]   (run openrds under node --cpu-prof; profile in DIR;
 *                                           summarise with bench/cpuprofile-top.ts)
 *                        [--compare DIR]   (also measure the serve of the checkout in DIR, as oneB)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestClient } from '../test/support/cds-client.js';
import type { LoadJob } from './api-load.js';
import { load, N, seedAndCheck, type Measured } from './api-support.js';
import { cleanupAll, exited, sourceRevision, freeLoopbackNet, machine, median, ROOT, round, startServe, track, TSX, type Serve } from './support.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const ROUNDS = Number(opt('rounds') ?? 3);
const DURATION = Number(opt('duration') ?? 15);
const CONNECTIONS = Number(opt('connections') ?? 10);
const WARMUP_S = Number(opt('warmup') ?? 3);
const PROFILE = opt('profile');
const JSON_OUT = opt('json');
/** Which targets to run (e.g. `--targets one` to profile just the Terraform path). */
const TARGETS = (opt('targets') ?? 'hello,one,all').split(',');
/** Another checkout (a directory with src/): its serve is measured too, as target oneB, in the same rounds. */
const COMPARE = opt('compare');

async function startHello(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const p = track(spawn(process.execPath, ['--import', TSX, join(ROOT, 'bench/hello-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /\{"port":(\d+)\}/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    p.once('exit', (code) => reject(new Error(`hello-server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`, pid: p.pid!,
    async stop() { p.kill('SIGTERM'); await exited(p); },
  };
}

type Target = 'hello' | 'one' | 'all' | 'oneB';

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  if (PROFILE) mkdirSync(PROFILE, { recursive: true });
  const targets = (['hello', 'one', 'all', 'oneB'] as Target[]).filter((t) => TARGETS.includes(t) || (t === 'oneB' && COMPARE));
  const net = await freeLoopbackNet(16);
  const s = await startServe({ cidr: net.cidr, nodeArgs });
  const netB = COMPARE ? await freeLoopbackNet(16) : undefined;
  const sB = COMPARE ? await startServe({ cidr: netB!.cidr, root: COMPARE }) : undefined;
  const hello = await startHello();
  const rows: Array<{ round: number; target: Target; r: Measured }> = [];
  const warm: string[] = [];
  let plainHello: Measured | undefined;
  let listBytes = 0;
  try {
    const uuids = await seedAndCheck(s, net.ip);
    const uuidsB = sB ? await seedAndCheck(sB, netB!.ip) : [];
    listBytes = JSON.stringify(await new TestClient(s.url, s.creds).ok('DescribeDBInstances', {}, { method: 'GET' })).length;
    process.stderr.write(`serve ${s.url} (pid ${s.proc.pid})${sB ? `, serve B from ${COMPARE} ${sB.url} (pid ${sB.proc.pid})` : ''}, ` +
      `hello ${hello.url} (pid ${hello.pid}); ${N} instances seeded; unfiltered list body ~${listBytes} bytes\n`);

    const openrdsJob = (srv: Serve, ids: string[], durationS: number): [LoadJob, number] =>
      [{ url: srv.url, path: '/mysql/', query: 'signed', creds: srv.creds, uuids: ids, expect: '"Code":"Success"', connections: CONNECTIONS, durationS }, srv.proc.pid!];
    const job = (t: Target, durationS: number): [LoadJob, number] => {
      switch (t) {
        case 'hello': return [{ url: hello.url, path: '/', query: 'signed', creds: s.creds, uuids, expect: '"hello":"world"', connections: CONNECTIONS, durationS }, hello.pid];
        case 'one': return openrdsJob(s, uuids, durationS);
        case 'all': return openrdsJob(s, [], durationS);
        case 'oneB': return openrdsJob(sB!, uuidsB, durationS);
      }
    };
    for (const t of targets) {
      const r = await load(...job(t, WARMUP_S));
      warm.push(`${t}: ${round(r.rps)} req/s, p99 ${r.latency.p99} ms`);
      process.stderr.write(`warm-up ${warm.at(-1)}\n`);
    }
    for (let i = 0; i < ROUNDS; i++) {
      // Each round starts one target later, so no target always follows the same one.
      for (const t of targets.map((_, k) => targets[(k + i) % targets.length]!)) {
        const r = await load(...job(t, DURATION));
        rows.push({ round: i + 1, target: t, r });
        process.stderr.write(`round ${i + 1} ${t}: ${round(r.rps)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non2xx ${r.non2xx}, ` +
          `bad ${r.badBodies}, errors ${r.errors}, server CPU ${r.serverCpuPct}% (${r.serverCpuUsPerReq} µs/req), autocannon CPU ${r.loadCpuPct}%\n`);
      }
    }
    // Reference only: the hello-world hit on a bare "/" (no query string to parse).
    if (targets.includes('hello')) plainHello = await load({ ...job('hello', DURATION)[0], query: 'plain' }, hello.pid);
    if (plainHello) process.stderr.write(`reference hello plain "/": ${round(plainHello.rps)} req/s, p99 ${plainHello.latency.p99} ms\n`);
  } finally {
    await hello.stop();
    await s.stop();
    await sB?.stop();
    cleanupAll();
  }

  const of = (t: Target) => rows.filter((x) => x.target === t).map((x) => x.r);
  const summary = (t: Target) => {
    const rs = of(t);
    if (!rs.length) return undefined;
    return {
      rps: rs.map((r) => round(r.rps)), p99: rs.map((r) => r.latency.p99), p50: rs.map((r) => r.latency.p50),
      medianRps: round(median(rs.map((r) => r.rps))), medianP99: median(rs.map((r) => r.latency.p99)), maxP99: Math.max(...rs.map((r) => r.latency.p99)),
      medianP50: median(rs.map((r) => r.latency.p50)),
      total: rs.reduce((a, r) => a + r.total, 0), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), badBodies: rs.reduce((a, r) => a + r.badBodies, 0),
      errors: rs.reduce((a, r) => a + r.errors, 0), timeouts: rs.reduce((a, r) => a + r.timeouts, 0),
      serverCpuPct: rs.map((r) => r.serverCpuPct), serverCpuUsPerReq: rs.map((r) => r.serverCpuUsPerReq),
      medianServerCpuUsPerReq: median(rs.map((r) => r.serverCpuUsPerReq)), loadCpuPct: rs.map((r) => r.loadCpuPct),
      firstBad: rs.find((r) => r.firstBad)?.firstBad,
    };
  };
  const h = summary('hello');
  const one = summary('one');
  const all = summary('all');
  const oneB = summary('oneB');
  /** Per round: target rps / hello rps of the same round (adjacent in time). */
  const perRound = (t: Target) => h && summary(t) ? Array.from({ length: ROUNDS }, (_, i) => {
    const a = rows.find((x) => x.round === i + 1 && x.target === t)!.r.rps;
    const b = rows.find((x) => x.round === i + 1 && x.target === 'hello')!.r.rps;
    return round(a / b, 3);
  }) : undefined;
  const ratio = h && one ? one.medianRps / h.medianRps : NaN;
  const clean = [one, all, oneB].every((x) => !x || (x.non2xx === 0 && x.badBodies === 0 && x.errors === 0 && x.timeouts === 0));
  const result = {
    benchmark: 'api', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/api.ts ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { connections: CONNECTIONS, durationS: DURATION, rounds: ROUNDS, instances: N, targets, compare: COMPARE, listBytes },
    warmup: warm,
    order: rows.map((x) => `${x.round}:${x.target}`),
    hello: h, describeOne: one, describeAll: all, describeOneB: oneB,
    helloPlainReference: plainHello && { rps: round(plainHello.rps), p99: plainHello.latency.p99, non2xx: plainHello.non2xx },
    ratioOfMedianRps: round(ratio, 3), perRoundRatio: perRound('one'), medianPerRoundRatio: perRound('one') && median(perRound('one')!),
    ...(oneB && h ? { ratioOfMedianRpsB: round(oneB.medianRps / h.medianRps, 3), perRoundRatioB: perRound('oneB') } : {}),
    targets: {
      throughput: { want: '>= 0.65 x hello-world', got: round(ratio, 3), met: ratio >= 0.65 },
      p99: { want: '< 20 ms', got: one?.medianP99, worstRound: one?.maxP99, met: one ? one.maxP99 < 20 : false },
      allSuccess: { want: 'non-2xx = 0 and every body Code Success', met: clean },
    },
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  const line = (name: string, x: ReturnType<typeof summary>) => x ? `${name} ${x.medianRps} req/s (p99 ${x.medianP99} ms, worst ${x.maxP99}, server ${x.medianServerCpuUsPerReq} µs CPU/req)` : '';
  process.stdout.write('\n' + [line('hello', h), line('openrds one', one), line('openrds all-1000', all), line('B one', oneB)].filter(Boolean).join('; ') +
    `; ratio one/hello ${result.ratioOfMedianRps}${oneB && h ? `, B one/hello ${result.ratioOfMedianRpsB}` : ''}\n`);
  if (PROFILE) process.stdout.write(`CPU profile of serve written to ${PROFILE}\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:api failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
