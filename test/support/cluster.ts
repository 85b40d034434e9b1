/**
 * Several real `openrds serve` nodes on one home and one PostgreSQL store (docs/cluster.md): the
 * first is a harness server (it makes the home and its config), the others are started beside it
 * with `serve --home H --store URL --listen 127.0.0.1:0`. Each node can be killed, paused
 * (SIGSTOP/SIGCONT), stopped and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import assert from 'node:assert/strict';
import { overlappingSteps, type TaskStep } from '../../src/store/cluster-repo.js';
import { TestClient } from './cds-client.js';
import { dbPids } from './ha.js';
import { BIN, exited, startServer, stopProcess, waitListening, type ServerHandle } from './harness.js';

export interface ClusterNode {
  name: string;
  url: string;
  client: TestClient;
  readonly proc: ChildProcess;
  readonly pid: number;
  logs(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  alive(): boolean;
}

export interface Cluster {
  home: string;
  store: string;
  first: ServerHandle;
  nodes: ClusterNode[];
  /** A query on the store, as an operator would run it. */
  query<T = any>(text: string, values?: unknown[]): Promise<T[]>;
  /** The member id that owns loop lease `name` now, and its node. */
  loopOwner(name: string): Promise<{ member: string; node?: ClusterNode } | undefined>;
  cleanup(): Promise<void>;
}


/** `beforeOthers` runs once the first node is up, before the others start (e.g. `templates build`). */
export async function startCluster(n: number, store: string, opts: { config?: Record<string, unknown>; env?: Record<string, string>; beforeOthers?: (home: string) => unknown } = {}): Promise<Cluster> {
  const first = await startServer({ store, config: opts.config, env: opts.env });
  opts.beforeOthers?.(first.home);
  // Bounded, so that a store that does not answer fails the test instead of hanging the suite.
  const pool = new pg.Pool({ connectionString: store, max: 2, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
  pool.on('error', () => {});
  const firstNode: ClusterNode = {
    name: 'node-0', url: first.url, client: first.client,
    get proc() { return first.proc; }, get pid() { return first.proc.pid!; },
    logs: () => first.logs(), kill9: () => first.kill9(), stop: () => first.stop(), start: () => first.restart(),
    pause: () => { first.proc.kill('SIGSTOP'); }, resume: () => { first.proc.kill('SIGCONT'); },
    alive: () => first.proc.exitCode === null && first.proc.signalCode === null,
  };
  const nodes: ClusterNode[] = [firstNode];
  for (let i = 1; i < n; i++) nodes.push(await extraNode(`node-${i}`, first, store, opts.env));
  return {
    home: first.home, store, first, nodes,
    async query(text, values) {
      return (await pool.query(text, values as unknown[])).rows;
    },
    async loopOwner(name) {
      const rows = (await pool.query('SELECT l.owner, m.pid FROM loop_leases l JOIN members m ON m.id = l.owner WHERE l.name = $1 AND l.lease_until > (extract(epoch from clock_timestamp()) * 1000)::bigint', [name])).rows;
      if (!rows[0]) return undefined;
      return { member: rows[0].owner, node: nodes.find((x) => x.alive() && x.pid === Number(rows[0].pid)) };
    },
    async cleanup() {
      for (const x of nodes.slice(1)) {
        x.resume();
        if (x.alive()) await x.stop();
        if (process.env.OPENRDS_TEST_LOGS) mkdirSync(process.env.OPENRDS_TEST_LOGS, { recursive: true });
        if (process.env.OPENRDS_TEST_LOGS) writeFileSync(join(process.env.OPENRDS_TEST_LOGS, `${first.home.split('/').pop()}-${x.name}.log`), x.logs());
      }
      first.proc.kill('SIGCONT');
      await first.cleanup();
      await pool.end();
    },
  };
}

async function extraNode(name: string, first: ServerHandle, store: string, env: Record<string, string> = {}): Promise<ClusterNode> {
  let proc!: ChildProcess;
  let out: () => string = () => '';
  let earlier = ''; // output of previous launches
  let port = 0;
  const launch = async () => {
    earlier += out();
    proc = spawn(BIN, ['serve', '--home', first.home, '--store', store, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const l = await waitListening(proc);
    out = l.output;
    port = Number(new URL(l.url).port);
    return l.url;
  };
  const url = await launch();
  const node: ClusterNode = {
    name, url, client: new TestClient(url, first.creds),
    get proc() { return proc; }, get pid() { return proc.pid!; },
    logs: () => earlier + out(),
    async kill9() { proc.kill('SIGKILL'); await exited(proc); },
    async stop() { await stopProcess(proc, `serve ${name}`); },
    async start() { await launch(); },
    pause() { proc.kill('SIGSTOP'); },
    resume() { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGCONT'); },
    alive: () => proc.exitCode === null && proc.signalCode === null,
  };
  return node;
}

/**
 * The store and the host agree after kills: every task FINISH, no step of a task ran on two nodes
 * at once (the step log, overlappingSteps), every task has its steps in the log, every instance
 * RUNNING, every node of a live instance runs and no other mariadbd does. `paused`: a member that
 * was SIGSTOPped mid-step; its overlap with the step's new owner is the pause itself.
 */
export async function checkClusterWhole(c: Cluster, what: string, paused?: string): Promise<void> {
  const tasks = await c.query('SELECT id, type, status, error FROM tasks');
  assert.deepEqual(tasks.filter((t) => t.status !== 'FINISH'), [], `${what}: every task FINISH`);
  const steps = (await c.query('SELECT * FROM task_steps')).map((r) => ({ ...r, token: Number(r.token), started_at: Number(r.started_at), seen_at: Number(r.seen_at), ended_at: r.ended_at === null ? null : Number(r.ended_at) })) as TaskStep[];
  const overlaps = overlappingSteps(steps);
  if (paused) process.stdout.write(`# ${what}: ${overlaps.filter(([a, b]) => a.owner === paused || b.owner === paused).length} overlap(s) of the paused node's step with its new owner\n`);
  assert.deepEqual(overlaps.filter(([a, b]) => a.owner !== paused && b.owner !== paused).map(([a, b]) => `${a.task_id} ${a.name}: ${a.owner} / ${b.owner}`), [], `${what}: no step ran on two nodes at once`);
  for (const t of tasks) {
    const done = steps.filter((s) => s.task_id === t.id && s.outcome === 'done');
    assert.ok(done.length > 0, `${what}: task ${t.id} has its steps in the log`);
  }
  const insts = await c.query('SELECT uuid, status FROM instances WHERE deleted_at IS NULL');
  assert.deepEqual(insts.filter((i) => i.status !== 'RUNNING'), [], `${what}: every instance RUNNING`);
  const nodes = new Set((await c.query('SELECT n.id FROM nodes n JOIN instances i ON i.uuid = n.instance_uuid WHERE i.deleted_at IS NULL')).map((r) => r.id));
  const running = dbPids(c.home);
  assert.deepEqual([...running.keys()].filter((id) => !nodes.has(id)), [], `${what}: no orphan mariadbd`);
  assert.deepEqual([...nodes].filter((id) => !running.has(id)), [], `${what}: every node runs`);
}
