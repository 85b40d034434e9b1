/**
 * HA provisioning benchmark (issue 3): CreateDBInstance of an HA instance (1C2G, PaasGoodsId
 * 17060: primary + semi-sync standby + endpoint) → DescribeDBInstances shows RUNNING, median and
 * max over 10; beside the basic (single-node, 27060) create-to-RUNNING in the same run,
 * interleaved (basic, HA, HA, basic, …) on the same serve. Each instance is deleted (and waited
 * for until it is gone) before the next create. Also: how long after RUNNING the HA pair reports
 * semi-sync ON (DescribeDBInstances.HaSemiSync). Also in the same run (issue 15), the raw baseline
 * of an HA pair: two mariadb-install-db + mariadbd started side by side until both answer
 * (bench/raw-baseline.ts). Target: HA median ≤ 0.6× the raw pair's median (templates).
 *
 *   npm run bench:ha-provision -- [--runs 10] [--json out.json] [--no-results] [--root OTHER_CHECKOUT] [--logs DIR]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  strArg, BASIC_1C2G, createParams, deleteAndWait, describe, flag, fmt, HA_1C2G, jsonOutArg, logLines, numArg, PW, sleep, startHaServe, writeHaResults, type HaServe,
} from './ha-support.js';
import { cleanupAll, machine, max, median, min, round, sourceRevision } from './support.js';
import { rawIps, rawPairOnce, type RawResult } from './raw-baseline.js';

const RUNS = numArg('runs', 10);
const POLL_MS = 20;

interface One { totalMs: number; semiSyncOnMs?: number; phases: Record<string, number> }

async function createOnce(s: HaServe, goodsId: number): Promise<One> {
  const t0 = Date.now();
  const p0 = performance.now();
  const { data } = await s.client.ok('CreateDBInstance', createParams({ InstanceName: 'bench-prov', PaasGoodsId: goodsId, Password: PW }));
  const uuid = data.InstancesUuid[0] as string;
  let d: any;
  for (;;) {
    d = await describe(s.client, uuid);
    if (d?.Status === 'RUNNING') break;
    if (d?.Status === 'ERROR') throw new Error(`instance ${uuid} went to ERROR: ${d.StatusDetail}`);
    if (performance.now() - p0 > 300_000) throw new Error(`instance ${uuid} not RUNNING after 300 s`);
    await sleep(POLL_MS);
  }
  const totalMs = performance.now() - p0;
  let semiSyncOnMs: number | undefined;
  if (goodsId === HA_1C2G) {
    while (d.HaSemiSync !== 'ON' && performance.now() - p0 < totalMs + 30_000) {
      await sleep(POLL_MS);
      d = await describe(s.client, uuid);
    }
    if (d.HaSemiSync === 'ON') semiSyncOnMs = performance.now() - p0;
  }
  const lines = logLines(s, uuid).filter((x) => x.taskType === undefined || x.taskType === 'CreateDBInstance');
  const ph: Record<string, number> = {};
  const created = lines.find((x) => x.msg === 'instances created');
  const first = lines.find((x) => x.msg === 'step start');
  if (created) ph.api = created.time - t0;
  if (created && first) ph.claim = first.time - created.time;
  const done = lines.filter((x) => x.msg === 'step done');
  for (const x of done) ph[`step:${x.step}`] = x.ms;
  const gaps = done.slice(1).map((x, k) => x.time - x.ms - done[k]!.time);
  if (gaps.length) ph.betweenSteps = gaps.reduce((a, b) => a + b, 0);
  const last = done.at(-1);
  if (last) ph.observed = t0 + totalMs - last.time;
  for (const k of Object.keys(ph)) ph[k] = round(ph[k]!, 1);
  await deleteAndWait(s.client, uuid);
  return { totalMs, semiSyncOnMs, phases: ph };
}

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const s = await startHaServe();
  process.stderr.write(`serve ${s.url} home ${s.home} pipe ${s.cidr}\n`);
  // --compare DIR: a second serve running another checkout's sources; its HA creates interleave with the others.
  const compareRoot = strArg('compare');
  const s2 = compareRoot ? await startHaServe({}, compareRoot) : undefined;
  if (s2) process.stderr.write(`compare serve (${compareRoot}) ${s2.url} home ${s2.home} pipe ${s2.cidr}\n`);
  const ips = (await rawIps(2, [s.cidr, ...(s2 ? [s2.cidr] : [])])) as [string, string];
  process.stderr.write(`raw pair baseline on ${ips.join(' and ')}:3306\n`);
  const raw2: RawResult[] = [];
  const haB: One[] = [];
  const ha: One[] = [];
  const basic: One[] = [];
  const order: string[] = [];
  const warm: string[] = [];
  try {
    const a = await createOnce(s, BASIC_1C2G);
    const b = await createOnce(s, HA_1C2G);
    const w = await rawPairOnce(ips);
    warm.push(`basic ${round(a.totalMs)} ms (builds the datadir template), HA ${round(b.totalMs)} ms, raw pair ${round(w.totalMs)} ms`);
    process.stderr.write(`warm-up: ${warm[0]}\n`);
    if (s2) await createOnce(s2, HA_1C2G);
    for (let i = 0; i < RUNS; i++) {
      const seq: Array<'basic' | 'ha' | 'haB'> = s2
        ? ([['basic', 'ha', 'haB'], ['ha', 'haB', 'basic'], ['haB', 'basic', 'ha'], ['basic', 'haB', 'ha'], ['haB', 'ha', 'basic'], ['ha', 'basic', 'haB']] as const)[i % 6]!.slice()
        : i % 2 === 0 ? ['basic', 'ha'] : ['ha', 'basic'];
      (seq as string[]).splice(i % 3, 0, 'raw2'); // the raw pair first, in the middle or last in turn
      for (const side of seq as string[]) {
        if (side === 'raw2') raw2.push(await rawPairOnce(ips));
        else if (side === 'ha') ha.push(await createOnce(s, HA_1C2G));
        else if (side === 'haB') haB.push(await createOnce(s2!, HA_1C2G));
        else basic.push(await createOnce(s, BASIC_1C2G));
      }
      if (s2) process.stderr.write(`  compare HA ${fmt(haB.at(-1)!.totalMs)} ${JSON.stringify(haB.at(-1)!.phases)}\n`);
      order.push(seq.join('→'));
      const h = ha.at(-1)!;
      process.stderr.write(`run ${i + 1}/${RUNS}: raw pair ${fmt(raw2.at(-1)!.totalMs)} (install ${fmt(raw2.at(-1)!.installMs)}), basic ${fmt(basic.at(-1)!.totalMs)}, HA ${fmt(h.totalMs)} (semi-sync ON at ${h.semiSyncOnMs === undefined ? '?' : fmt(h.semiSyncOnMs)}) ${JSON.stringify(h.phases)}\n`);
    }
  } finally {
    await s.shutdown();
    await s2?.shutdown();
    cleanupAll();
  }
  const haT = ha.map((r) => r.totalMs);
  const bT = basic.map((r) => r.totalMs);
  const names = [...new Set(ha.flatMap((o) => Object.keys(o.phases)))];
  const bnames = [...new Set(basic.flatMap((o) => Object.keys(o.phases)))];
  const med = (xs: One[], k: string) => round(median(xs.map((o) => o.phases[k]).filter((x): x is number => x !== undefined)), 1);
  const semi = ha.map((r) => r.semiSyncOnMs).filter((x): x is number => x !== undefined);
  const result = {
    benchmark: 'ha-provision', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/ha-provision.ts ${process.argv.slice(2).join(' ')}`.trim(), runs: RUNS, warmup: warm, order,
    ha: {
      totalMs: haT.map((x) => round(x)), median: round(median(haT)), max: round(max(haT)), min: round(min(haT)),
      semiSyncOnMs: semi.map((x) => round(x)), medianSemiSyncOn: semi.length ? round(median(semi)) : null,
      phaseMedians: Object.fromEntries(names.map((k) => [k, med(ha, k)])), phases: ha.map((r) => r.phases),
    },
    basic: {
      totalMs: bT.map((x) => round(x)), median: round(median(bT)), max: round(max(bT)), min: round(min(bT)),
      phaseMedians: Object.fromEntries(bnames.map((k) => [k, med(basic, k)])),
    },
    ...(s2 ? {
      compare: {
        root: compareRoot, totalMs: haB.map((r) => round(r.totalMs)), median: round(median(haB.map((r) => r.totalMs))), max: round(max(haB.map((r) => r.totalMs))),
        phaseMedians: Object.fromEntries([...new Set(haB.flatMap((o) => Object.keys(o.phases)))].map((k) => [k, med(haB, k)])),
        ratioToHa: round(median(haB.map((r) => r.totalMs)) / median(haT), 3), ratioToBasic: round(median(haB.map((r) => r.totalMs)) / median(bT), 3),
      },
    } : {}),
    ratioOfMedians: round(median(haT) / median(bT), 3),
    pairedRatios: haT.map((x, i) => round(x / bT[i]!, 3)),
    rawPair: {
      totalMs: raw2.map((r) => round(r.totalMs)), installMs: raw2.map((r) => round(r.installMs)),
      median: round(median(raw2.map((r) => r.totalMs))), max: round(max(raw2.map((r) => r.totalMs))), min: round(min(raw2.map((r) => r.totalMs))),
      medianInstall: round(median(raw2.map((r) => r.installMs))),
    },
    haToRawPair: round(median(haT) / median(raw2.map((r) => r.totalMs)), 3),
    basicToRawPair: round(median(bT) / median(raw2.map((r) => r.totalMs)), 3),
    target: 'HA median <= 0.6 x raw pair median',
    met: median(haT) / median(raw2.map((r) => r.totalMs)) <= 0.6,
  };
  const out = jsonOutArg();
  if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\nHA median ${result.ha.median} ms, raw pair median ${result.rawPair.median} ms: ratio ${result.haToRawPair} → target ${result.met ? 'MET' : 'MISSED'}\n`);
  if (!flag('no-results')) writeHaResults('ha-provision', markdown(result));
}

function markdown(r: any): string {
  return `### HA provisioning (\`npm run bench:ha-provision\`)

${r.startedAt}, revision ${r.revision}, ${r.machine}. CreateDBInstance (POST, with a Password) → DescribeDBInstances
shows RUNNING (polled every 20 ms); HA 1C2G (17060: primary + semi-sync standby + nftables endpoint) beside basic 1C2G (27060)
on the same serve, interleaved (${r.order.slice(0, 2).join(', ')}, …), after one warm-up ${r.compare ? 'round' : 'pair'}; each instance deleted before the next.

| | median | max | min | runs |
| --- | --- | --- | --- | --- |
| **HA create → RUNNING** | **${fmt(r.ha.median)}** | ${fmt(r.ha.max)} | ${fmt(r.ha.min)} | ${r.ha.totalMs.map(fmt).join(', ')} |
| basic create → RUNNING (reference) | ${fmt(r.basic.median)} | ${fmt(r.basic.max)} | ${fmt(r.basic.min)} | ${r.basic.totalMs.map(fmt).join(', ')} |

- Ratio HA / basic (medians): **${r.ratioOfMedians}×** (paired per run: median ${round(median(r.pairedRatios), 3)}).
- HA reports HaSemiSync ON ${r.ha.medianSemiSyncOn === null ? '(never seen)' : `${fmt(r.ha.medianSemiSyncOn)} after the POST (median)`}.
${r.compare ? `- Same run, a second serve on \`${r.compare.root}\` (another checkout, see the note below), its HA creates interleaved with the others:
  **${fmt(r.compare.median)}** median (max ${fmt(r.compare.max)}; runs ${r.compare.totalMs.map(fmt).join(', ')}); ratio to this tree's HA ${r.compare.ratioToHa}×, to basic ${r.compare.ratioToBasic}×;
  its phase medians: ${Object.entries(r.compare.phaseMedians).map(([k, v]) => `${k} ${v}`).join(', ')}.
` : ''}- HA phase medians (ms): ${Object.entries(r.ha.phaseMedians).map(([k, v]) => `${k} ${v}`).join(', ')}.
- Basic phase medians (ms): ${Object.entries(r.basic.phaseMedians).map(([k, v]) => `${k} ${v}`).join(', ')}.
`;
}

// `--render out.json`: only (re)write the RESULTS.md block from a saved --json result.
const rendered = strArg('render');
(rendered ? Promise.resolve(writeHaResults('ha-provision', markdown(JSON.parse(readFileSync(rendered, 'utf8'))))) : main()).then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:ha-provision failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
