/**
 * Test hooks that hold a process at a chosen point so that a test can kill -9 or SIGSTOP it
 * there. Each is named by an environment variable holding a file path; unset (production), a
 * hook costs one lookup. While the file exists and its content matches, the caller waits,
 * calling `onPause` once.
 *
 * - OPENRDS_TEMPLATE_BUILD_PAUSE_FILE: a datadir template build, after its datadir is made and
 *   before its manifest is written (any content);
 * - OPENRDS_STEP_PAUSE_FILE: a task step whose name is the file's content, after the step ran and
 *   before its end and the task's progress are written.
 */
import { readFileSync } from 'node:fs';

export const TEMPLATE_BUILD_PAUSE_ENV = 'OPENRDS_TEMPLATE_BUILD_PAUSE_FILE';
export const STEP_PAUSE_ENV = 'OPENRDS_STEP_PAUSE_FILE';

function holds(file: string, matches: (content: string) => boolean): boolean {
  try {
    return matches(readFileSync(file, 'utf8').trim());
  } catch {
    return false; // no such file
  }
}

export async function pauseHere(env: string, matches: (content: string) => boolean, onPause: () => void): Promise<void> {
  const file = process.env[env];
  if (!file || !holds(file, matches)) return;
  onPause();
  while (holds(file, matches)) await new Promise((r) => setTimeout(r, 100));
}
