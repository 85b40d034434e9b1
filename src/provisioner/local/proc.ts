/** Small helpers over /proc and signals for processes that may not be our children. */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/**
 * Runs a tool to completion and returns its stdout; on failure the error names the command and
 * carries the last lines of its stderr (what an operator needs to see in a task's StatusDetail).
 */
export async function runTool(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = (err.stderr || err.message).trim().split('\n').slice(-6).join(' | ');
    throw new Error(`${cmd.split('/').pop()} ${args.join(' ')} failed: ${why}`, { cause: e });
  }
}

/** The argv of a live, non-zombie process, or undefined. */
export function processArgv(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  return processArgv(pid) !== undefined;
}

/** Pids whose argv contains `needle` (scans /proc; used for adoption and cleanup only). */
export function findProcesses(needle: string): Array<{ pid: number; argv: string[] }> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const argv = processArgv(pid);
    if (argv && argv.some((a) => a.includes(needle))) out.push({ pid, argv });
  }
  return out;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

export async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isAlive(pid);
}

/**
 * Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. Pids are
 * reused, but never with the same start time, so the two together name one run of one process.
 */
export function parseStartTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')'); // the command name (field 2) may hold spaces and parentheses
  if (close < 0) return undefined;
  const v = stat.slice(close + 2).split(' ')[19]; // [0] is field 3
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** State (field 3) and start ticks (field 22) of a /proc/PID/stat line; undefined when it does not parse. Pure. */
export function parseStat(stat: string): { state: string; startTicks: number } | undefined {
  const close = stat.lastIndexOf(')');
  const startTicks = parseStartTicks(stat);
  if (close < 0 || startTicks === undefined) return undefined;
  return { state: stat.slice(close + 2, close + 3), startTicks };
}

/**
 * Whether the run of a process named by `pid` and `startTicks` still lives (not a zombie), with a
 * single read of /proc/PID/stat: a pid that was reused has another start time, so its argv need
 * not be read again to know it is still the same process.
 */
export function stillRunning(pid: number, startTicks: number): boolean {
  try {
    const st = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return !!st && st.startTicks === startTicks && st.state !== 'Z' && st.state !== 'X';
  } catch {
    return false;
  }
}

/**
 * stillRunning() for processes checked again and again (every node each second, every archive
 * stream each round), through a /proc/PID/stat descriptor kept open: one read (~5 µs measured
 * here) instead of an open, a read and a close (~24 µs). A descriptor refers to the process it
 * was opened for: once that process is gone (reaped) a read fails with ESRCH, even if its pid was
 * reused, so identity is checked once, when the descriptor is opened.
 */
export class KeptStat {
  private readonly fds = new Map<string, number>();
  private readonly buf = Buffer.alloc(1024);

  constructor(private readonly max = 4096) {}

  alive(pid: number, startTicks: number): boolean {
    return this.text(pid, startTicks) !== undefined;
  }

  /** The process's /proc/PID/stat line while that run lives (not a zombie); undefined once it ended. */
  text(pid: number, startTicks: number): string | undefined {
    const key = `${pid}.${startTicks}`;
    let fd = this.fds.get(key);
    if (fd === undefined) {
      try {
        fd = openSync(`/proc/${pid}/stat`, 'r');
      } catch {
        return undefined;
      }
      if (this.fds.size >= this.max) this.clear(); // processes no one asks about any more
      this.fds.set(key, fd);
    }
    const text = this.read(fd);
    const st = text === undefined ? undefined : parseStat(text);
    // Checked on every read, not only the first: cheap, and a reused pid's process never passes.
    if (st && st.startTicks === startTicks && st.state !== 'Z' && st.state !== 'X') return text;
    this.fds.delete(key);
    closeSync(fd);
    return undefined;
  }

  private read(fd: number): string | undefined {
    try {
      const n = readSync(fd, this.buf, 0, this.buf.length, 0);
      return this.buf.toString('latin1', 0, n);
    } catch {
      return undefined; // ESRCH: the process is gone
    }
  }

  /** Closes the descriptor of a process no one will ask about again (its node or stream is gone). */
  forget(pid: number, startTicks: number): void {
    const key = `${pid}.${startTicks}`;
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    closeSync(fd);
  }

  clear(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** The local provisioner's NodeRuntime.incarnation of a live process (`<pid>.<start ticks>`), or undefined when it is gone. */
export function incarnationOf(pid: number): string | undefined {
  try {
    const start = parseStartTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return start === undefined ? undefined : `${pid}.${start}`;
  } catch {
    return undefined;
  }
}
