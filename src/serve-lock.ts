/**
 * One `serve` per home, recorded as its pid in `<home>/serve.lock` (homePaths().lock): written at
 * the start, removed at a clean stop. A `kill -9` leaves the file, so a pid counts only while that
 * process lives.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAlive } from './provisioner/local/proc.js';

/** The pid of the serve that holds the lock, when that process still lives (not this process). */
export function runningServePid(lockFile: string): number | undefined {
  if (!existsSync(lockFile)) return undefined;
  let pid = 0;
  try {
    pid = Number(readFileSync(lockFile, 'utf8').trim());
  } catch { /* removed meanwhile */ }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** Takes the lock for this process; a second serve would fight over the same tasks and processes. */
export function takeLock(lockFile: string): void {
  const pid = runningServePid(lockFile);
  if (pid) throw new Error(`another openrds serve (pid ${pid}) already runs on this home; stop it first or use another --home`);
  writeFileSync(lockFile, String(process.pid));
}
