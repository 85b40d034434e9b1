/**
 * Pieces shared by the API benchmarks (bench/api.ts, bench/tls.ts): 1,000 seeded instances, and
 * a load run in its own process (bench/api-load.ts) with the server's CPU time per request read
 * from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TestClient } from '../test/support/cds-client.js';
import type { LoadJob, LoadResult } from './api-load.js';
import { exited, PIPE, ROOT, round, sleep, track, TSX, VDC, type Serve } from './support.js';

export const N = 1000;

export type Measured = LoadResult & { serverCpuPct: number; serverCpuUsPerReq: number; loadCpuPct: number; serverCpuMs: number; wallMs: number };

/** CPU time (user+sys, ms) a process has used so far, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export async function load(job: LoadJob, serverPid: number): Promise<Measured> {
  const p = track(spawn(process.execPath, ['--import', TSX, join(ROOT, 'bench/api-load.ts'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const c0 = cpuMs(serverPid);
  const t0 = performance.now();
  let l0 = 0;
  let l1 = 0;
  const sampler = setInterval(() => { try { l1 = cpuMs(p.pid!); } catch { /* exiting */ } }, 250);
  await sleep(50);
  try { l0 = cpuMs(p.pid!); } catch { /* */ }
  await exited(p);
  clearInterval(sampler);
  const wall = performance.now() - t0;
  const c1 = cpuMs(serverPid);
  if (p.exitCode !== 0) throw new Error(`load generator failed (exit ${p.exitCode}): ${out}`);
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult;
  return {
    ...r,
    // Over the load process's whole life (its start-up included), so a slight underestimate.
    serverCpuPct: round(((c1 - c0) / wall) * 100, 1),
    serverCpuUsPerReq: round(((c1 - c0) * 1000) / Math.max(1, r.total)),
    loadCpuPct: round(((l1 - l0) / (wall - 50)) * 100, 1),
    serverCpuMs: c1 - c0,
    wallMs: wall,
  };
}

/** CPU share (%) the process uses over `ms` while nothing is asked of it: its background loops. */
export async function idleCpuPct(pid: number, ms: number): Promise<number> {
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  await sleep(ms);
  return ((cpuMs(pid) - c0) / (performance.now() - t0)) * 100;
}

/** `n` (1,000) RUNNING instances of tenant-a, written straight into the store; no nodes, so nothing starts. */
export function seed(s: Serve, ip: (i: number) => string, n = N): string[] {
  const version = /Ver\s+(\d+\.\d+\.\d+)/.exec(execFileSync('mariadbd', ['--version'], { encoding: 'utf8' }))?.[1] ?? '10.11.0';
  const db = new BetterSqlite3(join(s.home, 'openrds.db'));
  db.pragma('busy_timeout = 10000');
  try {
    const tenant = db.prepare('SELECT tenant_id FROM access_keys WHERE id = ?').get(s.creds.AccessKeyId) as { tenant_id: string };
    const ins = db.prepare(`INSERT INTO instances (uuid, tenant_id, name, region_id, vdc_id, pipe_id, paas_goods_id, architecture, cpu, ram_gb,
      disk_type, disk_gb, ip, port, time_zone, status, status_detail, version, parent_uuid, created_at, updated_at, deleted_at)
      VALUES (?, ?, ?, 'CN_Beijing_A', ?, ?, 27060, 0, 1, 2, 'ssd_disk', 100, ?, 3306, '+08:00', 'RUNNING', '', ?, NULL, ?, ?, NULL)`);
    const uuids: string[] = [];
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const uuid = randomUUID();
        uuids.push(uuid);
        const t = now - (n - i) * 1000;
        ins.run(uuid, tenant.tenant_id, `bench-${String(i).padStart(4, '0')}`, VDC, PIPE, ip(i), version, t, t);
      }
    })();
    const nodes = db.prepare('SELECT count(*) AS n FROM nodes').get() as { n: number };
    if (nodes.n !== 0) throw new Error(`expected no nodes, found ${nodes.n}`);
    return uuids;
  } finally {
    db.close();
  }
}

export async function seedAndCheck(s: Serve, ip: (i: number) => string): Promise<string[]> {
  const uuids = seed(s, ip);
  // Sanity: the store serves what was seeded, through the real signed API.
  const c = new TestClient(s.url, s.creds);
  const all = await c.ok('DescribeDBInstances', {}, { method: 'GET' });
  const one = await c.ok('DescribeDBInstances', { InstanceUuid: uuids[N >> 1] }, { method: 'GET' });
  if (all.data.length !== N || one.data.length !== 1 || one.data[0].Status !== 'RUNNING') {
    throw new Error(`seeding check failed: list has ${all.data.length}, one has ${JSON.stringify(one.data).slice(0, 200)}`);
  }
  return uuids;
}
