/**
 * Data volume overhead (issue 4, docs/storage.md): the same MariaDB config (openrds's my.cnf for
 * a 2C4G node: sync_binlog=1, innodb_flush_log_at_trx_commit=1) on
 *   - plain: a datadir in a plain folder of the host filesystem (baseline, what openrds did before),
 *   - volume: a datadir on a loop-mounted sparse XFS image made by openrds's own LoopVolumes.
 * Both servers run side by side; sysbench oltp_write_only / oltp_insert / oltp_point_select,
 * 4 threads, alternate between them round by round. Also: the time to grow a mounted volume online.
 *   npm run bench:volume -- [--rounds 3] [--time 15] [--no-results]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MariaDbBinaries } from '../src/provisioner/local/mariadb-binaries.js';
import { MariaDbEngine } from '../src/engine/mariadb/mariadb-engine.js';
import type { NodePaths, NodeSpec } from '../src/engine/engine.js';
import { LoopVolumes } from '../src/provisioner/local/volumes.js';
import { flag, numArg, runP, sysbenchPrepare, sysbenchRun, type SysbenchTarget } from './ha-support.js';
import { cleanupAll, machine, median, round, sleep, sourceRevision, trackArgv, trackDir } from './support.js';

const ROUNDS = numArg('rounds', 3);
const TIME = numArg('time', 15);
const RESULTS = new URL('./RESULTS.md', import.meta.url).pathname;
const TABLES = 4;
const TABLE_SIZE = 100_000;
const PW = 'Bench-Pass-123';

async function startServer(engine: MariaDbEngine, bin: MariaDbBinaries, dir: string, datadir: string, port: number): Promise<SysbenchTarget> {
  const p: NodePaths = {
    dir, datadir, config: join(dir, 'my.cnf'), initFile: join(dir, 'init.sql'), socket: join(dir, 'mysqld.sock'),
    pidFile: join(dir, 'mysqld.pid'), errorLog: join(dir, 'error.log'), tmpdir: join(dir, 'tmp'),
  };
  mkdirSync(p.tmpdir, { recursive: true });
  const spec: NodeSpec = { nodeId: 'bench', serverId: port, ip: '127.0.0.1', port, cpu: 2, ramGb: 4, diskGb: 100, diskType: 'ssd_disk', timeZone: '+08:00', role: 'primary' };
  writeFileSync(p.config, engine.renderConfig(spec, p));
  writeFileSync(p.initFile, `CREATE USER IF NOT EXISTS 'bench'@'%' IDENTIFIED BY '${PW}';\nGRANT ALL ON *.* TO 'bench'@'%';\nCREATE DATABASE IF NOT EXISTS sbtest;\n`);
  if (!existsSync(join(datadir, 'mysql'))) await bin.initDatadir(p.datadir, join(dir, 'install-tmp'), engine.initSettings());
  trackArgv(`--defaults-file=${p.config}`);
  const cmd = bin.serverCommand(p);
  spawn(cmd.command, cmd.args, { detached: true, stdio: 'ignore' }).unref();
  const t: SysbenchTarget = { host: '127.0.0.1', port, user: 'bench', password: PW, db: 'sbtest' };
  for (let i = 0; ; i++) {
    try {
      await runP('mariadb', ['--no-defaults', '-h127.0.0.1', `-P${port}`, '-ubench', `-p${PW}`, '-e', 'SELECT 1']);
      return t;
    } catch (e) {
      if (i > 600) throw new Error(`server on ${port} did not start: ${readFileSync(p.errorLog, 'utf8').slice(-2000)}`, { cause: e });
      await sleep(100);
    }
  }
}

async function main(): Promise<void> {
  const root = trackDir(`/tmp/openrds-bench-volume-${process.pid}`);
  mkdirSync(root, { recursive: true });
  const engine = new MariaDbEngine();
  const bin = new MariaDbBinaries('');
  const vols = new LoopVolumes('loop');
  const volDir = join(root, 'volume');
  mkdirSync(volDir, { recursive: true });
  const t0 = Date.now();
  await vols.ensure(volDir, 100 * 1024 ** 3);
  const makeMs = Date.now() - t0;
  const plainDir = join(root, 'plain');
  mkdirSync(join(plainDir, 'disk'), { recursive: true });
  const targets = {
    plain: await startServer(engine, bin, plainDir, join(plainDir, 'disk', 'data'), 3391),
    volume: await startServer(engine, bin, volDir, join(LoopVolumes.mountPoint(volDir), 'data'), 3392),
  };
  for (const t of Object.values(targets)) await sysbenchPrepare(t, TABLES, TABLE_SIZE, 4);
  const tests = ['oltp_write_only', 'oltp_insert', 'oltp_point_select'] as const;
  const res: Record<string, Record<string, number[]>> = {};
  const p95: Record<string, Record<string, number[]>> = {};
  for (const test of tests) for (const m of Object.keys(targets)) {
    (res[test] ??= {})[m] = [];
    (p95[test] ??= {})[m] = [];
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const test of tests) {
      const order = r % 2 === 0 ? (['plain', 'volume'] as const) : (['volume', 'plain'] as const);
      for (const m of order) {
        const x = await sysbenchRun(targets[m], test, { threads: 4, time: TIME, tables: TABLES, tableSize: TABLE_SIZE });
        res[test]![m]!.push(x.tps);
        p95[test]![m]!.push(x.p95);
        console.log(`round ${r + 1} ${test} ${m}: ${x.tps} tps, p95 ${x.p95} ms`);
      }
    }
  }
  // Online growth of the mounted volume while its server runs: 100 → 200 → 300 GB.
  const grows: number[] = [];
  for (const gb of [200, 300, 400]) {
    const g0 = Date.now();
    await vols.ensure(volDir, gb * 1024 ** 3);
    grows.push(Date.now() - g0);
  }
  const size = Number(execFileSync('df', ['-B1', '--output=size', LoopVolumes.mountPoint(volDir)], { encoding: 'utf8' }).split('\n')[1]);

  const rows = tests.map((test) => {
    const a = median(res[test]!.plain!);
    const b = median(res[test]!.volume!);
    return `| ${test} | ${round(a)} | ${round(b)} | **${(b / a).toFixed(2)}×** | ${median(p95[test]!.plain!)} / ${median(p95[test]!.volume!)} ms | ${res[test]!.plain!.map((x) => round(x)).join(', ')} / ${res[test]!.volume!.map((x) => round(x)).join(', ')} |`;
  });
  const md = `### Data volume overhead (\`npm run bench:volume\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)

${machine()}; revision ${sourceRevision()}. The same openrds my.cnf (2C4G, sync_binlog=1, flush at commit) with the
datadir on a plain folder (baseline) and on a loop-mounted sparse XFS volume (what openrds does now), both servers
running side by side; sysbench ${TABLES} tables × ${TABLE_SIZE} rows, 4 threads, ${TIME} s per run, ${ROUNDS} rounds alternating
the order. Median transactions/s:

| workload | plain folder | XFS volume | volume / plain | p95 plain / volume | runs plain / volume |
|---|---|---|---|---|---|
${rows.join('\n')}

Making the 100 GB volume (truncate, mkfs.xfs, mount): ${makeMs} ms. Growing it online while the server runs
(truncate, losetup -c, xfs_growfs), 100 → 200 → 300 → 400 GB: ${grows.join(', ')} ms; filesystem size afterwards ${round(size / 1024 ** 3, 1)} GiB.
`;
  console.log(md);
  if (!flag('no-results')) {
    let doc = readFileSync(RESULTS, 'utf8');
    const open = '<!-- volume -->';
    const close = '<!-- /volume -->';
    const block = `${open}\n${md.trim()}\n${close}`;
    if (doc.includes(open)) doc = doc.slice(0, doc.indexOf(open)) + block + doc.slice(doc.indexOf(close) + close.length);
    else {
      const anchor = '<!-- /spec:resize -->';
      const at = doc.indexOf(anchor);
      doc = at >= 0 ? `${doc.slice(0, at + anchor.length)}\n\n${block}${doc.slice(at + anchor.length)}` : `${doc.trimEnd()}\n\n${block}\n`;
    }
    writeFileSync(RESULTS, doc);
  }
}

main().then(() => { cleanupAll(); process.exit(0); }, (e) => { process.stderr.write(`${e.stack ?? e}\n`); cleanupAll(); process.exit(1); });
