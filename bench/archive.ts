/**
 * The binlog archive under write load (issue 13, docs/recovery.md "The binlog archive"):
 *
 *   npm run bench:archive-lag -- [--duration 300] [--tables 4] [--table-size 20000] [--stream files|replication] [--no-results]
 *     Archive lag: sysbench oltp_write_only, 4 threads, for --duration s; beside it a probe row is
 *     committed every 100 ms on its own connection (its GTID read back), and a watcher fsyncs the
 *     archive's spool files every 10 ms and walks them: lag = the moment the fsync covering the
 *     probe's commit event returned − the moment the client got the probe's OK. p50, p99, max.
 *     Target p99 ≤ 1 s. `--ha`: an HA instance, and a second client streams from its standby
 *     (the source-choice measurement: the same probes, seen in each stream).
 *
 *   npm run bench:archive-overhead -- [--rounds 3] [--round 30] [--tables 4] [--table-size 20000] [--modes off,files,replication] [--interval-ms N] [--profile DIR] [--no-results]
 *     Write QPS of sysbench oltp_write_only (4 threads) with the archive off and on in each
 *     `archive.stream` mode, interleaved (each set of rounds runs every mode once, the order rotated
 *     from set to set) in one run: serve is restarted on the same home between rounds with
 *     `archive.enabled` / `archive.stream` changed (off also ends a detached client); an "on" round
 *     starts once the archive has caught up with what the earlier rounds wrote. Target: on ≥ 0.95 × off.
 *     Each round also reports the CPU (% of one core) of mariadbd, serve and the stream client.
 *     `--interval-ms`: archive.intervalMs for the "on" rounds (default: the shipped default).
 *     `--profile DIR`: the first serve (it runs round 1, archive on) under node --cpu-prof.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuMs } from './api-support.js';
import { sysbenchRun } from './ha-support.js';
import { flag, numArg } from './ha-support.js';
import { cleanupAll, machine, median, round, sleep, sourceRevision } from './support.js';
import { archiveFixture, type ArchiveFixture, percentile, Probe, restartServe, SpoolWatcher, streamFromStandby, waitRightBorder, writeArchiveResults } from './archive-support.js';

const mode = process.argv[2];
const tables = numArg('tables', 4);
const tableSize = numArg('table-size', 20_000);
const THREADS = 4;

async function lag(): Promise<void> {
  const duration = numArg('duration', 300);
  const ha = flag('ha');
  const stream = process.argv.includes('--stream') ? process.argv[process.argv.indexOf('--stream') + 1]! : 'files';
  const load = machine();
  const f = await archiveFixture({ tables, tableSize, ha, archive: { stream } });
  const watcher = new SpoolWatcher(f.spool);
  watcher.start();
  const standbyWatcher = ha ? new SpoolWatcher(streamFromStandby(f)) : undefined;
  standbyWatcher?.start();
  const probe = new Probe(f.sb);
  await probe.start();
  await sleep(2000);
  process.stderr.write(`sysbench oltp_write_only, ${THREADS} threads, ${duration} s…\n`);
  const sb = await sysbenchRun(f.sb, 'oltp_write_only', { threads: THREADS, time: duration, tables, tableSize });
  await probe.stop();
  await sleep(3000); // the last probes reach the spool
  watcher.stop();
  standbyWatcher?.stop();
  const lagsOf = (w: SpoolWatcher) => {
    const lags: number[] = [];
    let missing = 0;
    for (const p of probe.acked) {
      const seen = w.seen.get(p.gtid);
      if (seen === undefined) missing++;
      else lags.push(seen - p.at);
    }
    return { lags, missing };
  };
  const { lags, missing } = lagsOf(watcher);
  const p50 = percentile(lags, 50);
  const p99 = percentile(lags, 99);
  const mx = Math.max(...lags);
  const sb2 = standbyWatcher && lagsOf(standbyWatcher);
  const standbyRows = sb2 ? `| from the standby (same probes, a second client on the HA standby) | p50 ${round(percentile(sb2.lags, 50), 1)} ms, p99 ${round(percentile(sb2.lags, 99), 1)} ms, max ${round(Math.max(...sb2.lags), 1)} ms (${sb2.missing} never seen) | the primary's figures above |\n` : '';
  const md = `### Archive lag${ha ? ', HA: primary vs standby as the source' : ''} (${new Date().toISOString().slice(0, 10)})

\`npm run bench:archive-lag -- --duration ${duration} --tables ${tables} --table-size ${tableSize}${ha ? ' --ha' : ''} --stream ${stream}\`; source ${sourceRevision()}; ${load}.
sysbench \`oltp_write_only\`, ${THREADS} threads, ${duration} s against one ${ha ? 'HA (semi-sync)' : 'basic'} instance (archive on, \`stream\` ${stream}, \`intervalMs\` 200): ${round(sb.qps)} QPS, ${round(sb.tps)} TPS, p95 ${sb.p95} ms.
A probe row committed every 100 ms on its own connection (${probe.acked.length} probes; ${missing} never seen in the spool); lag = the spool's fsync that covered the probe's commit event returned − the client got the OK.

| figure | measured | target / anchor |
| --- | --- | --- |
| lag p50 | ${round(p50, 1)} ms | — |
| lag p99 | ${round(p99, 1)} ms | ≤ 1000 ms (RDS ships every 5 min; Percona's collector 60 s) |
| lag max | ${round(mx, 1)} ms | — |
${standbyRows}
The lag is to the bytes being durable in the spool (what "archived" means, docs/recovery.md). With \`archive.stream\`
"files" (the default) serve copies the binlog into the spool at its rounds, every \`archive.intervalMs\` (200 ms), so the
lag holds up to one interval; with "replication" the client writes each event as it arrives, and the archiver records the
position at its next round, ≤ 200 ms later. A negative lag means the event
was durable before the client had its OK (the primary sends events before it answers).${ha ? '' : ' Source choice: `--ha` (below).'}
`;
  process.stdout.write(md);
  if (!flag('no-results')) writeArchiveResults(ha ? 'lag-ha' : 'lag', md);
  if (missing > probe.acked.length * 0.01) throw new Error(`${missing} probes never reached the spool`);
}

/** Pids of processes whose argv contains `needle`. */
function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d)); } catch { /* gone */ }
  }
  return out;
}

/** CPU ms so far of mariadbd (the fixture's node), serve and the archive's stream client. */
function cpuOf(f: ArchiveFixture): Record<'mariadbd' | 'serve' | 'stream', number> {
  const sum = (pids: number[]) => pids.reduce((x, p) => { try { return x + cpuMs(p); } catch { return x; } }, 0);
  return { mariadbd: sum(pidsWith(`--defaults-file=${f.serve.home}`)), serve: sum([f.serve.proc.pid!]), stream: sum(pidsWith(`--result-file=${f.spool}/r`)) };
}

type Mode = 'off' | 'files' | 'replication';

async function overhead(): Promise<void> {
  const rounds = numArg('rounds', 3);
  const secs = numArg('round', 30);
  const intervalMs = numArg('interval-ms', 0);
  const modes = (process.argv.includes('--modes') ? process.argv[process.argv.indexOf('--modes') + 1]! : 'off,files,replication').split(',') as Mode[];
  if (!modes.includes('off') || modes.some((m) => !['off', 'files', 'replication'].includes(m))) throw new Error('--modes: off and any of files, replication');
  const load = machine();
  const profileDir = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;
  const first = modes.find((m) => m !== 'off')!;
  const f = await archiveFixture({ tables, tableSize, archive: { ...(intervalMs ? { intervalMs } : {}), stream: first }, profileDir });
  const cpu = new Map<Mode, Array<Record<string, number>>>(modes.map((m) => [m, []]));
  const qps = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  // Each set of rounds runs every mode once, the order rotated from set to set.
  const order: Mode[] = [];
  const start = [first, ...modes.filter((m) => m !== first)];
  for (let i = 0; i < rounds; i++) order.push(...start.map((_, k) => start[(k + i) % start.length]!));
  let current: Mode = first;
  for (const [i, m] of order.entries()) {
    if (m !== current) {
      await restartServe(f, m === 'off' ? { enabled: false } : { enabled: true, stream: m });
      current = m;
    }
    if (m !== 'off') await waitRightBorder(f, Date.now()); // what the last rounds wrote is archived first
    await sleep(3000);
    const c0 = cpuOf(f);
    const t0 = Date.now();
    const r = await sysbenchRun(f.sb, 'oltp_write_only', { threads: THREADS, time: secs, tables, tableSize });
    const c1 = cpuOf(f);
    const pct = Object.fromEntries(Object.entries(c1).map(([k, v]) => [k, (100 * (v - c0[k as keyof typeof c0])) / (Date.now() - t0)]));
    cpu.get(m)!.push(pct);
    qps.get(m)!.push(r.qps);
    process.stderr.write(`round ${i + 1}: archive ${m} ${round(r.qps)} QPS; CPU % of a core: ${Object.entries(pct).map(([k, v]) => `${k} ${round(v, 1)}`).join(', ')}\n`);
  }
  const off = median(qps.get('off')!);
  const cpuCell = (m: Mode, p: string) => round(median(cpu.get(m)!.map((x) => x[p]!)), 1);
  const label: Record<Mode, string> = { off: 'off (baseline)', files: '`files` (copies the binlog files; the default)', replication: '`replication` (mariadb-binlog client)' };
  const rows = modes.map((m) => `| ${label[m]}${m !== 'off' && intervalMs ? ` (intervalMs ${intervalMs})` : ''} | ${qps.get(m)!.map((x) => round(x)).join(', ')} | ${round(median(qps.get(m)!))} | ${m === 'off' ? '' : `**${round(median(qps.get(m)!) / off, 3)}**`} | ${cpuCell(m, 'mariadbd')} / ${cpuCell(m, 'serve')} / ${cpuCell(m, 'stream')} |`);
  const md = `### Archiver overhead (${new Date().toISOString().slice(0, 10)})

\`npm run bench:archive-overhead -- --rounds ${rounds} --round ${secs} --tables ${tables} --table-size ${tableSize} --modes ${modes.join(',')}${intervalMs ? ` --interval-ms ${intervalMs}` : ''}\`; source ${sourceRevision()}; ${load}.
sysbench \`oltp_write_only\`, ${THREADS} threads, ${secs} s per round, ${order.length} rounds interleaved (${order.join(', ')}); serve restarted
on the same home between rounds with \`archive.enabled\` / \`archive.stream\` changed (off also ends a detached client).

| archive | QPS per round | median | ÷ off (target ≥ 0.95) | CPU % of a core, medians: mariadbd / serve / stream client |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
  process.stdout.write(md);
  if (!flag('no-results')) writeArchiveResults('overhead', md);
}

try {
  if (mode === 'lag') await lag();
  else if (mode === 'overhead') await overhead();
  else throw new Error('usage: bench/archive.ts lag|overhead [options]');
} finally {
  cleanupAll();
}
