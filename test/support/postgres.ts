/**
 * A scratch PostgreSQL for tests: one cluster per test process (node:test runs each file in its
 * own), started on first use with Debian's binaries (initdb + pg_ctl, ~2 s), on a free loopback
 * port with its socket in its own folder, so it never meets a system cluster on 5432. Every test
 * takes its own database (`createDatabase`), not its own cluster. The cluster is stopped
 * (`pg_ctl stop -m immediate`) and its folder removed when the process exits, however it exits;
 * scripts/test.sh also kills a leftover one of its run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

export interface ScratchPostgres {
  port: number;
  /** URL of database `db` (default: the `postgres` maintenance database). */
  url(db?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Immediate stop (the closest thing to a crash) and start again on the same port and data. */
  restart(): void;
  /** Immediate stop, data kept, until up(): the database is gone for the nodes (docs/cluster.md "Losing the database"). */
  down(): void;
  up(): void;
  stop(): void;
}

let running: Promise<ScratchPostgres> | undefined;

/** The process's cluster, started on first call. */
export function scratchPostgres(): Promise<ScratchPostgres> {
  running ??= start();
  return running;
}

/** Folder of the newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = majors.map((m) => join(root, m, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  if (!dir) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/setup.sh');
  return dir;
}

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user then. */
function pgTool(bin: string, tool: string, args: string[]): void {
  const cmd = join(bin, tool);
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 }); // bounded: a hang fails, never stalls the suite
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function start(): Promise<ScratchPostgres> {
  const bin = postgresBinDir();
  // Under the run's test prefix, so scripts/test.sh's sweep finds what a killed run left.
  const dir = mkdtempSync(`/tmp/openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-pg-`);
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  let stopped = false;
  let port = 0;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      pgTool(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch { /* not running */ }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { stop(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
  try {
    pgTool(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-N', '-E', 'UTF8', '--locale=C.UTF-8']);
    const launch = () => pgTool(bin, 'pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '120', '-o',
      // Test data only: no fsync makes DDL and commits fast on a loaded machine. Commits stay
      // synchronous (WAL written at commit), so an immediate stop loses nothing, as on a real server.
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`, 'start']);
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        launch();
        break;
      } catch (e) {
        if (attempt >= 3) throw e; // the free port was taken in between: try another
      }
    }
    let n = 0;
    const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
    return {
      get port() { return port; },
      url,
      async createDatabase() {
        const name = `t${process.pid}_${++n}`;
        const c = new pg.Client({ connectionString: url() });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE ${name}`);
        } finally {
          await c.end();
        }
        return url(name);
      },
      restart() {
        pgTool(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        launch();
      },
      down() {
        pgTool(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      },
      up() {
        launch();
      },
      stop,
    };
  } catch (e) {
    stop();
    throw e;
  }
}
