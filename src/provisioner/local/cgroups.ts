/**
 * Hard CPU and memory limits for local nodes (docs/engine-config.md "Resource limits"): each
 * mariadbd runs in its own cgroup, entered by a tiny shell BEFORE exec (moving a running process
 * does not move its memory charge). cgroup v2 when /sys/fs/cgroup/cgroup.controllers exists,
 * else v1 (memory + cpu hierarchies); `advisory` when neither is writable, or with
 * OPENRDS_CGROUPS=off. The path and value computations are pure; the I/O is the small rest.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type LimitsMode = 'cgroup-v1' | 'cgroup-v2' | 'advisory';
export const CGROUP_ROOT = '/sys/fs/cgroup';
/** CFS period: 100 ms, the kernel default. */
export const CPU_PERIOD_US = 100_000;
const GIB = 1024 ** 3;

export interface Limits { cpu: number; ramGb: number }

/** One group per node, unique per home (node ids are short and only unique within a home). */
export function groupName(nodesDir: string, nodeId: string): string {
  return `${homeTag(nodesDir)}-${nodeId}`;
}
export function homeTag(nodesDir: string): string {
  return createHash('sha1').update(nodesDir).digest('hex').slice(0, 10);
}

/** The node's group directories (one per v1 hierarchy, one in v2). */
export function groupDirs(mode: LimitsMode, group: string, root = CGROUP_ROOT): string[] {
  if (mode === 'cgroup-v1') return [join(root, 'memory', 'openrds', group), join(root, 'cpu', 'openrds', group)];
  if (mode === 'cgroup-v2') return [join(root, 'openrds', group)];
  return [];
}

/** The files to write and their values, in order. */
export function limitFiles(mode: LimitsMode, group: string, l: Limits, root = CGROUP_ROOT): Array<{ path: string; value: string }> {
  const mem = String(Math.round(l.ramGb * GIB));
  const quota = String(Math.round(l.cpu * CPU_PERIOD_US));
  if (mode === 'cgroup-v1') {
    const [m, c] = groupDirs(mode, group, root) as [string, string];
    return [
      { path: join(m, 'memory.limit_in_bytes'), value: mem },
      { path: join(c, 'cpu.cfs_period_us'), value: String(CPU_PERIOD_US) },
      { path: join(c, 'cpu.cfs_quota_us'), value: quota },
    ];
  }
  if (mode === 'cgroup-v2') {
    const [g] = groupDirs(mode, group, root) as [string];
    return [{ path: join(g, 'memory.max'), value: mem }, { path: join(g, 'cpu.max'), value: `${quota} ${CPU_PERIOD_US}` }];
  }
  return [];
}

/** The files a process id is written to so that it joins the group. */
export function procsFiles(mode: LimitsMode, group: string, root = CGROUP_ROOT): string[] {
  return groupDirs(mode, group, root).map((d) => join(d, 'cgroup.procs'));
}

/**
 * `sh -c <script> <command> <args…>`: the shell writes its own pid into the group, then execs the
 * server with the same pid, so the server starts inside the group. Paths are quoted for sh.
 */
export function wrapCommand(mode: LimitsMode, group: string, command: string, args: readonly string[], root = CGROUP_ROOT): { command: string; args: string[] } {
  const files = procsFiles(mode, group, root);
  if (files.length === 0) return { command, args: [...args] };
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [...files.map((f) => `echo $$ > ${q(f)}`), 'exec "$0" "$@"'].join(' && ');
  return { command: 'sh', args: ['-c', script, command, ...args] };
}

/** Finds what this host allows, by creating the `openrds` parent group(s). Cached per process. */
let detected: LimitsMode | undefined;
export function detectMode(root = CGROUP_ROOT): LimitsMode {
  if (detected && root === CGROUP_ROOT) return detected;
  let mode: LimitsMode = 'advisory';
  if (process.env.OPENRDS_CGROUPS !== 'off') {
    try {
      if (existsSync(join(root, 'cgroup.controllers'))) {
        mkdirSync(join(root, 'openrds'), { recursive: true });
        writeFileSync(join(root, 'cgroup.subtree_control'), '+memory +cpu');
        writeFileSync(join(root, 'openrds', 'cgroup.subtree_control'), '+memory +cpu');
        mode = 'cgroup-v2';
      } else if (existsSync(join(root, 'memory')) && existsSync(join(root, 'cpu'))) {
        mkdirSync(join(root, 'memory', 'openrds'), { recursive: true });
        mkdirSync(join(root, 'cpu', 'openrds'), { recursive: true });
        mode = 'cgroup-v1';
      }
    } catch {
      mode = 'advisory';
    }
  }
  if (root === CGROUP_ROOT) detected = mode;
  return mode;
}

/**
 * Creates the group and writes the limits. `running`: the server already runs with its old
 * settings, so a memory limit below the current one is left for the next start (lowering it
 * under a live buffer pool would make the kernel reclaim or kill); the CPU quota applies at once.
 */
export function applyLimits(mode: LimitsMode, group: string, l: Limits, opts: { running: boolean }, root = CGROUP_ROOT): void {
  for (const d of groupDirs(mode, group, root)) mkdirSync(d, { recursive: true });
  for (const f of limitFiles(mode, group, l, root)) {
    if (opts.running && /memory\.(limit_in_bytes|max)$/.test(f.path)) {
      const cur = Number(readFileSync(f.path, 'utf8').trim());
      if (Number.isFinite(cur) && cur > Number(f.value)) continue;
    }
    writeFileSync(f.path, f.value);
  }
}

/** Removes a node's group (its processes must be gone); retried briefly, the kernel frees them lazily. */
export async function removeGroup(mode: LimitsMode, group: string, root = CGROUP_ROOT): Promise<void> {
  for (const d of groupDirs(mode, group, root)) {
    for (let i = 0; i < 50 && existsSync(d); i++) {
      try {
        rmdirSync(d);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** Removes every group of a home (test and operator cleanup), after its processes were killed. */
export async function removeHomeGroups(nodesDir: string, root = CGROUP_ROOT): Promise<void> {
  const tag = homeTag(nodesDir);
  for (const parent of [join(root, 'memory', 'openrds'), join(root, 'cpu', 'openrds'), join(root, 'openrds')]) {
    let names: string[] = [];
    try { names = readdirSync(parent); } catch { continue; }
    for (const n of names.filter((x) => x.startsWith(`${tag}-`))) {
      for (let i = 0; i < 30; i++) {
        try { rmdirSync(join(parent, n)); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
  }
}
