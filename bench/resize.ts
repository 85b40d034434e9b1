/**
 * Spec change benchmark (issue 4):
 *  1. HA resize (17060 ↔ 6704, 1C2G ↔ 2C4G) with 4 writers through the endpoint: the longest
 *     gap between two acknowledged writes, per run; median over --runs (default 5). Target ≤ 3 s.
 *  2. Basic resize (27060 ↔ 26704): call → RUNNING, beside a raw `mariadbd` restart with a new
 *     config (SIGTERM, wait for exit, start with another buffer pool size, first answer) on the
 *     same machine, interleaved.
 *   npm run bench:resize -- [--runs 5] [--no-results]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { missingRows } from '../test/support/ha.js';
import { BASIC_1C2G, HA_1C2G, PW, RESULTS, createParams, flag, numArg, sleep, sql, startHaServe, waitRunning } from './ha-support.js';
import { cleanupAll, machine, max, median, min, sourceRevision, trackArgv, trackDir } from './support.js';

const RUNS = numArg('runs', 5);
const HA_UP = 6704;
const BASIC_UP = 26704;
type Cfg = { host: string; port: number; user: string; password: string };

class Writers {
  acked: number[] = [];
  okAt: number[] = [];
  private stop_ = false;
  private done: Promise<void[]>;
  constructor(cfg: Cfg, n: number) {
    this.done = Promise.all(Array.from({ length: n }, async () => {
      let c: mysql.Connection | undefined;
      while (!this.stop_) {
        try {
          c ??= await mysql.createConnection({ ...cfg, connectTimeout: 1000 });
          const [r] = await c.query('INSERT INTO app.t (v) VALUES (1)');
          this.acked.push((r as mysql.ResultSetHeader).insertId);
          this.okAt.push(Date.now());
        } catch { c?.destroy(); c = undefined; await sleep(10); }
      }
      c?.destroy();
    }));
  }
  longestGap(from: number, to: number): number {
    const xs = [from, ...this.okAt.filter((t) => t >= from && t <= to).sort((a, b) => a - b), to];
    let g = 0;
    for (let i = 1; i < xs.length; i++) g = Math.max(g, xs[i]! - xs[i - 1]!);
    return g;
  }
  async stop() { this.stop_ = true; await this.done; }
}

async function resize(c: any, uuid: string, goods: number): Promise<number> {
  const t0 = Date.now();
  await c.ok('ModifyDBInstanceSpec', { InstanceUuid: uuid, PaasGoodsId: goods });
  await waitRunning(c, uuid, 300_000, 20);
  return Date.now() - t0;
}

/** A standalone mariadbd (no openrds), restarted with a new buffer pool size each time. */
async function rawRestarts(n: number): Promise<number[]> {
  const dir = trackDir(`/tmp/openrds-bench-raw-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const data = join(dir, 'data');
  const sock = join(dir, 'raw.sock');
  if (!existsSync(data)) execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'], { stdio: 'ignore' });
  trackArgv(`--datadir=${data}`);
  const start = (poolMb: number) => {
    const p = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, '--user=root', `--socket=${sock}`, '--skip-networking', `--pid-file=${join(dir, 'pid')}`,
      `--innodb-buffer-pool-size=${poolMb}M`, '--log-bin=mysql-bin', '--sync-binlog=1', `--log-error=${join(dir, 'err.log')}`], { detached: true, stdio: 'ignore' });
    p.unref();
    return p;
  };
  const ready = async () => {
    for (;;) {
      try { execFileSync('mariadb', ['--no-defaults', '-S', sock, '-uroot', '-e', 'SELECT 1'], { stdio: 'ignore' }); return; } catch { await sleep(20); }
    }
  };
  let p = start(1024);
  await ready();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = Date.now();
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    p = start(i % 2 === 0 ? 2432 : 1024);
    await ready();
    out.push(Date.now() - t0);
  }
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
  return out;
}

async function main() {
  const loadStart = readFileSync('/proc/loadavg', 'utf8').trim();
  const s = await startHaServe({ ha: { maxFailoversPerWindow: 100 } });
  try {
    const mk = async (goods: number, name: string) => {
      const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: name, PaasGoodsId: goods, Password: PW }));
      const i = await waitRunning(s.client, r.data.InstancesUuid[0], 300_000);
      const cfg: Cfg = { host: i.IP, port: i.Port, user: 'root', password: PW };
      await sql(cfg, 'CREATE DATABASE app', 'CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
      return { i, cfg };
    };
    const ha = await mk(HA_1C2G, 'ha');
    const basic = await mk(BASIC_1C2G, 'basic');
    const gaps: number[] = [];
    const haTotals: number[] = [];
    let acked = 0;
    let lost = 0;
    for (let r = 0; r < RUNS; r++) {
      await sleep(1500);
      const w = new Writers(ha.cfg, 4);
      await sleep(700);
      const t0 = Date.now();
      haTotals.push(await resize(s.client, ha.i.InstanceUuid, r % 2 === 0 ? HA_UP : HA_1C2G));
      const t1 = Date.now();
      await sleep(500);
      await w.stop();
      gaps.push(w.longestGap(t0, t1));
      acked += w.acked.length;
      lost += (await missingRows(ha.cfg, 'app.t', w.acked)).length;
      console.log(`HA run ${r + 1}: total ${haTotals.at(-1)} ms, longest write gap ${gaps.at(-1)} ms`);
    }
    const basicTimes: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      basicTimes.push(await resize(s.client, basic.i.InstanceUuid, r % 2 === 0 ? BASIC_UP : BASIC_1C2G));
      console.log(`basic run ${r + 1}: ${basicTimes.at(-1)} ms`);
    }
    await s.client.ok('DeleteDBInstance', { InstanceUuid: basic.i.InstanceUuid });
    const raw = await rawRestarts(RUNS);
    console.log(`raw restarts: ${raw.join(', ')} ms`);
    const md = `### Spec changes (\`npm run bench:resize\`)

${new Date().toISOString()}, revision ${sourceRevision()}, ${machine()}, loadavg at start ${loadStart}. Limits: cgroups as detected by serve.

| | median | max | min | runs (ms) |
| --- | --- | --- | --- | --- |
| **HA resize: longest write gap through the endpoint** (4 writers; 1C2G ↔ 2C4G) | **${median(gaps)} ms** | ${max(gaps)} ms | ${min(gaps)} ms | ${gaps.join(', ')} |
| HA resize: call → RUNNING (standby restart, switchover, old primary restart) | ${median(haTotals)} ms | ${max(haTotals)} ms | ${min(haTotals)} ms | ${haTotals.join(', ')} |
| **basic resize: call → RUNNING** (27060 ↔ 26704) | **${median(basicTimes)} ms** | ${max(basicTimes)} ms | ${min(basicTimes)} ms | ${basicTimes.join(', ')} |
| raw \`mariadbd\` restart with a new buffer pool size (baseline, no openrds) | ${median(raw)} ms | ${max(raw)} ms | ${min(raw)} ms | ${raw.join(', ')} |

- Acknowledged writes lost during the HA resizes: **${lost}** of ${acked}.
- Ratio basic resize / raw restart (medians): ${(median(basicTimes) / median(raw)).toFixed(2)}.
- Target median longest gap ≤ 3 s: **${median(gaps) <= 3000 && lost === 0 ? 'MET' : 'NOT MET'}**.
`;
    console.log(md);
    if (!flag('no-results')) writeResults(md);
  } finally {
    await s.shutdown();
    cleanupAll();
  }
}

/** Replaces or appends the "Spec changes (issue 4)" section; other sections stay as they are. */
function writeResults(md: string): void {
  let doc = readFileSync(RESULTS, 'utf8');
  const open = '<!-- spec:resize -->';
  const close = '<!-- /spec:resize -->';
  const block = `## Spec changes (issue 4)\n\n${open}\n${md.trim()}\n${close}\n`;
  const i = doc.indexOf('## Spec changes (issue 4)');
  const j = doc.indexOf(close);
  if (i >= 0 && j > i) doc = doc.slice(0, i) + block + doc.slice(j + close.length + 1);
  else doc = doc.replace(/\s*$/, '\n\n') + block;
  writeFileSync(RESULTS, doc);
}

main().catch((e) => { console.error(e); cleanupAll(); process.exit(1); });
