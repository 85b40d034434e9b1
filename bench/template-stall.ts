/**
 * Event-loop stall while a datadir template is built and verified (docs/cluster.md "Timing"):
 * builds a template into a scratch home with the real DatadirTemplates (mariadb-install-db,
 * hashing, fsyncs), then verifies it in a fresh instance (hashing every file again), and reports
 * the longest event-loop delay seen meanwhile (perf_hooks.monitorEventLoopDelay, 10 ms resolution)
 * and a 50 ms interval timer's worst lateness. Before the hashing was streamed, serves stalled up
 * to 17 s here and lost their leases. Baseline in the same run: the same files hashed the old way
 * (readFileSync + SHA-256, synchronous), whose whole duration is one block of the event loop.
 *   node --import tsx bench/template-stall.ts
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MariaDbProfile } from '../src/engine/mariadb/mariadb-profile.js';
import { MariaDbBinaries } from '../src/provisioner/local/mariadb-binaries.js';
import { DatadirTemplates, listFiles } from '../src/provisioner/local/templates.js';

const home = mkdtempSync(join(tmpdir(), 'openrds-bench-stall-'));
try {
  for (const phase of ['build', 'verify'] as const) {
    const h = monitorEventLoopDelay({ resolution: 10 });
    let last = performance.now();
    let worstLate = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worstLate = Math.max(worstLate, now - last - 50);
      last = now;
    }, 50);
    h.enable();
    const t0 = performance.now();
    const t = await new DatadirTemplates(home, new MariaDbProfile(), new MariaDbBinaries()).ensure();
    const ms = performance.now() - t0;
    h.disable();
    clearInterval(tick);
    process.stdout.write(`${phase}: ${Math.round(ms)} ms (built ${t.built}); event-loop delay max ${Math.round(h.max / 1e6)} ms, p99 ${Math.round(h.percentile(99) / 1e6)} ms; 50 ms timer worst late ${Math.round(worstLate)} ms\n`);
  }
  // Baseline: the previous synchronous hashing of the same datadir (one uninterrupted block).
  const data = join(home, 'templates', (await new DatadirTemplates(home, new MariaDbProfile(), new MariaDbBinaries()).ensure()).key, 'data');
  const files = await listFiles(data, false);
  const t0 = performance.now();
  for (const f of files) createHash('sha256').update(readFileSync(join(data, f.path))).digest('hex');
  const bytes = files.reduce((a, f) => a + f.size, 0);
  process.stdout.write(`baseline (synchronous hashing as before): ${files.length} files, ${Math.round(bytes / 2 ** 20)} MiB, event loop blocked ${Math.round(performance.now() - t0)} ms in one piece\n`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
