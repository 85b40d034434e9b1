/**
 * The mariadbd environment (issue 15 §3: ≤ 60 MB resident per idle node): the malloc settings
 * `serverEnvironment()` (src/engine/mariadb/profile/mycnf.ts) gives a node ("shipped") against a
 * candidate environment added to them, side by side in one run. The default candidate,
 * MALLOC_TRIM_THRESHOLD_=1 MiB, was measured and rejected (bench/RESULTS.md 3e).
 *
 * Two servers with the smallest spec's my.cnf (renderMyCnf, 1C2G) on 127.0.0.1, one per
 * environment. For each: VmRSS while idle with the connections a node has in openrds (a
 * collector-like session reading status every second, the archive's `mariadb-binlog
 * --read-from-remote-server` dump, a login), then sysbench `oltp_read_write` rounds interleaved
 * between the two (QPS and p95), then VmRSS idle again after the load.
 *
 *   npm run bench:engine-malloc -- [--rounds 3] [--secs 30] [--threads 4] [--tables 4] [--table-size 50000]
 *                                  [--swap] [--env 'K=V K=V']  (the candidate; default MALLOC_TRIM_THRESHOLD_=1048576)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import type { NodeSpec } from '../src/engine/engine.js';
import { STATUS_COUNTERS_SQL } from '../src/engine/mariadb/monitor.js';
import { renderMyCnf, serverEnvironment } from '../src/engine/mariadb/profile/mycnf.js';
import { numArg, sysbenchPrepare, sysbenchRun, type SysbenchTarget } from './ha-support.js';
import { exited, sleep, track, trackArgv, trackDir } from './support.js';

const run = promisify(execFile);
const rounds = numArg('--rounds', 3);
const secs = numArg('--secs', 30);
const threads = numArg('--threads', 4);
const tables = numArg('--tables', 4);
const tableSize = numArg('--table-size', 50_000);
const IDLE_S = 25;

interface Server { name: string; env: Record<string, string>; port: number; dir: string; proc: ChildProcess; sb: SysbenchTarget; side: ChildProcess[] }

const spec = (port: number): NodeSpec => ({ nodeId: `m${port}`, serverId: port, ip: '127.0.0.1', port, cpu: 1, ramGb: 2, diskGb: 20, diskType: 'ssd_disk', timeZone: '+00:00', role: 'primary' });

async function start(name: string, env: Record<string, string>, port: number, template: string): Promise<Server> {
  const dir = trackDir(mkdtempSync(`/tmp/orm-${name}-`));
  const paths = { dir, datadir: join(dir, 'data'), config: join(dir, 'my.cnf'), initFile: join(dir, 'init.sql'), socket: join(dir, 's.sock'), pidFile: join(dir, 'p.pid'), errorLog: join(dir, 'error.log'), tmpdir: join(dir, 'tmp') };
  mkdirSync(paths.tmpdir);
  await run('cp', ['-a', '--sparse=always', template, paths.datadir]);
  // One statement per line: the server runs init_file line by line.
  writeFileSync(paths.initFile, "CREATE USER IF NOT EXISTS 'bench'@'%' IDENTIFIED BY 'Bench-Pass1';\nGRANT ALL ON *.* TO 'bench'@'%';\nCREATE DATABASE IF NOT EXISTS sbtest;\n");
  writeFileSync(paths.config, renderMyCnf(spec(port), paths));
  trackArgv(`--defaults-file=${paths.config}`);
  // Only the environment differs: the host's, minus any MALLOC_ setting, plus the variant's.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')));
  const proc = track(spawn('mariadbd', [`--defaults-file=${paths.config}`], { stdio: 'ignore', env: { ...base, ...env } }));
  const sb = { host: '127.0.0.1', port, user: 'bench', password: 'Bench-Pass1', db: 'sbtest' };
  for (let i = 0; ; i++) {
    try { const c = await mysql.createConnection({ host: sb.host, port, user: sb.user, password: sb.password }); await c.end(); break; } catch (e) {
      if (i > 600 || proc.exitCode !== null) throw new Error(`${name}: mariadbd not ready: ${String(e)}\n${readFileSync(paths.errorLog, 'utf8').slice(-1500)}`);
      await sleep(100);
    }
  }
  // What a node of openrds holds open: the collector's session and the archive's binlog dump.
  // The collector's own query (SHOW GLOBAL STATUS would cost ~6 MB of session memory a call).
  const status = track(spawn('bash', ['-c', `while sleep 1; do echo "$Q; SHOW SLAVE STATUS; SELECT @@gtid_binlog_pos;"; done | mariadb -ubench -pBench-Pass1 -h127.0.0.1 -P${port} >/dev/null`], { stdio: 'ignore', env: { ...process.env, Q: STATUS_COUNTERS_SQL } }));
  const dump = track(spawn('mariadb-binlog', ['--read-from-remote-server', '--raw', '--stop-never', '-h127.0.0.1', `-P${port}`, '-ubench', '-pBench-Pass1', `--result-file=${dir}/`, 'mysql-bin.000001'], { stdio: 'ignore' }));
  return { name, env, port, dir, proc, sb, side: [status, dump] };
}

const vmRssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

async function main(): Promise<void> {
  const template = trackDir(mkdtempSync('/tmp/orm-tpl-'));
  const tdata = join(template, 'data');
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${tdata}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 120_000 });
  const before = { ...serverEnvironment({ cpu: 1 }) };
  const i = process.argv.indexOf('--env');
  const candidate = i > 0 ? process.argv[i + 1]! : 'MALLOC_TRIM_THRESHOLD_=1048576';
  const after = { ...before, ...Object.fromEntries(candidate.split(/\s+/).filter(Boolean).map((kv) => kv.split('=') as [string, string])) };
  // The two slots differ by a few % on their own (an A/A run: 0.96); --swap puts the candidate first, and
  // the geometric mean of a normal and a swapped run cancels the slot.
  const swap = process.argv.includes('--swap');
  const servers = swap ? [await start('candidate', after, 33101, tdata), await start('shipped', before, 33102, tdata)].reverse()
    : [await start('shipped', before, 33101, tdata), await start('candidate', after, 33102, tdata)];
  process.stderr.write(`idle ${IDLE_S} s with a status session and a binlog dump each…\n`);
  await sleep(IDLE_S * 1000);
  const idle = servers.map((s) => vmRssMb(s.proc.pid!));
  process.stderr.write(`VmRSS idle: ${servers.map((s, i) => `${s.name} ${idle[i]!.toFixed(1)} MB`).join(', ')}\npreparing ${tables} × ${tableSize} rows on each…\n`);
  for (const s of servers) await sysbenchPrepare(s.sb, tables, tableSize, 2);
  const qps: number[][] = [[], []];
  const p95: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 ? [1, 0] : [0, 1]) {
      const x = await sysbenchRun(servers[i]!.sb, 'oltp_read_write', { threads, time: secs, tables, tableSize });
      qps[i]!.push(x.qps);
      p95[i]!.push(x.p95);
      process.stderr.write(`round ${r + 1} ${servers[i]!.name}: ${x.qps.toFixed(0)} QPS, p95 ${x.p95} ms\n`);
    }
  }
  await sleep(IDLE_S * 1000);
  const afterLoad = servers.map((s) => vmRssMb(s.proc.pid!));
  const rows = servers.map((s, i) => `| ${s.name} | \`${Object.entries(s.env).map(([k, v]) => `${k}=${v}`).join(' ')}\` | ${idle[i]!.toFixed(1)} MB | ${afterLoad[i]!.toFixed(1)} MB | ${median(qps[i]!).toFixed(0)} (${qps[i]!.map((q) => q.toFixed(0)).join(', ')}) | ${median(p95[i]!)} ms |`);
  const md = `mariadbd 1C2G (renderMyCnf)${swap ? ', slots swapped (the candidate on the first port, started first)' : ''}, ${IDLE_S} s idle with a status session and a binlog dump; sysbench \`oltp_read_write\` ${threads} threads, ${tables} × ${tableSize} rows, ${rounds} × ${secs} s per server, interleaved.

| server | environment | VmRSS idle | VmRSS idle after the load | QPS, median (rounds) | p95, median |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

candidate ÷ shipped: VmRSS idle ${(idle[1]! / idle[0]!).toFixed(3)}, QPS ${(median(qps[1]!) / median(qps[0]!)).toFixed(3)}.`;
  process.stdout.write(`${md}\n`);
  for (const s of servers) { for (const p of s.side) p.kill('SIGKILL'); s.proc.kill('SIGKILL'); await exited(s.proc); }
}

await main();
