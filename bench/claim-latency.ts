/**
 * Claim latency (issue 12 "Benchmarks", docs/cluster.md): submit → first step start of a task
 * with one no-op step, on SQLite and on PostgreSQL in the same run. Two "nodes" are two Stores and
 * two TaskRunners in this process on one database (the claim, the lease token, the step-log row
 * and the wake-up are the real code; only the step does nothing):
 *   same node:   submitted through node A's store and kicked there, claimed by A;
 *   cross node:  submitted through A (A runs no runner), claimed by B, woken by PostgreSQL
 *                NOTIFY/LISTEN; on SQLite only one serve runs per home, so the cross-node row
 *                shows the 500 ms poll a second process would rely on.
 * Usage: node --import tsx bench/claim-latency.ts [--n 100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Services } from '../src/services.js';
import { openStore, type StoreLocation } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { newTaskRow } from '../src/tasks/new-task.js';
import { TaskRunner } from '../src/tasks/runner.js';
import type { TaskDefinition } from '../src/tasks/task.js';
import { scratchPostgres } from '../test/support/postgres.js';
import { machine, median, round, sourceRevision } from './support.js';

const N = Number(process.argv[process.argv.indexOf('--n') + 1]) || 100;
const quiet = pino({ level: 'silent' });

function services(store: Store, runner: () => TaskRunner | undefined): Services {
  return {
    config: { hostId: 'bench', tasks: { concurrency: 8, leaseMs: 15_000, stepRetries: 0 } },
    store, clock: { now: () => Date.now() }, log: quiet,
    kickTasks: () => { runner()?.kick(); store.announceTasks().catch(() => {}); },
  } as unknown as Services;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function measure(loc: StoreLocation, cross: boolean): Promise<number[]> {
  const a = await openStore(loc);
  const b = cross ? await openStore(loc) : a;
  let started: (() => void) | undefined;
  const def: TaskDefinition = { type: 'BenchNoop', steps: [{ name: 'noop', async run() { started?.(); } }] };
  let runner: TaskRunner | undefined;
  const svcA = services(a, () => (cross ? undefined : runner));
  runner = new TaskRunner(cross ? services(b, () => runner) : svcA, 'bench-runner', quiet);
  runner.register(def);
  runner.start();
  await new Promise((r) => setTimeout(r, 500)); // LISTEN connected
  const out: number[] = [];
  try {
    for (let i = 0; i < N + 5; i++) {
      const t0 = performance.now();
      const seen = new Promise<void>((r) => { started = r; });
      await a.insertTask(newTaskRow({ tenantId: 't', instanceUuid: `bench-${cross}-${i}-${Date.now()}`, type: 'BenchNoop', now: Date.now() }));
      svcA.kickTasks();
      await seen;
      if (i >= 5) out.push(performance.now() - t0); // the first few warm the pool and statements
      await runner.idle();
    }
  } finally {
    await runner.stop(100);
    if (b !== a) await b.close();
    await a.close();
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'openrds-bench-claim-'));
try {
  const pg = await scratchPostgres();
  const rows: string[] = [];
  for (const [name, loc] of [['SQLite', { backend: 'sqlite', file: join(dir, 'o.db') }], ['PostgreSQL', { backend: 'postgres', url: await pg.createDatabase() }]] as Array<[string, StoreLocation]>) {
    for (const cross of [false, true]) {
      const xs = await measure(loc, cross);
      rows.push(`| ${name} | ${cross ? (name === 'SQLite' ? 'other process (poll; one serve per home on SQLite)' : 'another node (NOTIFY)') : 'same node'} | ${N} | **${round(median(xs), 1)}** | ${round(pct(xs, 0.9), 1)} | ${round(Math.max(...xs), 1)} |`);
    }
  }
  process.stdout.write(`${machine()}, ${sourceRevision()}\n\n| store | submitted on | n | median ms | p90 ms | max ms |\n| --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
