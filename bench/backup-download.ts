/**
 * Download throughput (issue 5): a physical backup file of ~1 GB of source data fetched through
 * its signed URL from `openrds serve` with curl, against reading the same file from disk
 * (`cat file > /dev/null`), interleaved, with a warm page cache and with the file evicted from
 * it before each run (cold). Target: openrds ≥ 0.8× cat. Two more baselines show where the time
 * goes: a minimal Node HTTP server streaming the same file (the transport ceiling of any Node
 * server on this machine) and `curl file://` (the client reading the file without any network).
 *
 *   npm run bench:download -- [--runs 5] [--tables 8] [--table-size 500000] [--no-results]
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flag, numArg } from './ha-support.js';
import { cleanupAll, machine, median, round, sourceRevision } from './support.js';
import { backupFile, dataArgs, evict, mb, openrdsBackup, prepareFixture, timeShell, writeBackupResults } from './backup-support.js';

const RUNS = numArg('runs', 5);

async function main(): Promise<void> {
  const f = await prepareFixture(dataArgs());
  const { b } = await openrdsBackup(f);
  const file = backupFile(f, b);
  const size = statSync(file).size;
  const d = await f.client.ok('DownloadBackup', { InstanceUuid: f.inst.InstanceUuid, BackupId: b.BackupId }, { method: 'GET' });
  const url: string = d.data.BackupDownloadUrl;
  // Baseline: the smallest Node HTTP file server (same 1 MiB reads as openrds), in this process.
  const plain = createServer((_req, r) => {
    r.writeHead(200, { 'content-length': String(size) });
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(r);
  });
  await new Promise<void>((ok) => plain.listen(0, '127.0.0.1', ok));
  const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
  const sides: Array<[string, () => Promise<number>]> = [
    ['openrds', () => timeShell('curl -fsS -o /dev/null "$URL"', { URL: url })],
    ['cat', () => timeShell('cat "$F" > /dev/null', { F: file })],
    ['node', () => timeShell('curl -fsS -o /dev/null "$URL"', { URL: plainUrl })],
    ['curlfile', () => timeShell('curl -fsS -o /dev/null "file://$F"', { F: file })],
  ];
  const res: Record<string, number[]> = {};
  for (const [name] of sides) {
    res[`warm ${name}`] = [];
    res[`cold ${name}`] = [];
  }
  await sides[1]![1](); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const [name, fn] of i % 2 ? [...sides].reverse() : sides) {
      res[`warm ${name}`]!.push(await fn());
      evict(file);
      res[`cold ${name}`]!.push(await fn());
    }
  }
  plain.close();
  const rate = (xs: number[]) => mb(size) / (median(xs) / 1000);
  const row = (label: string, key: string) => `| ${label} | ${median(res[key]!).toFixed(0)} ms | **${rate(res[key]!).toFixed(0)}** | ${res[key]!.map((x) => x.toFixed(0)).join(', ')} |`;
  const warm = rate(res['warm openrds']!) / rate(res['warm cat']!);
  const cold = rate(res['cold openrds']!) / rate(res['cold cat']!);
  const md = `### Download throughput (\`npm run bench:download\`)

${new Date().toISOString()}, revision ${sourceRevision()}, ${machine()}.
One physical backup of ${f.tables} × ${f.tableSize} sysbench rows: **${mb(size).toFixed(0)} MB** file. openrds: \`curl -fsS -o /dev/null <BackupDownloadUrl>\` over loopback (signature check, store lookup, Node file stream). Cold: the file is evicted from the page cache (\`dd iflag=nocache count=0\`) before each run. ${RUNS} interleaved runs per row.

| | median time | MB/s (median) | runs (ms) |
| --- | --- | --- | --- |
${row('**openrds** signed URL, warm cache', 'warm openrds')}
${row('`cat file > /dev/null`, warm cache', 'warm cat')}
${row('minimal Node HTTP server + curl, warm cache', 'warm node')}
${row('`curl file://` (no network), warm cache', 'warm curlfile')}
${row('**openrds** signed URL, cold cache', 'cold openrds')}
${row('`cat file > /dev/null`, cold cache', 'cold cat')}
${row('minimal Node HTTP server + curl, cold cache', 'cold node')}
${row('`curl file://` (no network), cold cache', 'cold curlfile')}

- Ratio openrds / cat: warm **${round(warm, 2)}×**, cold **${round(cold, 2)}×**. Target ≥ 0.8×: warm **${warm >= 0.8 ? 'met' : 'NOT met'}**, cold **${cold >= 0.8 ? 'met' : 'NOT met'}**.
- Ratio openrds / minimal Node HTTP server: warm **${round(rate(res['warm openrds']!) / rate(res['warm node']!), 2)}×**, cold **${round(rate(res['cold openrds']!) / rate(res['cold node']!), 2)}×** (what openrds adds to streaming a file over HTTP).
- Ratio \`curl file://\` / cat: warm ${round(rate(res['warm curlfile']!) / rate(res['warm cat']!), 2)}× — the client alone, reading the file with no network, is already far below \`cat\`.`;
  process.stdout.write(md + '\n');
  if (!flag('no-results')) writeBackupResults('download', md);
  await f.serve.stop();
}

main().then(() => { cleanupAll(); process.exit(0); }, (e) => { process.stderr.write(`${e.stack ?? e}\n`); cleanupAll(); process.exit(1); });
