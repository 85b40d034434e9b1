/**
 * Backup throughput (issue 5): a physical backup of ~1 GB of sysbench data through openrds
 * (CreateBackup → DescribeBackups says finished: mariadb-backup | zstd into the staging file,
 * fsync, sha256, rename, records) against the raw pipeline of the notes
 * (`mariadb-backup --backup --stream=xbstream | zstd -1 -T2 > file`) on the same node,
 * interleaved in the same run. Target: openrds ≥ 0.9× the raw MB/s (of source data).
 *
 *   npm run bench:backup -- [--runs 3] [--tables 8] [--table-size 500000] [--no-results]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { flag, numArg } from './ha-support.js';
import { cleanupAll, machine, max, median, min, round, sourceRevision, trackDir } from './support.js';
import { dataArgs, deleteBackup, mb, openrdsBackup, prepareFixture, timeShell, writeBackupResults, type Fixture } from './backup-support.js';

const RUNS = numArg('runs', 3);

async function raw(f: Fixture, dir: string, i: number): Promise<{ ms: number; bytes: number }> {
  const out = join(dir, `raw-${i}.xb.zst`);
  const t = join(dir, `t-${i}`);
  const ms = await timeShell(
    'mariadb-backup --defaults-file="$CNF" --backup --stream=xbstream --user=root --socket="$SOCK" --target-dir="$T" 2>"$T.log" | zstd -1 -T2 > "$OUT"',
    { CNF: f.nodeCnf, SOCK: f.socket, T: t, OUT: out },
  );
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  rmSync(`${t}.log`, { force: true });
  return { ms, bytes };
}

async function main(): Promise<void> {
  const f = await prepareFixture(dataArgs());
  const dir = trackDir(mkdtempSync(join(f.serve.home, 'raw-')));
  process.stderr.write(`source: ${mb(f.sourceBytes).toFixed(0)} MB in the datadir\n`);
  await raw(f, dir, 0); // warm-up: both sides then read a warm page cache
  const o: number[] = [];
  const r: number[] = [];
  let oBytes = 0;
  let rBytes = 0;
  for (let i = 1; i <= RUNS; i++) {
    const pair = i % 2 ? ['openrds', 'raw'] : ['raw', 'openrds'];
    for (const side of pair) {
      if (side === 'raw') {
        const x = await raw(f, dir, i);
        r.push(x.ms);
        rBytes = x.bytes;
      } else {
        const x = await openrdsBackup(f);
        o.push(x.ms);
        oBytes = x.b.BackupSize;
        await deleteBackup(f, x.b.BackupId);
      }
      process.stderr.write(`run ${i} ${side}: ${(side === 'raw' ? r.at(-1)! : o.at(-1)!).toFixed(0)} ms\n`);
    }
  }
  const rate = (ms: number) => mb(f.sourceBytes) / (ms / 1000);
  const ratio = rate(median(o)) / rate(median(r));
  const md = `### Backup throughput (\`npm run bench:backup\`)

${new Date().toISOString()}, revision ${sourceRevision()}, ${machine()}.
Source: one basic 1C2G instance, sysbench \`oltp_read_write prepare\` ${f.tables} × ${f.tableSize} rows = **${mb(f.sourceBytes).toFixed(0)} MB** in the datadir (binlogs excluded). Warm page cache (one raw warm-up run), ${RUNS} interleaved runs per side.

| | median | min | max | MB/s of source (median) | file | runs (s) |
| --- | --- | --- | --- | --- | --- | --- |
| **openrds** CreateBackup → DescribeBackups \`finished\` (tool \\| zstd, fsync, sha256, rename) | **${(median(o) / 1000).toFixed(1)} s** | ${(min(o) / 1000).toFixed(1)} s | ${(max(o) / 1000).toFixed(1)} s | **${rate(median(o)).toFixed(0)}** | ${mb(oBytes).toFixed(0)} MB | ${o.map((x) => (x / 1000).toFixed(1)).join(', ')} |
| raw \`mariadb-backup --backup --stream=xbstream \\| zstd -1 -T2 > file\` | ${(median(r) / 1000).toFixed(1)} s | ${(min(r) / 1000).toFixed(1)} s | ${(max(r) / 1000).toFixed(1)} s | ${rate(median(r)).toFixed(0)} | ${mb(rBytes).toFixed(0)} MB | ${r.map((x) => (x / 1000).toFixed(1)).join(', ')} |

- Ratio openrds / raw (MB/s, medians): **${round(ratio, 2)}×**. Target ≥ 0.9×: **${ratio >= 0.9 ? 'met' : 'NOT met'}**.
- Compression: ${round(f.sourceBytes / oBytes, 1)}× (zstd -1 -T2).`;
  process.stdout.write(md + '\n');
  if (!flag('no-results')) writeBackupResults('throughput', md);
  await f.serve.stop();
}

main().then(() => { cleanupAll(); process.exit(0); }, (e) => { process.stderr.write(`${e.stack ?? e}\n`); cleanupAll(); process.exit(1); });
