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
 * Issue 15 §2 (rejoin without a full copy): the same runs at each data size (`--sizes`, default
 * 100M,2G: a table of 1 KB rows is filled up to that size through the endpoint before its runs),
 * kill → healthy again (RUNNING, semi-sync ON, the old primary repaired as the standby:
 * HaRejoinCount went up) is the figure, and each run's repair says whether it needed a full copy
 * (HaRejoinFullCopyCount); the Failover task itself rejoins the old primary (step rejoin-old-primary)
 * unless it needs a copy, which RepairStandby makes. The old path (config ha.rejoinTruncation false: the old primary starts
 * without truncation, so an errant commit means a full copy) runs beside it in the same run on a
 * second serve (`--old-runs N` per size, 0 to skip), interleaved.
 *
 *   npm run bench:failover -- [--runs 10] [--sizes 100M,2G] [--old-runs 3] [--json out.json] [--no-results]
 *
 * Config: ha.maxFailoversPerWindow 100 (the flap guard would otherwise turn the 4th failover in
 * 10 minutes into a restart in place); everything else is the default (check 250 ms, semi-sync
 * timeout 10 s, reconciler 1 s).
 */
import mysql from 'mysql2/promise';
import { homeNodes, missingRows, pidAlive, writableNode } from '../test/support/ha.js';
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
  /** The repair of the old primary needed a full copy (HaRejoinFullCopyCount went up). */
  fullCopy: boolean;
  /** Why, from the serve log. */
  fullCopyReason?: string;
  /** Crash recovery truncated the old primary's binlog (its error log). */
  truncated: boolean;
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
  // The old primary's repair (RepairStandby): when it was claimed, each step, when it finished.
  const rs = lines.filter((x) => x.taskType === 'RepairStandby');
  const rStart = rs.find((x) => x.msg === 'step start');
  if (rStart) ph.repairClaimedAt = rStart.time - killedAt;
  for (const d of rs.filter((x) => x.msg === 'step done')) ph[`repair:${d.step}`] = d.ms;
  const rDone = rs.find((x) => x.msg === 'task finished');
  if (rDone) ph.repairFinishedAt = rDone.time - killedAt;
  for (const k of Object.keys(ph)) ph[k] = round(ph[k]!, 1);
  return ph;
}

/**
 * Watches, from the kill on, for RUNNING, semi-sync ON, both nodes alive, and the old primary's repair
 * counted (HaRejoinCount above `rejoinsBefore`), and notes when it first held: polled alongside the
 * writers, so the figure does not include the checks that follow the first write.
 */
function watchRejoined(s: HaServe, uuid: string, haNodes: string[], rejoinsBefore: number): { done: Promise<{ d: any; at: number }>; stop: () => void } {
  let stopped = false;
  const done = (async () => {
    const t0 = Date.now();
    for (;;) {
      if (stopped) throw new Error('stopped');
      const d = await describe(s.client, uuid);
      const nodes = homeNodes(s.home).filter((n) => haNodes.includes(n.id));
      if (d?.Status === 'RUNNING' && d.HaSemiSync === 'ON' && d.HaRejoinCount > rejoinsBefore && nodes.length === haNodes.length && nodes.every((n) => pidAlive(n.pid))) return { d, at: Date.now() };
      if (Date.now() - t0 > 300_000) throw new Error(`the old primary was not repaired within 300 s: ${d?.StatusDetail}`);
      await sleep(20);
    }
  })();
  done.catch(() => {});
  return { done, stop: () => { stopped = true; } };
}

const truncations = (s: HaServe, nodeId: string) => {
  try {
    return (readFileSync(`${s.home}/nodes/${nodeId}/error.log`, 'utf8').match(/Successfully truncated binlog file/g) ?? []).length;
  } catch {
    return 0;
  }
};

async function haRun(s: HaServe, uuid: string, ep: Cfg, haNodes: string[]): Promise<HaRun> {
  const before = await waitHealthy(s, uuid, haNodes);
  const nodes = homeNodes(s.home).filter((n) => haNodes.includes(n.id));
  const primary = await writableNode(nodes, 'root', PW);
  if (!primary) throw new Error('no writable HA node');
  const truncatedBefore = truncations(s, primary.id);
  const logFrom = s.logs().length;
  const w = new Writers(ep, 'bench.t', WRITERS);
  await sleep(700);
  if (!w.acked.length) throw new Error('writes do not flow before the kill');
  const killedAt = Date.now();
  process.kill(primary.pid, 'SIGKILL');
  const watch = watchRejoined(s, uuid, haNodes, before.HaRejoinCount);
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
  const kind = after && after.id !== primary.id ? 'failover' : 'restart-in-place';
  if (kind !== 'failover') watch.stop();
  const { d: healthy, at: healthyAt } = kind === 'failover' ? await watch.done : { d: await waitHealthy(s, uuid, haNodes), at: Date.now() };
  const withheld = logLines(s, uuid).find((x) => x.time >= killedAt - 5 && x.msg === 'automatic failover withheld')?.reason as string | undefined;
  const reason = /"reason":"([^"]*)"[^\n]*"msg":"standby cannot rejoin without a copy/.exec(s.logs().slice(logFrom))?.[1];
  return {
    kind,
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
    fullCopy: healthy.HaRejoinFullCopyCount > before.HaRejoinFullCopyCount,
    fullCopyReason: reason,
    truncated: truncations(s, primary.id) > truncatedBefore,
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

const SIZES = (strArg('sizes') ?? '100M,2G').split(',').map((x) => {
  const m = /^(\d+)([MG])$/i.exec(x.trim());
  if (!m) throw new Error(`bad size ${x} (e.g. 100M, 2G)`);
  return { label: `${m[1]}${m[2]!.toUpperCase()}B`, bytes: Number(m[1]) * (m[2]!.toUpperCase() === 'G' ? 1024 ** 3 : 1024 ** 2) };
}).sort((a, b) => a.bytes - b.bytes);
const OLD_RUNS = numArg('old-runs', 3);
const ROW_BYTES = 1000;
const mib = (b: number) => Math.round(b / 1024 ** 2);

/** Fills bench.fill with 1 KB rows until the table holds `bytes` (rows × ROW_BYTES); returns InnoDB's size of the schema. */
async function fillTo(ep: Cfg, bytes: number): Promise<{ rows: number; innodbBytes: number; ms: number }> {
  const t0 = Date.now();
  await sql(ep, `CREATE TABLE IF NOT EXISTS bench.fill (id BIGINT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(${ROW_BYTES}))`);
  const want = Math.ceil(bytes / ROW_BYTES);
  for (;;) {
    const [[{ n }]] = await sql(ep, 'SELECT COUNT(*) AS n FROM bench.fill') as any;
    if (Number(n) >= want) break;
    const chunk = Math.min(50_000, want - Number(n));
    await sql(ep, `INSERT INTO bench.fill (pad) SELECT RPAD(seq, ${ROW_BYTES}, 'x') FROM bench.seq_1_to_${chunk}`);
  }
  const [, [{ b }], [{ n }]] = await sql(ep, 'ANALYZE TABLE bench.fill', "SELECT SUM(data_length + index_length) AS b FROM information_schema.tables WHERE table_schema = 'bench'", 'SELECT COUNT(*) AS n FROM bench.fill') as any;
  return { rows: Number(n), innodbBytes: Number(b), ms: Date.now() - t0 };
}

interface Side { s: HaServe; uuid: string; ep: Cfg; haNodes: string[] }

async function haSide(config: Record<string, unknown>, name: string): Promise<Side> {
  const s = await startHaServe(config);
  process.stderr.write(`${name}: serve ${s.url} home ${s.home} pipe ${s.cidr}\n`);
  const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: name, Password: PW }));
  const uuid = r.data.InstancesUuid[0];
  const inst = await waitRunning(s.client, uuid);
  const haNodes = homeNodes(s.home).map((n) => n.id);
  if (haNodes.length !== 2) throw new Error(`expected 2 HA nodes, found ${haNodes.length}`);
  const ep: Cfg = { host: inst.IP, port: inst.Port, user: 'root', password: PW };
  await sql(ep, 'CREATE DATABASE bench', 'CREATE TABLE bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
  return { s, uuid, ep, haNodes };
}

function summary(runs: HaRun[]) {
  const h = runs.map((r) => r.killToHealthyMs);
  const f = runs.map((r) => r.ms);
  return {
    n: runs.length,
    failoverMs: f, failoverMedian: median(f),
    killToHealthyMs: h, killToHealthyMedian: median(h), killToHealthyMax: h.length ? max(h) : 0,
    fullCopies: runs.filter((r) => r.fullCopy).length, truncated: runs.filter((r) => r.truncated).length,
    kinds: runs.map((r) => r.kind), withheld: runs.map((r) => r.withheld ?? ''), fullCopyReasons: runs.map((r) => r.fullCopyReason ?? ''),
    lost: runs.reduce((a, r) => a + r.lost, 0), acked: runs.reduce((a, r) => a + r.acked, 0),
    phaseMedians: Object.fromEntries([...new Set(runs.flatMap((o) => Object.keys(o.phases)))].map((k) => [k, round(median(runs.map((o) => o.phases[k]).filter((x): x is number => x !== undefined)), 1)])),
  };
}

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const sides: Side[] = [];
  const bySize: any[] = [];
  try {
    const a = await haSide({ ha: { maxFailoversPerWindow: 1000 } }, 'bench-ha');
    sides.push(a);
    const b = await a.s.client.ok('CreateDBInstance', createParams({ InstanceName: 'bench-basic', PaasGoodsId: BASIC_1C2G, Password: PW }));
    const basicUuid = b.data.InstancesUuid[0];
    const binst = await waitRunning(a.s.client, basicUuid);
    const basicNode = homeNodes(a.s.home).map((n) => n.id).find((id) => !a.haNodes.includes(id))!;
    const bcfg: Cfg = { host: binst.IP, port: binst.Port, user: 'root', password: PW };
    await sql(bcfg, 'CREATE DATABASE bench', 'CREATE TABLE bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
    const old = OLD_RUNS > 0 ? await haSide({ ha: { maxFailoversPerWindow: 1000, rejoinTruncation: false } }, 'bench-ha-old') : undefined;
    if (old) sides.push(old);

    for (const size of SIZES) {
      const [fillA, fillB] = await Promise.all([fillTo(a.ep, size.bytes), old ? fillTo(old.ep, size.bytes) : undefined]);
      process.stderr.write(`${size.label}: filled ${fillA.rows} rows, InnoDB ${mib(fillA.innodbBytes)} MiB in ${fmt(fillA.ms)}${fillB ? `; old side ${mib(fillB.innodbBytes)} MiB in ${fmt(fillB.ms)}` : ''}\n`);
      const ha: HaRun[] = [];
      const oldRuns: HaRun[] = [];
      const basic: BasicRun[] = [];
      for (let i = 0; i < RUNS; i++) {
        const seq: string[] = i % 2 === 0 ? ['ha', 'basic', 'old'] : ['old', 'basic', 'ha'];
        for (const side of seq) {
          if (side === 'ha') ha.push(await haRun(a.s, a.uuid, a.ep, a.haNodes));
          else if (side === 'basic') basic.push(await basicRun(a.s, basicUuid, bcfg, basicNode));
          else if (old && i < OLD_RUNS) oldRuns.push(await haRun(old.s, old.uuid, old.ep, old.haNodes));
        }
        const h = ha.at(-1)!;
        const o = old && i < OLD_RUNS ? oldRuns.at(-1) : undefined;
        process.stderr.write(`${size.label} run ${i + 1}/${RUNS}: HA ${h.kind}${h.withheld ? ` (${h.withheld})` : ''} first write ${h.ms} ms, healthy again ${fmt(h.killToHealthyMs)}`
          + ` (${h.fullCopy ? `FULL COPY: ${h.fullCopyReason}` : 'no copy'}${h.truncated ? ', tail truncated' : ''}), lost ${h.lost}/${h.acked}`
          + `${o ? `; old path healthy again ${fmt(o.killToHealthyMs)} (${o.fullCopy ? 'full copy' : 'no copy'})` : ''}; basic restart ${basic.at(-1)!.ms} ms\n`);
      }
      const bT = basic.map((r) => r.ms);
      bySize.push({
        size: size.label, bytes: size.bytes, fill: fillA, fillOld: fillB,
        new: summary(ha), old: old ? summary(oldRuns) : undefined,
        basicRestart: { ms: bT, median: median(bT) },
        medianRun: (() => { const hs = ha.map((r) => r.killToHealthyMs); const m = [...hs].sort((x, y) => x - y)[(hs.length - 1) >> 1]!; return ha[hs.indexOf(m)]; })(),
      });
    }
    const final = await describe(a.s.client, a.uuid);
    process.stderr.write(`HaFailoverCount ${final.HaFailoverCount}, HaRejoinCount ${final.HaRejoinCount}, HaRejoinFullCopyCount ${final.HaRejoinFullCopyCount}\n`);
  } finally {
    for (const x of sides) await x.s.shutdown();
    cleanupAll();
  }
  const small = bySize[0];
  const large = bySize.at(-1);
  const all = bySize.flatMap((b) => b.new.kinds.map(() => 0)).length;
  const copies = bySize.reduce((acc, b) => acc + b.new.fullCopies, 0);
  const result = {
    benchmark: 'failover-rejoin', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/failover.ts ${process.argv.slice(2).join(' ')}`.trim(), runs: RUNS, oldRuns: OLD_RUNS, writers: WRITERS,
    baseline: { killToHealthyMedianMs: 4131.5, from: 'bench/RESULTS.md "Failover time", 2026-11-28, revision 0a734a5 (6 of 10 old primaries rebuilt from a full copy)' },
    sizes: bySize,
    fullCopyShare: { copies, runs: all, share: all ? round(copies / all, 3) : 0 },
    flatness: bySize.length > 1 ? round(large.new.killToHealthyMedian / small.new.killToHealthyMedian, 3) : null,
    target: 'kill → healthy median ≤ 2000 ms at every size; largest-size median ≤ 1.2× the smallest-size median',
    met: bySize.every((b) => b.new.killToHealthyMedian <= 2000) && (bySize.length < 2 || large.new.killToHealthyMedian <= 1.2 * small.new.killToHealthyMedian),
  };
  const out = jsonOutArg();
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (!flag('no-results')) writeHaResults('failover-rejoin', markdown(result));
}

function markdown(r: any): string {
  const rows = r.sizes.map((b: any) => {
    const o = b.old;
    return `| ${b.size} (InnoDB ${mib(b.fill.innodbBytes)} MiB) | **${b.new.killToHealthyMedian} ms** | ${b.new.killToHealthyMax} ms | ${b.new.fullCopies}/${b.new.n} (${b.new.truncated} truncated) | ${b.new.failoverMedian} ms | `
      + `${o ? `${o.killToHealthyMedian} ms (${o.n} runs, ${o.fullCopies} full copies)` : '–'} | ${b.basicRestart.median} ms |`;
  }).join('\n');
  const runs = r.sizes.map((b: any) => `  - ${b.size}: ${b.new.killToHealthyMs.join(', ')} ms${b.old ? `; old path ${b.old.killToHealthyMs.join(', ')} ms` : ''}`).join('\n');
  const reasons = [...new Set(r.sizes.flatMap((b: any) => [...b.new.fullCopyReasons]).filter(Boolean))];
  const m = r.sizes[0].medianRun;
  const ph = m ? Object.entries(m.phases).map(([k, v]) => `${k} ${v}`).join(', ') : '';
  return `### Rejoin after failover without a full copy (\`npm run bench:failover\`, issue 15 §2)

${r.startedAt}, revision ${r.revision}, ${r.machine}. One HA instance (1C2G, defaults but ha.maxFailoversPerWindow 1000), ${r.writers} writers inserting
through the endpoint, \`kill -9\` of the primary, ${r.runs} runs per data size (a table of 1 KB rows filled through the endpoint first).
**kill → healthy again** = until DescribeDBInstances (polled every 20 ms from the kill on) shows RUNNING, HaSemiSync ON, both nodes alive and the old primary's repair
counted (HaRejoinCount +1): it is back as the standby, replicating. In the same run, interleaved, a second serve with
\`ha.rejoinTruncation: false\` (the old path: no truncation, an errant commit means a full copy), ${r.oldRuns} runs per size, and the
basic-instance restart of the failover figure. Baseline from before this change: **${r.baseline.killToHealthyMedianMs} ms** median (${r.baseline.from}).

| data | kill → healthy again (median) | max | full copies (runs) | kill → first write (median) | old path, same run: kill → healthy (median) | basic restart in place |
| --- | --- | --- | --- | --- | --- | --- |
${rows}

- Share of rejoins that still needed a full copy: **${r.fullCopyShare.copies} of ${r.fullCopyShare.runs}**${reasons.length ? ` (reasons: ${reasons.join(' | ')})` : ''}.
- Flat in data size: largest / smallest median = **${r.flatness ?? 'n/a'}** (target ≤ 1.2).
- Against the baseline (${r.baseline.killToHealthyMedianMs} ms): ${r.sizes.map((b: any) => `${b.size} ${round(b.new.killToHealthyMedian / r.baseline.killToHealthyMedianMs, 3)}×`).join(', ')}.
- Per run (kill → healthy again):
${runs}
- Phases of the median run at ${r.sizes[0].size} (ms from the kill unless noted): ${ph}.
- Acknowledged rows lost: ${r.sizes.map((b: any) => `${b.size} ${b.new.lost} of ${b.new.acked}`).join(', ')}.
- Target median ≤ 2 s and largest ≤ 1.2× smallest: **${r.met ? 'MET' : 'MISSED'}**.
`;
}

// `--render out.json`: only (re)write the RESULTS.md block from a saved --json result.
const rendered = strArg('render');
(rendered ? Promise.resolve(writeHaResults('failover-rejoin', markdown(JSON.parse(readFileSync(rendered, 'utf8'))))) : main()).then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:failover failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
