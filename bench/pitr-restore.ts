/**
 * Point-in-time restore time and replay rate (issue 13): sysbench tables (8 × 500k ≈ 1 GB by
 * default), a full physical backup, then --writes s of sysbench oltp_write_only; SelectTime is the
 * last second of the writes. openrds (StartBatchRollbackToTemporaryDBInstance, call → RUNNING)
 * against the same restore by hand in the same run: zstd -d | mbstream -x, mariadb-backup
 * --prepare, mariadbd, the archived segments decompressed and `mariadb-binlog | mariadb` up to the
 * same GTID. Both results are compared table by table (CHECKSUM TABLE). Target ≤ 1.2 × by hand.
 *
 *   npm run bench:pitr-restore -- [--tables 8] [--table-size 500000] [--writes 300] [--no-results]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { parseGtidPos } from '../src/engine/gtid.js';
import { freePort, Restored } from '../test/support/backups.js';
import { flag, logLines, numArg, PW, sysbenchRun } from './ha-support.js';
import { cleanupAll, killByArgv, machine, round, sleep, sourceRevision, trackArgv, trackDir } from './support.js';
import { timeShell } from './backup-support.js';
import { archiveFixture, waitRightBorder, writeArchiveResults } from './archive-support.js';

const tables = numArg('tables', 8);
const tableSize = numArg('table-size', 500_000);
const writes = numArg('writes', 300);
const apiTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** CHECKSUM TABLE of every sbtest table, as `q` (one statement → the checksum) reads it. */
async function checksums(q: (s: string) => Promise<string>): Promise<string> {
  const out: string[] = [];
  for (let t = 1; t <= tables; t++) out.push(await q(`CHECKSUM TABLE sbtest.sbtest${t}`));
  return out.join(',');
}

async function main(): Promise<void> {
  const load = machine();
  const f = await archiveFixture({ tables, tableSize });
  const c = f.client;
  const uuid = f.inst.InstanceUuid;
  // The base: a full backup of the loaded data (the automatic first one was taken before the load).
  const br = await c.ok('CreateBackup', { InstanceUuid: uuid, BackupType: 'physical-backup' });
  let b: any;
  for (;;) {
    const { data } = await c.ok('DescribeBackups', { InstanceUuid: uuid }, { method: 'GET' });
    b = (data as any[]).find((x) => x.BackupId === br.data.BackupId);
    if (b.Status === 'finished') break;
    if (b.Status !== 'running') throw new Error(`backup ${b.Status}: ${b.StatusDetail}`);
    await sleep(500);
  }
  process.stderr.write(`base backup ${b.BackupId} at ${b.Gtid}, ${round(b.BackupSize / 1e6)} MB; writing ${writes} s…\n`);
  const sb = await sysbenchRun(f.sb, 'oltp_write_only', { threads: 4, time: writes, tables, tableSize });
  const selectTime = Math.floor(Date.now() / 1000) * 1000 - 1000;
  await waitRightBorder(f, selectTime + 1000);

  // openrds
  const t0 = performance.now();
  await c.ok('StartBatchRollbackToTemporaryDBInstance', { InstanceUuid: uuid, SelectTime: apiTime(selectTime), TemporaryInstanceName: 'bench-pitr' });
  let temp: any;
  for (;;) {
    const { data } = await c.ok('DescribeTemporaryDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    temp = (data as any[]).find((x) => x.TemporaryInstanceName === 'bench-pitr');
    if (temp?.Status === 'RUNNING') break;
    if (temp?.Status === 'ERROR') throw new Error(`temporary instance failed: ${temp.StatusDetail}`);
    await sleep(100);
  }
  const openrdsMs = performance.now() - t0;
  const replayed = logLines(f.serve, 'archived binlog replayed').at(-1);
  if (!replayed) throw new Error('no "archived binlog replayed" log line');
  const stopGtid = String(replayed.stopGtid);
  const tc = await mysql.createConnection({ host: temp.Ip, port: temp.Port, user: 'root', password: PW });
  const openrdsSums = await checksums(async (q) => String(((await tc.query(q))[0] as Array<{ Checksum: number | string }>)[0]!.Checksum));
  await tc.end();
  process.stderr.write(`openrds: ${round(openrdsMs / 1000, 1)} s, replay ${replayed.transactions} transactions, ${round(replayed.bytes / 1e6, 1)} MB in ${replayed.ms} ms\n`);
  // The temporary instance goes before the hand-made restore: its server shrinks its pool and
  // flushes pages in the background after the replay, which would slow the baseline down.
  await c.ok('DeleteTemporaryDBInstances', { InstanceUuid: uuid, TemporaryInstanceUuid: temp.TemporaryInstanceUuid });
  for (let i = 0; ; i++) {
    const { data } = await c.ok('DescribeTemporaryDBInstances', { InstanceUuid: uuid }, { method: 'GET' });
    if (!(data as any[]).some((x) => x.TemporaryInstanceName === 'bench-pitr')) break;
    if (i > 600) throw new Error('the temporary instance was not deleted within 60 s');
    await sleep(100);
  }
  await sleep(5000); // the source settles too

  // by hand, in the same run
  const work = trackDir(join(f.serve.home, 'by-hand'));
  const dir = join(work, 'r');
  trackArgv(`--datadir=${dir}/data`);
  const instDir = join(f.serve.home, 'backups', uuid);
  const backupFile = join(instDir, `${b.BackupId}.xb.zst`);
  const env = { BACKUP: backupFile, DIR: dir, PORT: String(await freePort()) };
  mkdirSync(dir, { recursive: true });
  const steps: Array<[string, number]> = [];
  steps.push(['unpack (zstd -d | mbstream -x)', await timeShell('mkdir -p "$DIR/data" && zstd -d -c "$BACKUP" | mbstream -x -C "$DIR/data"', env)]);
  steps.push(['prepare (mariadb-backup --prepare)', await timeShell('mariadb-backup --no-defaults --prepare --target-dir="$DIR/data" >/dev/null 2>&1', env)]);
  steps.push(['start mariadbd until it answers', await timeShell('(mariadbd --no-defaults --datadir="$DIR/data" --socket="$DIR/mysqld.sock" --port="$PORT" --bind-address=127.0.0.1 --user=root --log-error="$DIR/error.log" >"$DIR/stdout.log" 2>&1 &) ; until mariadb-admin --no-defaults --socket="$DIR/mysqld.sock" -u root ping >/dev/null 2>&1; do sleep 0.2; done', env)]);
  // The timeline's segments, in (run, file, offset) order, with their GTIDs as the store records
  // them: what an operator finds beside the backup and in DescribeRollbackRangeTime's store.
  const db = new BetterSqlite3(join(f.serve.home, 'openrds.db'), { readonly: true, fileMustExist: true });
  const segs = (db.prepare('SELECT timeline, run, binlog_file, start_offset, first_gtid, last_gtid, end_gtid FROM archive_segments WHERE instance_uuid = ? AND timeline = (SELECT MAX(timeline) FROM archive_segments WHERE instance_uuid = ?) ORDER BY run, binlog_file, start_offset').all(uuid, uuid) as Array<{ timeline: number; run: number; binlog_file: string; start_offset: number; first_gtid: string; last_gtid: string; end_gtid: string }>)
    .map((x, i) => ({ ...x, n: `binlog-t${x.timeline}-r${x.run}-${x.binlog_file}-${x.start_offset}.zst`, out: `"$DIR/binlog.${String(i).padStart(6, '0')}"` }));
  db.close();
  const list = segs.map((x) => `zstd -d -c -q "${join(instDir, x.n)}" > ${x.out}`).join(' && ');
  steps.push([`decompress ${segs.length} segments (zstd -d)`, await timeShell(`${list}`, env)]);
  // One mariadb-binlog per source binlog file (docs/recovery.md "Segments": it takes the first
  // Gtid_list it meets as its input's initial state), each from the position before that file (or
  // the base) to the stop GTID; files wholly before the base are left out.
  const seq = (pos: string) => parseGtidPos(pos).get(0)?.seq ?? 0;
  const groups: Array<{ file: string; start: string; files: string[] }> = [];
  let before = b.Gtid as string; // the position before the next segment, never below the base
  for (const x of segs) {
    const file = `${x.run}/${x.binlog_file}`;
    if (!x.last_gtid || seq(x.last_gtid) > seq(b.Gtid)) { // a segment without transactions may carry its file's header
      if (groups.at(-1)?.file !== file) groups.push({ file, start: before, files: [] });
      groups.at(-1)!.files.push(x.out);
    }
    if (seq(x.end_gtid) > seq(before)) before = x.end_gtid;
    if (seq(x.end_gtid) >= seq(stopGtid)) break;
  }
  const replay = groups.map((g) => `TZ=UTC mariadb-binlog --no-defaults --start-position="${g.start}" --stop-position="${stopGtid}" ${g.files.join(' ')} | mariadb --no-defaults --socket="$DIR/mysqld.sock" -u root --binary-mode --batch`).join(' && ');
  steps.push([`replay (mariadb-binlog | mariadb, ${groups.length} binlog files)`, await timeShell(replay, env)]);
  const handMs = steps.reduce((a, [, ms]) => a + ms, 0);
  const r = new Restored(dir);
  const handSums = await checksums(async (q) => r.sql(q).split('\t')[1] ?? '');
  const same = openrdsSums === handSums;
  r.destroy();
  killByArgv(`--datadir=${dir}/data`);
  rmSync(work, { recursive: true, force: true });
  const ratio = openrdsMs / handMs;
  const mbps = replayed.bytes / 1e6 / (Number(replayed.ms) / 1000);
  const handReplayMs = steps.at(-1)![1];
  const md = `### Point-in-time restore (${new Date().toISOString().slice(0, 10)})

\`npm run bench:pitr-restore -- --tables ${tables} --table-size ${tableSize} --writes ${writes}\`; source ${sourceRevision()}; ${load}.
Base: a full physical backup of ${tables} × ${tableSize} sysbench rows (${round(b.BackupSize / 1e6)} MB compressed), then ${writes} s of sysbench
\`oltp_write_only\` (4 threads, ${round(sb.tps)} TPS); SelectTime = the last second of the writes. The hand-made restore
uses the same backup file and the same archived segments, up to the same GTID (\`${stopGtid}\`); both results have ${same ? 'the same' : '**different**'} CHECKSUM TABLE of every table.

| step (by hand) | time |
| --- | --- |
${steps.map(([k, ms]) => `| ${k.replace(/\|/g, '\\|')} | ${round(ms / 1000, 1)} s |`).join('\n')}
| **total by hand (baseline)** | **${round(handMs / 1000, 1)} s** |

| figure | measured | baseline | target |
| --- | --- | --- | --- |
| openrds restore (call → RUNNING) | ${round(openrdsMs / 1000, 1)} s | ${round(handMs / 1000, 1)} s by hand | ≤ 1.2 × = ${round((1.2 * handMs) / 1000, 1)} s: **${round(ratio, 2)} ×** |
| replay rate (openrds, archived binlog read and applied) | ${round(mbps, 1)} MB/s (${round(replayed.bytes / 1e6, 1)} MB, ${replayed.transactions} transactions in ${round(Number(replayed.ms) / 1000, 1)} s) | by hand ${round(replayed.bytes / 1e6 / (handReplayMs / 1000), 1)} MB/s (same bytes) | — |
`;
  process.stdout.write(md);
  if (!flag('no-results')) writeArchiveResults('pitr-restore', md);
  if (!same) throw new Error('the openrds restore and the hand-made restore differ');
}

try {
  await main();
} finally {
  cleanupAll();
}
