/**
 * Failover benchmark (issue 3): time from `kill -9` of an HA primary to the first successful
 * write that was SENT after the kill, through the instance's stable endpoint, with 4 writer
 * connections inserting all along. Every acknowledged row must still be there afterwards.
 * Target: median ≤ 3 s over 10 runs.
 *
 * Baseline in the same run, interleaved: a basic (single-node) instance of the same serve whose
 * mariadbd is `kill -9`ed the same way — it is restarted in place by the reconciler — measured
 * with the same writers. Between runs the HA instance is waited for until it is healthy again
 * (RUNNING, semi-sync ON, both nodes alive), which is reported too (kill → healthy).
 *
 *   npm run bench:failover -- [--runs 10] [--json out.json] [--no-results]
 *
 * Config: ha.maxFailoversPerWindow 100 (the flap guard would otherwise turn the 4th failover in
 * 10 minutes into a restart in place); everything else is the default (check 250 ms, semi-sync
 * timeout 10 s, reconciler 1 s).
 */
import mysql from 'mysql2/promise';
import { homeNodes, missingRows, writableNode } from '../test/support/ha.js';
import {
  strArg, BASIC_1C2G, createParams, describe, flag, fmt, jsonOutArg, logLines, numArg, PW, sleep, sql, startHaServe, waitHealthy, waitRunning, writeHaResults, type HaServe,
} from './ha-support.js';
import { cleanupAll, machine, max, median, min, round, sourceRevision } from './support.js';
import { readFileSync, writeFileSync } from 'node:fs';

const RUNS = numArg('runs', 10);
const WRITERS = 4;

type Cfg = { host: string; port: number; user: string; password: string };

/** N writers inserting through `cfg`; every acknowledged id, and each write's send and ack times. */
class Writers {
  acked: number[] = [];
  /** [issuedAt, okAt] of every acknowledged insert, in ack order. */
  oks: Array<[number, number]> = [];
  errors = 0;
  private stopFlag = false;
  private readonly done: Promise<void[]>;
  constructor(cfg: Cfg, table: string, n: number) {
    this.done = Promise.all(Array.from({ length: n }, async () => {
      let c: mysql.Connection | undefined;
      while (!this.stopFlag) {
        try {
          c ??= await mysql.createConnection({ ...cfg, connectTimeout: 1000 });
          const issuedAt = Date.now();
          const [r] = await c.query(`INSERT INTO ${table} (v) VALUES (1)`);
          const okAt = Date.now();
          this.acked.push((r as mysql.ResultSetHeader).insertId);
          this.oks.push([issuedAt, okAt]);
        } catch {
          this.errors++;
          c?.destroy();
          c = undefined;
          await sleep(10);
        }
      }
      c?.destroy();
    }));
  }
  /** The first acknowledged write sent after `since` (by ack time). */
  async firstSentAfter(since: number, timeoutMs = 60_000): Promise<{ issuedAt: number; okAt: number }> {
    const t0 = Date.now();
    let seen = 0;
    for (;;) {
      for (; seen < this.oks.length; seen++) {
        const [issuedAt, okAt] = this.oks[seen]!;
        if (issuedAt > since) return { issuedAt, okAt };
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`no write sent after the kill succeeded within ${timeoutMs} ms`);
      await sleep(2);
    }
  }
  async stop(): Promise<void> {
    this.stopFlag = true;
    await this.done;
  }
}

interface HaRun {
  ms: number;
  firstWriteLatencyMs: number;
  killToHealthyMs: number;
  acked: number;
  lost: number;
  semiSyncAfter: string;
  semiSyncEnabledAfter: string;
  phases: Record<string, number>;
  from: string;
  to: string;
  /** failover, or restart-in-place when the HA monitor withheld the failover (reason from the log). */
  kind: 'failover' | 'restart-in-place';
  withheld?: string;
}
interface BasicRun { ms: number; acked: number; lost: number; phases: Record<string, number> }

/** Phases of one failover from the serve log, in ms from the kill. */
function failoverPhases(s: HaServe, uuid: string, killedAt: number, firstOk: number): Record<string, number> {
  const lines = logLines(s, uuid).filter((x) => x.time >= killedAt - 5);
  const ph: Record<string, number> = {};
  const detected = lines.find((x) => /primary failed/.test(x.msg ?? ''));
  const fo = lines.filter((x) => x.taskType === 'Failover');
  const firstStart = fo.find((x) => x.msg === 'step start');
  if (detected) ph.detect = detected.time - killedAt; // HA monitor round saw the process gone, decided, submitted
  if (detected && firstStart) ph.taskClaimed = firstStart.time - detected.time; // task runner woke and claimed it
  const done = fo.filter((x) => x.msg === 'step done');
  for (const d of done) ph[`step:${d.step}`] = d.ms;
  const gaps = done.slice(1).map((d, k) => d.time - d.ms - done[k]!.time);
  if (gaps.length) ph.betweenSteps = gaps.reduce((a, b) => a + b, 0);
  const moveStart = fo.find((x) => x.msg === 'step start' && x.step === 'move-endpoint');
  if (moveStart) {
    ph.endpointStepStartAt = moveStart.time - killedAt;
    // The map element is swapped early in that step (then old conntrack flows are deleted), so the
    // first write can arrive before the step is logged done.
    ph.endpointStepStartToFirstWrite = firstOk - moveStart.time;
  }
  const moved = done.find((x) => x.step === 'move-endpoint');
  if (moved) {
    ph.endpointMovedAt = moved.time - killedAt;
    ph.endpointMovedToFirstWrite = firstOk - moved.time; // writers' retry (10 ms sleep) + connect + insert
  }
  const finished = fo.find((x) => x.msg === 'task finished');
  if (finished) ph.taskFinishedAt = finished.time - killedAt;
  for (const k of Object.keys(ph)) ph[k] = round(ph[k]!, 1);
  return ph;
}

async function haRun(s: HaServe, uuid: string, ep: Cfg, haNodes: string[]): Promise<HaRun> {
  await waitHealthy(s, uuid, haNodes);
  const nodes = homeNodes(s.home).filter((n) => haNodes.includes(n.id));
  const primary = await writableNode(nodes, 'root', PW);
  if (!primary) throw new Error('no writable HA node');
  const w = new Writers(ep, 'bench.t', WRITERS);
  await sleep(700);
  if (!w.acked.length) throw new Error('writes do not flow before the kill');
  const killedAt = Date.now();
  process.kill(primary.pid, 'SIGKILL');
  let first;
  try {
    first = await w.firstSentAfter(killedAt);
    await sleep(300);
  } finally {
    await w.stop();
  }
  // Semi-sync on the new primary right after the first write: promote() turns the master side off,
  // so the first commit does not wait rpl_semi_sync_master_timeout for an absent standby.
  const [st, en] = await sql(ep, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'", 'SELECT @@rpl_semi_sync_master_enabled AS e');
  const lost = await missingRows(ep, 'bench.t', w.acked);
  const after = await writableNode(homeNodes(s.home).filter((n) => haNodes.includes(n.id)), 'root', PW);
  await waitHealthy(s, uuid, haNodes);
  const healthyAt = Date.now();
  const withheld = logLines(s, uuid).find((x) => x.time >= killedAt - 5 && x.msg === 'automatic failover withheld')?.reason as string | undefined;
  return {
    kind: after && after.id !== primary.id ? 'failover' : 'restart-in-place',
    withheld,
    ms: first.okAt - killedAt,
    firstWriteLatencyMs: first.okAt - first.issuedAt,
    killToHealthyMs: healthyAt - killedAt,
    acked: w.acked.length,
    lost: lost.length,
    semiSyncAfter: (st as any[])[0]?.Value ?? '?',
    semiSyncEnabledAfter: String((en as any[])[0]?.e),
    phases: failoverPhases(s, uuid, killedAt, first.okAt),
    from: primary.id,
    to: after?.id ?? '?',
  };
}

async function basicRun(s: HaServe, uuid: string, cfg: Cfg, nodeId: string): Promise<BasicRun> {
  await waitRunning(s.client, uuid);
  const node = homeNodes(s.home).find((n) => n.id === nodeId)!;
  // The reconciler may still be adopting the previous restart: wait until the node answers directly.
  for (let i = 0; ; i++) {
    try { await sql(cfg, 'SELECT 1'); break; } catch (e) { if (i > 600) throw e; await sleep(50); }
  }
  const w = new Writers(cfg, 'bench.t', WRITERS);
  await sleep(700);
  if (!w.acked.length) throw new Error('writes do not flow before the kill (basic)');
  const killedAt = Date.now();
  process.kill(homeNodes(s.home).find((n) => n.id === nodeId)!.pid, 'SIGKILL');
  let first;
  try {
    first = await w.firstSentAfter(killedAt);
    await sleep(300);
  } finally {
    await w.stop();
  }
  const lost = await missingRows(cfg, 'bench.t', w.acked);
  const lines = logLines(s, nodeId).filter((x) => x.time >= killedAt);
  const ph: Record<string, number> = {};
  const seen = lines[0];
  if (seen) ph.firstLogLine = seen.time - killedAt;
  void node;
  return { ms: first.okAt - killedAt, acked: w.acked.length, lost: lost.length, phases: ph };
}

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const s = await startHaServe({ ha: { maxFailoversPerWindow: 100 } });
  process.stderr.write(`serve ${s.url} home ${s.home} pipe ${s.cidr}\n`);
  const ha: HaRun[] = [];
  const basic: BasicRun[] = [];
  const order: string[] = [];
  let haUuid = '';
  try {
    const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'bench-ha', Password: PW }));
    haUuid = r.data.InstancesUuid[0];
    const inst = await waitRunning(s.client, haUuid);
    const haNodes = homeNodes(s.home).map((n) => n.id);
    if (haNodes.length !== 2) throw new Error(`expected 2 HA nodes, found ${haNodes.length}`);
    const b = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'bench-basic', PaasGoodsId: BASIC_1C2G, Password: PW }));
    const basicUuid = b.data.InstancesUuid[0];
    const binst = await waitRunning(s.client, basicUuid);
    const basicNode = homeNodes(s.home).map((n) => n.id).find((id) => !haNodes.includes(id))!;
    const ep: Cfg = { host: inst.IP, port: inst.Port, user: 'root', password: PW };
    const bcfg: Cfg = { host: binst.IP, port: binst.Port, user: 'root', password: PW };
    for (const c of [ep, bcfg]) await sql(c, 'CREATE DATABASE bench', 'CREATE TABLE bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
    const semiTimeout = await sql(ep, 'SELECT @@rpl_semi_sync_master_timeout AS t');
    process.stderr.write(`HA ${haUuid} endpoint ${inst.IP}:${inst.Port} (rpl_semi_sync_master_timeout ${(semiTimeout[0] as any[])[0].t} ms); basic ${basicUuid} at ${binst.IP}\n`);

    for (let i = 0; i < RUNS; i++) {
      const seq = i % 2 === 0 ? (['ha', 'basic'] as const) : (['basic', 'ha'] as const);
      for (const side of seq) {
        if (side === 'ha') ha.push(await haRun(s, haUuid, ep, haNodes));
        else basic.push(await basicRun(s, basicUuid, bcfg, basicNode));
      }
      order.push(seq.join('→'));
      const h = ha.at(-1)!;
      const bb = basic.at(-1)!;
      process.stderr.write(`run ${i + 1}/${RUNS}: HA ${h.kind}${h.withheld ? ` (${h.withheld})` : ''} ${h.ms} ms (first write's own latency ${h.firstWriteLatencyMs} ms, semi-sync after ${h.semiSyncAfter}/${h.semiSyncEnabledAfter}, ` +
        `lost ${h.lost}/${h.acked}, healthy again after ${fmt(h.killToHealthyMs)}) ${JSON.stringify(h.phases)}; basic restart ${bb.ms} ms (lost ${bb.lost}/${bb.acked})\n`);
    }
    const final = await describe(s.client, haUuid);
    process.stderr.write(`HaFailoverCount ${final.HaFailoverCount}\n`);
  } finally {
    await s.shutdown();
    cleanupAll();
  }

  const haT = ha.map((r) => r.ms);
  const bT = basic.map((r) => r.ms);
  const medIdx = (() => { const sorted = [...haT].sort((a, b) => a - b); const m = sorted[(sorted.length - 1) >> 1]!; return haT.indexOf(m); })();
  const phaseNames = [...new Set(ha.flatMap((o) => Object.keys(o.phases)))];
  const phaseMedians = Object.fromEntries(phaseNames.map((k) => [k, round(median(ha.map((o) => o.phases[k]).filter((x): x is number => x !== undefined)), 1)]));
  const result = {
    benchmark: 'failover', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/failover.ts ${process.argv.slice(2).join(' ')}`.trim(), runs: RUNS, writers: WRITERS, order,
    ha: {
      ms: haT, median: median(haT), max: max(haT), min: min(haT),
      kinds: ha.map((r) => r.kind), withheld: ha.map((r) => r.withheld ?? ''),
      failoversOnly: (() => { const f = ha.filter((r) => r.kind === 'failover').map((r) => r.ms); return f.length ? { n: f.length, median: median(f), max: max(f) } : null; })(),
      firstWriteLatencyMs: ha.map((r) => r.firstWriteLatencyMs), semiSyncAfter: ha.map((r) => `${r.semiSyncAfter}/${r.semiSyncEnabledAfter}`),
      killToHealthyMs: ha.map((r) => r.killToHealthyMs), medianKillToHealthy: median(ha.map((r) => r.killToHealthyMs)),
      acked: ha.map((r) => r.acked), lost: ha.map((r) => r.lost), totalLost: ha.reduce((a, r) => a + r.lost, 0),
      medianRun: { index: medIdx, ...ha[medIdx] }, phaseMedians, phases: ha.map((r) => r.phases),
    },
    basicRestart: { ms: bT, median: median(bT), max: max(bT), min: min(bT), acked: basic.map((r) => r.acked), lost: basic.map((r) => r.lost) },
    ratioHaToBasicRestart: round(median(haT) / median(bT), 3),
    target: 'median <= 3000 ms and no acknowledged row lost',
    met: median(haT) <= 3000 && ha.every((r) => r.lost === 0),
  };
  const out = jsonOutArg();
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (!flag('no-results')) writeHaResults('failover', markdown(result));
}

function markdown(r: any): string {
  const m = r.ha.medianRun;
  const ph = m.phases as Record<string, number>;
  const steps = Object.entries(ph).filter(([k]) => k.startsWith('step:')).map(([k, v]) => `${k.slice(5)} ${v}`).join(', ');
  return `### Failover time (\`npm run bench:failover\`)

${r.startedAt}, revision ${r.revision}, ${r.machine}. One HA instance (1C2G, ha.maxFailoversPerWindow 100, other HA settings default:
check every 250 ms, rpl_semi_sync_master_timeout 10 s), ${r.writers} writer connections inserting through the endpoint; \`kill -9\`
of the primary; time = kill → first acknowledged INSERT that was *sent* after the kill. Baseline, interleaved in the same run
(${r.order[0]}, then alternating): a basic instance of the same serve, same writers, \`kill -9\` of its mariadbd, restarted in place
by the reconciler (interval 1 s).

| | median | max | min | runs (ms) |
| --- | --- | --- | --- | --- |
| **HA failover** | **${r.ha.median} ms** | ${r.ha.max} ms | ${r.ha.min} ms | ${r.ha.ms.join(', ')} |
| basic instance restart in place (baseline) | ${r.basicRestart.median} ms | ${r.basicRestart.max} ms | ${r.basicRestart.min} ms | ${r.basicRestart.ms.join(', ')} |
| HA: kill → healthy again (RUNNING, semi-sync ON, old primary back as standby) | ${r.ha.medianKillToHealthy} ms | ${Math.max(...r.ha.killToHealthyMs)} ms | | |

- Ratio HA failover / basic restart (medians): **${r.ratioHaToBasicRestart}**.
${r.ha.kinds.every((k: string) => k === 'failover') ? `- All ${r.runs} kills were failovers (HaFailoverCount +${r.runs}).` : `- **Not every kill was a failover**: ${r.ha.kinds.map((k: string, i: number) => (k === 'failover' ? null : `run ${i + 1} was a restart in place (HA monitor: "${r.ha.withheld[i]}")`)).filter(Boolean).join('; ')}. Over the ${r.ha.failoversOnly?.n} real failovers only: median ${r.ha.failoversOnly?.median} ms, max ${r.ha.failoversOnly?.max} ms.`}
- Acknowledged rows lost: **${r.ha.totalLost}** of ${r.ha.acked.reduce((a: number, b: number) => a + b, 0)} over ${r.runs} failovers (per run: ${r.ha.lost.join(', ')}); basic restarts: ${r.basicRestart.lost.reduce((a: number, b: number) => a + b, 0)} lost.
- Semi-sync after promotion: the first write sent after the kill took ${Math.min(...r.ha.firstWriteLatencyMs)}–${Math.max(...r.ha.firstWriteLatencyMs)} ms itself (no run near the 10 s
  semi-sync timeout), and the new primary reported \`Rpl_semi_sync_master_status/rpl_semi_sync_master_enabled\` = ${[...new Set(r.ha.semiSyncAfter)].join(', ')} right
  after it: promote() switches the master side off, so the first commit does not wait for the absent standby.
- Breakdown of the median run (run ${m.index + 1}, ${m.ms} ms), ms from the kill unless noted, from the serve log:
  detection (HA monitor round saw the process gone and submitted the Failover task) **${ph.detect}**, task claimed +${ph.taskClaimed},
  steps (ms each) ${steps}, between steps (progress saves) ${ph.betweenSteps}; move-endpoint step started at **${ph.endpointStepStartAt}**
  and the first write was acknowledged ${ph.endpointStepStartToFirstWrite} ms later (the nft map swap comes first in that step; the
  rest of it — \`conntrack -D\` of the old flows and the logging — overlaps the writers' reconnect); step done at ${ph.endpointMovedAt}.
- Phase medians over all runs: ${Object.entries(r.ha.phaseMedians).map(([k, v]) => `${k} ${v}`).join(', ')}.
- Target median ≤ 3 s with no acknowledged row lost: **${r.met ? 'MET' : 'MISSED'}**.
  (For comparison, from the issue: RDS Multi-AZ instances 60–120 s, Multi-AZ clusters < 35 s, GitHub's orchestrator 10–13 s.)
`;
}

// `--render out.json`: only (re)write the RESULTS.md block from a saved --json result.
const rendered = strArg('render');
(rendered ? Promise.resolve(writeHaResults('failover', markdown(JSON.parse(readFileSync(rendered, 'utf8'))))) : main()).then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:failover failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
