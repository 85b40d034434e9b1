/**
 * WAL checkpoints of an SQLite file in a worker thread, off the event loop.
 *
 * Why: better-sqlite3 runs synchronously, so an automatic checkpoint (every 1,000 WAL pages, with
 * its fsyncs) stops the whole API for milliseconds on whichever commit crosses the line; the nonce
 * commit of every request crossed it every few hundred requests (bench/RESULTS.md 2f, p99 30 ms).
 * Here the file's own connection gets `wal_autocheckpoint = 0` and a worker with a connection of
 * its own runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`. PASSIVE never waits for the
 * writer; in WAL mode a checkpoint and a commit run side by side.
 *
 * Durability (synchronous = NORMAL): a commit is written to the WAL before it returns, so it
 * survives a crash of the process at once; the checkpoint fsyncs the WAL first, so after a host
 * crash at most the commits of the last interval (plus the checkpoint's own run) can be lost.
 * Before, with automatic checkpoints, that window was "since the last 1,000 pages", unbounded in time.
 *
 * If the worker cannot run (or dies), the connection goes back to automatic checkpoints.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
let stopping = false;
const run = () => {
  if (stopping) return;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  setTimeout(run, workerData.intervalMs);
};
parentPort.on('message', (m) => { if (m === 'stop') { stopping = true; try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); parentPort.close(); } });
setTimeout(run, workerData.intervalMs);
`;

export interface WalCheckpointer {
  /** Asks the worker to run a last checkpoint and end; resolves when it has ended (at most ~2 s). */
  stop(): Promise<void>;
}

export function startWalCheckpointer(conn: BetterSqlite3.Database, file: string, intervalMs = 1000): WalCheckpointer {
  const auto = conn.pragma('wal_autocheckpoint', { simple: true }) as number;
  const fallback = () => { try { conn.pragma(`wal_autocheckpoint = ${auto}`); } catch { /* closed */ } };
  conn.pragma('wal_autocheckpoint = 0');
  let worker: Worker;
  try {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file, intervalMs } });
  } catch {
    fallback();
    return { async stop() {} };
  }
  worker.unref();
  let stopped = false;
  let exited = false;
  worker.on('error', fallback);
  worker.on('exit', () => { exited = true; if (!stopped) fallback(); });
  // A failed round (the file busy, say) is retried by the next one; only a worker gone for good
  // hands checkpoints back to the connection.
  return {
    async stop() {
      if (stopped || exited) return;
      stopped = true;
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref(); // a caller awaiting the stop keeps the process alive until the worker has ended
      worker.postMessage('stop');
      const late = setTimeout(() => void worker.terminate(), 2000);
      late.unref();
      await gone;
      clearTimeout(late);
    },
  };
}
