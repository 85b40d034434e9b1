/**
 * Event-loop stall while a datadir template is built and verified (docs/cluster.md "Timing"):
 * builds a template into a scratch home with the real DatadirTemplates (mariadb-install-db,
 * hashing, fsyncs), then verifies it in a fresh instance (hashing every file again), and reports
 * the longest event-loop delay seen meanwhile (perf_hooks.monitorEventLoopDelay, 10 ms resolution)
 * and a 50 ms interval timer's worst lateness. Before the hashing was streamed, serves stalled up
 * to 17 s here and lost their leases.
 *   node --import tsx bench/template-stall.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MariaDbProfile } from '../src/engine/mariadb/mariadb-profile.js';
import { MariaDbBinaries } from '../src/provisioner/local/mariadb-binaries.js';
import { DatadirTemplates } from '../src/provisioner/local/templates.js';

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
} finally {
  rmSync(home, { recursive: true, force: true });
}
