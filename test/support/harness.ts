/**
 * Integration harness: runs the real `bin/openrds serve` on a loopback port with a fresh home
 * and a private /24 of 127.0.0.0/8, so test files never collide. Cleans up every process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { TestClient, type Creds } from './cds-client.js';
import { nftTableName } from '../../src/endpoints/nftables/nft-endpoints.js';
import { removeHomeGroups } from '../../src/provisioner/local/cgroups.js';
import { parseMountInfo } from '../../src/provisioner/local/volumes.js';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const BIN = join(ROOT, 'bin/openrds');

export const VDC = 'vdc-default';
export const PIPE = 'pipe-default';
export const BASIC_1C2G = 27060;
export const BASIC_2C4G = 26704;
export const HA_1C2G = 17060;

export interface ServerHandle {
  home: string;
  /** The store URL serve was given (`--store`), empty for the home's SQLite file. */
  store: string;
  url: string;
  creds: Creds;
  client: TestClient;
  proc: ChildProcess;
  logs(): string;
  /** SIGKILL the control plane (database processes keep running). */
  kill9(): Promise<void>;
  /** Clean SIGTERM stop. */
  stop(): Promise<void>;
  /** Starts serve again on the same home and port. */
  restart(): Promise<void>;
  /** Stops everything and removes the home. */
  cleanup(): Promise<void>;
}

export function newKey(home: string, tenant: string, store = ''): Creds {
  const out = execFileSync(BIN, ['keys', 'create', '--tenant', tenant, '--json', '--home', home, ...(store ? ['--store', store] : [])], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** `opts.store`: a store URL for `serve --store` and `keys create --store` (test/support/postgres.ts). */
export async function startServer(opts: { config?: Record<string, unknown>; env?: Record<string, string>; store?: string } = {}): Promise<ServerHandle> {
  const store = opts.store ?? '';
  const home = join('/tmp', `openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-${process.pid}-${randomInt(1e9)}`);
  mkdirSync(home, { recursive: true });
  const a = randomInt(20, 250);
  const b = randomInt(0, 256);
  writeFileSync(join(home, 'config.json'), JSON.stringify({
    networks: [{ VdcId: VDC, VdcName: 'test', RegionIds: '*', Pipes: [{ BasePipeId: PIPE, PipeName: 'test', Cidr: `127.${a}.${b}.0/24` }] }],
    reconciler: { intervalMs: 500 },
    ...opts.config,
    // The binlog archive is on by default (docs/recovery.md) and takes each instance's first full
    // backup by itself: tests that are not about recovery keep it off, so their tasks and backups
    // are only their own. Recovery tests turn it on with archive.enabled.
    archive: { enabled: false, ...(opts.config?.archive as Record<string, unknown> | undefined) },
  }));
  let logBuf = '';
  let port = 0;
  let proc!: ChildProcess;
  const launch = async () => {
    proc = spawn(BIN, ['serve', '--home', home, '--listen', `127.0.0.1:${port}`, ...(store ? ['--store', store] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const from = logBuf.length; // match only this launch's output
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${logBuf}`)), 120_000);
      const onData = (d: Buffer) => {
        logBuf += d.toString();
        const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(logBuf.slice(from));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => { logBuf += d.toString(); });
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${logBuf}`)); });
    });
    port = Number(new URL(url).port);
    return url;
  };
  const url = await launch();
  const creds = newKey(home, 'tenant-a', store);
  const h: ServerHandle = {
    home, store, url, creds, client: new TestClient(url, creds), get proc() { return proc; },
    logs: () => logBuf,
    async kill9() { proc.kill('SIGKILL'); await exited(proc); },
    async stop() { await stopProcess(proc, 'serve'); },
    async restart() { await launch(); },
    async cleanup() {
      if (proc.exitCode === null && proc.signalCode === null) await h.stop();
      if (process.env.OPENRDS_TEST_LOGS) {
        mkdirSync(process.env.OPENRDS_TEST_LOGS, { recursive: true });
        writeFileSync(join(process.env.OPENRDS_TEST_LOGS, `${home.split('/').pop()}.log`), logBuf);
      }
      killDatabases(home);
      unmountUnder(home);
      await removeHomeGroups(join(home, 'nodes'));
      try {
        execFileSync('nft', ['delete', 'table', 'ip', nftTableName(home)], { stdio: 'ignore' });
      } catch { /* no endpoint table */ }
      rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}

export const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

/**
 * SIGTERM, then SIGKILL if `p` has not exited after `graceMs`; throws in that case, naming it: a
 * serve that ignores SIGTERM is a bug (docs/operator-guide.md: it stops its loops and exits), and a
 * test that waited for it without a bound would hang the whole suite.
 */
export async function stopProcess(p: ChildProcess, what: string, graceMs = 30_000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGCONT'); // a paused process cannot act on SIGTERM
  p.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([exited(p).then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), graceMs); })]);
  clearTimeout(timer);
  if (!late) return;
  p.kill('SIGKILL');
  await exited(p);
  throw new Error(`${what} (pid ${p.pid}) did not exit within ${graceMs} ms of SIGTERM; killed`);
}

/**
 * Waits for a `serve` started by hand to log its `listening` line with a `scheme` URL; rejects when
 * it exits first or after `timeoutMs`. `output()` is everything it printed so far (stdout + stderr).
 */
export function waitListening(proc: ChildProcess, scheme: 'http' | 'https' = 'http', timeoutMs = 120_000): Promise<{ url: string; output: () => string }> {
  let out = '';
  const re = new RegExp(`"url":"(${scheme}:\\/\\/[^"]+)"[^\\n]*"msg":"listening"`);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), timeoutMs);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) { clearTimeout(t); resolve({ url: m[1]!, output: () => out }); }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.once('exit', (c) => { clearTimeout(t); reject(new Error(`serve exited ${c}:\n${out}`)); });
  });
}

/** Detaches every data volume mounted under `home` (lazily: a killed server may still be exiting). */
export function unmountUnder(home: string): number {
  const points = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  let n = 0;
  for (const mp of points.keys()) {
    if (!mp.startsWith(`${home}/`)) continue;
    try {
      execFileSync('umount', ['-l', mp], { stdio: 'ignore' });
      n++;
    } catch { /* already gone */ }
  }
  return n;
}

/** SIGKILLs every mariadbd whose config lives under `home`. */
export function killDatabases(home: string): number {
  let n = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (argv.includes(`--defaults-file=${home}/`)) {
        process.kill(Number(d), 'SIGKILL');
        n++;
      }
    } catch { /* gone */ }
  }
  return n;
}

export function createParams(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    RegionId: 'CN_Beijing_A', VdcId: VDC, BasePipeId: PIPE, InstanceName: 'test-db', PaasGoodsId: BASIC_1C2G,
    DiskType: 'ssd_disk', DiskValue: 100, ...over,
  };
}

/** Creates a basic instance and waits until it is RUNNING. */
export async function createRunning(c: TestClient, over: Record<string, unknown> = {}): Promise<any> {
  const { data } = await c.ok('CreateDBInstance', createParams(over));
  return c.waitStatus(data.InstancesUuid[0], 'RUNNING');
}
