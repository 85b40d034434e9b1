/**
 * Restore time (issue 5): a physical backup of ~1 GB of sysbench data, downloaded through its
 * signed URL, restored with exactly the commands of docs/backups.md (the `restore:physical`
 * block, each line timed: unpack, prepare, start, ready), then checked (row count of every
 * table). `--logical` also times the `restore:logical` block for a logical backup of the same data.
 *
 *   npm run bench:restore -- [--runs 2] [--tables 8] [--table-size 500000] [--logical] [--no-results]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { docBlock, freePort, killByArgv, Restored } from '../test/support/backups.js';
import { flag, numArg } from './ha-support.js';
import { cleanupAll, machine, median, sourceRevision, trackArgv, trackDir } from './support.js';
import { dataArgs, mb, openrdsBackup, prepareFixture, timeShell, writeBackupResults, type Fixture } from './backup-support.js';

const RUNS = numArg('runs', 2);
const LABELS: Array<[RegExp, string]> = [
  [/^mkdir/, 'mkdir'], [/mbstream/, 'unpack (zstd -d \\| mbstream -x)'], [/--prepare/, 'prepare (mariadb-backup --prepare)'],
  [/mariadb-install-db/, 'install an empty datadir'], [/^mariadbd/, 'start mariadbd'], [/^until/, 'until it answers'],
  [/\| mariadb /, 'load the dump (zstd -d \\| mariadb)'],
];

/** Runs the block line by line in one bash, timing each line; returns label → ms. */
async function timedRestore(kind: 'physical' | 'logical', file: string, work: string): Promise<{ steps: Array<[string, number]>; total: number; dir: string }> {
  const dir = join(work, `r-${kind}-${Date.now()}`);
  trackArgv(`--datadir=${dir}/data`);
  const env = { BACKUP: file, DIR: dir, PORT: String(await freePort()) };
  const steps: Array<[string, number]> = [];
  for (const line of docBlock({ marker: `restore:${kind}` }).split('\n').filter((l) => l.trim())) {
    steps.push([LABELS.find(([re]) => re.test(line))?.[1] ?? line.slice(0, 30), await timeShell(line, env)]);
  }
  return { steps, total: steps.reduce((a, [, ms]) => a + ms, 0), dir };
}

async function check(f: Fixture, r: Restored): Promise<void> {
  for (let t = 1; t <= f.tables; t++) {
    const n = Number(r.sql(`SELECT COUNT(*) FROM sbtest.sbtest${t}`));
    if (n !== f.tableSize) throw new Error(`restored sbtest${t} has ${n} rows, not ${f.tableSize}`);
  }
}

async function measure(f: Fixture, kind: 'physical' | 'logical', work: string) {
  const { b, ms: backupMs } = await openrdsBackup(f, { BackupType: `${kind}-backup` });
  const d = await f.client.ok('DownloadBackup', { InstanceUuid: f.inst.InstanceUuid, BackupId: b.BackupId }, { method: 'GET' });
  const file = join(work, `backup-${kind}`);
  const dl = await timeShell(docBlock({ contains: 'curl' }), { URL: d.data.BackupDownloadUrl, BACKUP: file, SHA256: b.Sha256 });
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timedRestore(kind, file, work);
    const rs = new Restored(r.dir);
    await check(f, rs);
    rs.destroy();
    killByArgv(`--datadir=${r.dir}/data`);
    rmSync(r.dir, { recursive: true, force: true });
    runs.push(r);
    process.stderr.write(`${kind} restore ${i + 1}: ${(r.total / 1000).toFixed(1)} s\n`);
  }
  rmSync(file, { force: true });
  return { b, backupMs, dl, runs };
}

async function main(): Promise<void> {
  const f = await prepareFixture(dataArgs());
  const work = trackDir(mkdtempSync('/tmp/orbr-'));
  const kinds: Array<'physical' | 'logical'> = flag('logical') ? ['physical', 'logical'] : ['physical'];
  let md = `### Restore time (\`npm run bench:restore\`)

${new Date().toISOString()}, revision ${sourceRevision()}, ${machine()}.
Source: ${f.tables} × ${f.tableSize} sysbench rows, **${mb(f.sourceBytes).toFixed(0)} MB** in the datadir. Each backup is made with CreateBackup, downloaded with the documented \`curl -C -\` + \`sha256sum -c\` lines, then restored ${RUNS}× into a fresh folder with exactly the lines of the docs/backups.md block (each timed on its own); every restored table is checked for its row count.
`;
  for (const kind of kinds) {
    const m = await measure(f, kind, work);
    const labels = m.runs[0]!.steps.map(([l]) => l);
    md += `
**${kind}** backup: ${mb(m.b.BackupSize).toFixed(0)} MB file, made in ${(m.backupMs / 1000).toFixed(1)} s, downloaded and checked in ${(m.dl / 1000).toFixed(1)} s.

| step (docs/backups.md \`restore:${kind}\`) | median | runs |
| --- | --- | --- |
${labels.map((l, i) => `| ${l} | ${(median(m.runs.map((r) => r.steps[i]![1])) / 1000).toFixed(1)} s | ${m.runs.map((r) => (r.steps[i]![1] / 1000).toFixed(1)).join(', ')} |`).join('\n')}
| **total restore** | **${(median(m.runs.map((r) => r.total)) / 1000).toFixed(1)} s** | ${m.runs.map((r) => (r.total / 1000).toFixed(1)).join(', ')} |
`;
  }
  process.stdout.write(md + '\n');
  if (!flag('no-results')) writeBackupResults('restore', md);
  await f.serve.stop();
}

main().then(() => { cleanupAll(); process.exit(0); }, (e) => { process.stderr.write(`${e.stack ?? e}\n`); cleanupAll(); process.exit(1); });
