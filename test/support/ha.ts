/** Helpers for HA tests: find nodes by role, run writers through the endpoint, check no loss. */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import { HA_1C2G, createParams, type ServerHandle } from './harness.js';

/** Runs SQL as the host's root through the node's unix socket (unix_socket authentication). */
export function socketQuery(home: string, nodeId: string, sql: string): string {
  const cnf = readFileSync(`${home}/nodes/${nodeId}/my.cnf`, 'utf8');
  const sock = /socket = (\S+)/.exec(cnf)![1]!;
  return execFileSync('mariadb', ['--no-defaults', '-S', sock, '-uroot', '-e', sql], { encoding: 'utf8' });
}

export interface NodeInfo { id: string; ip: string; pid: number; readOnly: boolean }

/** Nodes of the home, with the role their rendered config gives (read_only = standby/replica). */
export function homeNodes(home: string): NodeInfo[] {
  const out: NodeInfo[] = [];
  for (const id of readdirSync(`${home}/nodes`)) {
    try {
      const cnf = readFileSync(`${home}/nodes/${id}/my.cnf`, 'utf8');
      const pid = Number(readFileSync(`${home}/nodes/${id}/node.pid`, 'utf8'));
      out.push({ id, ip: /bind_address = (\S+)/.exec(cnf)![1]!, pid, readOnly: /read_only = ON/.test(cnf) });
    } catch { /* half-made */ }
  }
  return out;
}

/** Pids of the live (non-zombie) mariadbd processes under this home, by node id, found by scanning /proc. */
export function dbPids(home: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const arg = argv.find((a) => a.startsWith(`--defaults-file=${home}/nodes/`));
      if (arg) out.set(arg.split('/nodes/')[1]!.split('/')[0]!, Number(d));
    } catch { /* gone */ }
  }
  return out;
}

export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The node that currently accepts writes, asked directly (not through the endpoint). */
export async function writableNode(nodes: NodeInfo[], user: string, password: string): Promise<NodeInfo | undefined> {
  for (const n of nodes) {
    try {
      const c = await mysql.createConnection({ host: n.ip, port: 3306, user, password, connectTimeout: 1000 });
      const [r] = await c.query('SELECT @@read_only AS ro');
      await c.end();
      if (Number((r as any[])[0].ro) === 0) return n;
    } catch { /* down */ }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** N writers inserting through `host`, recording every acknowledged id. */
export class Writers {
  acked: number[] = [];
  lastOkAt = 0;
  /** When the last acknowledged insert was sent: an OK already on its way at a crash does not count as recovery. */
  lastOkIssuedAt = 0;
  private stopFlag = false;
  private done: Promise<void[]>;
  constructor(cfg: { host: string; port: number; user: string; password: string }, table: string, n = 4) {
    this.done = Promise.all(Array.from({ length: n }, () => (async () => {
      let c: mysql.Connection | undefined;
      while (!this.stopFlag) {
        try {
          c ??= await mysql.createConnection({ ...cfg, connectTimeout: 1000 });
          const issuedAt = Date.now();
          // Bounded: an insert whose connection lost its peer without a FIN or RST (an endpoint
          // moved, conntrack forgot the flow) would otherwise wait forever and hang stop().
          // A timed-out insert is not counted as acknowledged.
          const [r] = await c.query({ sql: `INSERT INTO ${table} (v) VALUES (1)`, timeout: 10_000 });
          this.acked.push((r as mysql.ResultSetHeader).insertId);
          this.lastOkAt = Date.now();
          this.lastOkIssuedAt = issuedAt;
        } catch {
          c?.destroy();
          c = undefined;
          await sleep(10);
        }
      }
      c?.destroy();
    })()));
  }
  /** Resolves with the time of the first acknowledged write that was sent after `since`. */
  async firstWriteAfter(since: number, timeoutMs = 30_000): Promise<number> {
    while (Date.now() - since < timeoutMs) {
      if (this.lastOkIssuedAt > since) return this.lastOkAt;
      await sleep(5);
    }
    throw new Error(`no write succeeded within ${timeoutMs} ms`);
  }
  async stop(): Promise<void> {
    this.stopFlag = true;
    await this.done;
  }
}

export async function missingRows(cfg: { host: string; port: number; user: string; password: string }, table: string, acked: number[]): Promise<number[]> {
  const c = await mysql.createConnection(cfg);
  const [rows] = await c.query(`SELECT id FROM ${table}`);
  await c.end();
  const have = new Set((rows as Array<{ id: number }>).map((r) => Number(r.id)));
  return acked.filter((id) => !have.has(id));
}

/**
 * Creates an HA instance with a root `password` on `s` and waits for RUNNING, then makes the
 * table `app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)` that the writers fill.
 */
export async function createHaWithTable(s: ServerHandle, name: string, password: string): Promise<any> {
  const r = await s.client.ok('CreateDBInstance', createParams({ InstanceName: name, PaasGoodsId: HA_1C2G, Password: password }));
  const inst = await s.client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 180_000);
  const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: 'root', password });
  try {
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)');
  } finally {
    await c.end();
  }
  return inst;
}
