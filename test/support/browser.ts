/**
 * Headless Chromium (Debian's package, installed by scripts/setup.sh) driven by playwright-core,
 * for the console's browser tests and bench:console. Screenshots go to test-artifacts/ (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './harness.js';

export const CHROMIUM = process.env.OPENRDS_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** `args`: extra Chromium switches (e.g. --host-resolver-rules). */
export function launchBrowser(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-gpu', '--disable-dev-shm-usage', ...args] });
}

/** Saves a full-page screenshot as test-artifacts/<dir>/<name>.png; returns the path. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const out = join(ARTIFACTS, dir);
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
