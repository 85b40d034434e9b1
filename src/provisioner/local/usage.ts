/**
 * Process and disk readings for the local provisioner's usage(): /proc parsing (pure) and a
 * datadir walk. /proc reads are synchronous on purpose: procfs is served from kernel memory
 * and never waits on a disk, and a sync read costs a few µs where an async one costs ~100 µs.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (100 on every Linux architecture we run on). */
export const CLK_TCK = 100;

/** utime and stime (fields 14 and 15 of /proc/PID/stat) in seconds; undefined if unreadable. */
export function parseProcStatCpu(stat: string): number | undefined {
  const close = stat.lastIndexOf(')'); // the command name (field 2) may hold spaces and parentheses
  if (close < 0) return undefined;
  const f = stat.slice(close + 2).split(' '); // f[0] is field 3 (state)
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || f[11] === undefined || f[12] === undefined) return undefined;
  return (utime + stime) / CLK_TCK;
}

/** VmRSS of /proc/PID/status in bytes; undefined if absent (e.g. a zombie). */
export function parseVmRss(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** CPU seconds and RSS of a live process, or undefined when it is gone; `statLine`: its /proc/PID/stat, when already read. */
export function readProcUsage(pid: number, statLine?: string): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    const cpuSeconds = parseProcStatCpu(statLine ?? readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const rssBytes = parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (cpuSeconds === undefined || rssBytes === undefined) return undefined;
    return { cpuSeconds, rssBytes };
  } catch {
    return undefined;
  }
}

/**
 * Bytes allocated on disk under `dir` (st_blocks × 512, what `du` counts and what fills the
 * disk), symlinks not followed. Files that vanish during the walk (a purged binlog) count 0.
 */
export function diskUsage(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) total += diskUsage(p) + lstatSync(p).blocks * 512;
      else total += lstatSync(p).blocks * 512;
    } catch {
      /* removed meanwhile */
    }
  }
  return total;
}
