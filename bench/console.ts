/**
 * Console benchmark (issue 14): the bundle's size, and the time from navigation to the first
 * rendered list of 100 instances (seeded store rows, as bench/api.ts does) in headless Chromium,
 * already signed in (the key pair is put in sessionStorage before the page runs). Measured in the
 * page: the `openrds:instances-rendered` performance mark the list sets once its rows are in the
 * DOM, relative to the navigation's start (performance.timeOrigin). Cold = a new browser context
 * each run (empty HTTP cache); warm = the same context (the bundle revalidated with its ETag).
 * Reference in the same run: the signed DescribeDBInstances of those 100 from Node (TestClient).
 * Target: ≤ 1 s.
 *
 *   npm run bench:console -- [--runs 15] [--json out.json]
 */
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestClient } from '../test/support/cds-client.js';
import { launchBrowser } from '../test/support/browser.js';
import { CONSOLE_OUT } from '../src/console/build.js';
import { seed } from './api-support.js';
import { cleanupAll, freeLoopbackNet, machine, max, median, round, sourceRevision, startServe } from './support.js';

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const RUNS = Number(opt('runs') ?? 15);
const JSON_OUT = opt('json');
const COUNT = 100;

async function main() {
  const startedAt = new Date();
  const mach = machine();
  const net = await freeLoopbackNet(24);
  const s = await startServe({ cidr: net.cidr });
  const browser = await launchBrowser();
  const cold: number[] = [];
  const warm: number[] = [];
  const apiInPage: number[] = [];
  const node: number[] = [];
  const details: Array<Record<string, number>> = [];
  try {
    seed(s, net.ip, COUNT);
    const c = new TestClient(s.url, s.creds);
    const creds = JSON.stringify({ accessKeyId: s.creds.AccessKeyId, secret: s.creds.AccessKeySecret });
    const newContext = async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await ctx.addInitScript((v) => sessionStorage.setItem('openrds.console.creds', v), creds);
      return ctx;
    };
    /** One navigation: ms from its start to the list mark, and the API call's duration in the page. */
    const once = async (page: import('playwright-core').Page): Promise<[number, number, Record<string, number>]> => {
      if (process.env.BENCH_DEBUG) page.on('console', (m) => process.stderr.write(`  page: ${m.text()}\n`));
      await page.goto(`${s.url}/console#/instances`);
      await page.locator('[data-testid=instances][data-loaded=true]').waitFor({ timeout: 30_000 });
      const rows = await page.locator('[data-testid=instances] tbody tr').count();
      if (rows !== COUNT) throw new Error(`the list shows ${rows} rows, not ${COUNT}`);
      return page.evaluate(() => {
        const mark = performance.getEntriesByName('openrds:instances-rendered')[0]!;
        const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('Action=DescribeDBInstances'))[0] as PerformanceResourceTiming | undefined;
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const js = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/console/app.js')) as PerformanceResourceTiming | undefined;
        const detail = { htmlEnd: nav.responseEnd, appJsEnd: js?.responseEnd ?? NaN, domContentLoaded: nav.domContentLoadedEventEnd, apiStart: api?.startTime ?? NaN, apiEnd: api?.responseEnd ?? NaN, data: performance.getEntriesByName('openrds:instances-data')[0]?.startTime ?? NaN, rendered: mark.startTime };
        console.log(JSON.stringify(detail));
        return [mark.startTime, api ? api.responseEnd - api.startTime : NaN, detail] as [number, number, Record<string, number>];
      });
    };
    // Warm-up: the first Chromium page and the server's first requests.
    { const ctx = await newContext(); await once(await ctx.newPage()); await ctx.close(); }
    const warmCtx = await newContext();
    for (let i = 0; i < RUNS; i++) {
      const ctx = await newContext();
      const [t, api, detail] = await once(await ctx.newPage());
      cold.push(t);
      details.push(detail);
      apiInPage.push(api);
      await ctx.close();
      const p = await warmCtx.newPage();
      warm.push((await once(p))[0]);
      await p.close();
      const t0 = performance.now();
      const r = await c.ok('DescribeDBInstances', {}, { method: 'POST' });
      node.push(performance.now() - t0);
      if (r.data.length !== COUNT) throw new Error(`API lists ${r.data.length}`);
      process.stderr.write(`  timeline ${JSON.stringify(Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, round(v)])))}\n`);
      process.stderr.write(`run ${i + 1}: cold ${round(t, 1)} ms (API in page ${round(api, 1)} ms), warm ${round(warm.at(-1)!, 1)} ms, Node API ${round(node.at(-1)!, 1)} ms\n`);
    }
    await warmCtx.close();
  } finally {
    await browser.close();
    await s.stop();
    cleanupAll();
  }
  const outputs: string[] = JSON.parse(readFileSync(join(CONSOLE_OUT, 'manifest.json'), 'utf8')).outputs;
  const files = outputs.map((f) => {
    const b = readFileSync(join(CONSOLE_OUT, f));
    return { file: f, bytes: b.length, gzipBytes: gzipSync(b, { level: 9 }).length };
  });
  const result = {
    benchmark: 'console', startedAt: startedAt.toISOString(), machine: mach, revision: sourceRevision(),
    command: `node --import tsx bench/console.ts ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { runs: RUNS, instances: COUNT, viewport: '1280x800', browser: 'Debian chromium, headless, playwright-core' },
    bundle: files, bundleTotal: { bytes: files.reduce((a, f) => a + f.bytes, 0), gzipBytes: files.reduce((a, f) => a + f.gzipBytes, 0) },
    /** What the list page loads: everything but the chart chunk (uPlot), fetched when Monitoring opens. */
    listPage: { bytes: files.filter((f) => !f.file.startsWith('tab-monitoring-')).reduce((a, f) => a + f.bytes, 0) },
    coldMs: { median: round(median(cold), 1), max: round(max(cold), 1), all: cold.map((x) => round(x, 1)) },
    warmMs: { median: round(median(warm), 1), max: round(max(warm), 1), all: warm.map((x) => round(x, 1)) },
    apiInPageMs: { median: round(median(apiInPage), 1) },
    /** Medians over the cold runs, ms since the navigation started. */
    coldTimeline: Object.fromEntries(Object.keys(details[0] ?? {}).map((k) => [k, round(median(details.map((d) => d[k]!)), 1)])),
    nodeApiMs: { median: round(median(node), 1), max: round(max(node), 1) },
    target: { want: 'navigation → first rendered list of 100 ≤ 1000 ms', worstCold: round(max(cold), 1), met: max(cold) <= 1000 && max(warm) <= 1000 },
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:console failed: ${e?.stack ?? e}\n`);
  cleanupAll();
  process.exit(1);
});
