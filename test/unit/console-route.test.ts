/**
 * The /console route (src/console/route.ts) through app.inject on the real API server: the page
 * and its bundle are served with a same-origin CSP, ETags work, nothing else under /console is
 * served, and the bundle is rebuilt when an input changes (build.ts staleReason).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { buildConsole, CONSOLE_OUT, staleReason } from '../../src/console/build.js';
import { consoleRoute } from '../../src/console/route.js';
import type { FastifyInstance } from 'fastify';
import { ACTIONS } from '../../src/actions/index.js';
import { buildServer } from '../../src/api/server.js';
import { startApiApp, type ApiApp } from '../support/api-app.js';

let a: ApiApp;
let app: FastifyInstance;
before(async () => {
  a = await startApiApp();
  app = buildServer(a.svc, ACTIONS); // the same server startApp builds, with the console registered
  await app.register(consoleRoute(pino({ level: 'silent' })));
  await app.ready();
});
after(async () => { await app.close(); await a.close(); });

const PAGES: Array<[string, number, RegExp]> = [
  ['/console', 200, /^text\/html/],
  ['/console/', 200, /^text\/html/],
  ['/console/app.js', 200, /^text\/javascript/],
  ['/console/app.css', 200, /^text\/css/],
  ['/console/manifest.json', 404, /json/],
  ['/console/../package.json', 404, /json/],
  ['/console/app.js.map', 404, /json/],
];
for (const [url, status, type] of PAGES) {
  test(`GET ${url} → ${status}`, async () => {
    const r = await app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, status, r.body.slice(0, 200));
    assert.match(String(r.headers['content-type']), type);
    if (status === 200) {
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
      assert.match(String(r.headers['content-security-policy']), /connect-src 'self'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
  });
}

test('the page loads only same-origin files (no CDN)', async () => {
  const r = await app.inject({ method: 'GET', url: '/console' });
  assert.doesNotMatch(r.body, /https?:\/\//);
  assert.match(r.body, /src="\/console\/app\.js"/);
  const js = await app.inject({ method: 'GET', url: '/console/app.js' });
  assert.doesNotMatch(js.body, /import\s*\(?\s*["']https?:/);
  assert.equal(js.body, readFileSync(join(CONSOLE_OUT, 'app.js'), 'utf8'));
});

test('every chunk of the manifest is served as JavaScript, the chart chunk apart from app.js', async () => {
  const m = JSON.parse(readFileSync(join(CONSOLE_OUT, 'manifest.json'), 'utf8'));
  const chunks = (m.outputs as string[]).filter((f) => !['app.js', 'app.css'].includes(f));
  assert.ok(chunks.some((f) => f.startsWith('tab-monitoring-')), JSON.stringify(m.outputs));
  for (const f of chunks) {
    const r = await app.inject({ method: 'GET', url: `/console/${f}` });
    assert.equal(r.statusCode, 200, f);
    assert.match(String(r.headers['content-type']), /javascript|css/);
  }
  // uPlot is only in the chart chunk, so the list page does not load it.
  const js = await app.inject({ method: 'GET', url: '/console/app.js' });
  assert.doesNotMatch(js.body, /uplot/i);
});

test('an ETag answers 304', async () => {
  const r = await app.inject({ method: 'GET', url: '/console/app.js' });
  const again = await app.inject({ method: 'GET', url: '/console/app.js', headers: { 'if-none-match': String(r.headers.etag) } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
});

test('POST /console answers 405 with Allow: GET', async () => {
  const r = await app.inject({ method: 'POST', url: '/console/app.js' });
  assert.equal(r.statusCode, 405);
  assert.equal(r.headers.allow, 'GET');
});

test('a bundle that cannot be built: /console answers 503 with what to run, the API still works', async () => {
  const other = buildServer(a.svc, ACTIONS);
  // A file where the output folder should be: the build cannot write there.
  const dir = mkdtempSync(join(tmpdir(), 'openrds-console-'));
  writeFileSync(join(dir, 'out'), 'not a folder');
  try {
    await other.register(consoleRoute(pino({ level: 'silent' }), join(dir, 'out')));
    await other.ready();
    const r = await other.inject({ method: 'GET', url: '/console' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build:console/);
    const h = await other.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
  } finally {
    await other.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('staleReason: current after a build, stale when a file is missing or an input changed', async () => {
  const out = mkdtempSync(join(tmpdir(), 'openrds-console-'));
  try {
    assert.equal(staleReason(out), 'no bundle yet');
    const sizes = await buildConsole(out);
    assert.ok(sizes['app.js']! > 1000 && sizes['app.css']! > 100, JSON.stringify(sizes));
    assert.equal(staleReason(out), undefined);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.ok(Object.keys(m.inputs).some((p) => p.includes('uplot')), 'uPlot is bundled in');
    // An input whose recorded hash no longer matches (as after an edit).
    const first = Object.keys(m.inputs)[0]!;
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...m, inputs: { ...m.inputs, [first]: 'x' } }));
    assert.equal(staleReason(out), `${first} changed`);
    cpSync(join(out, 'app.js'), join(out, 'app.js.bak'));
    rmSync(join(out, 'app.js'));
    assert.equal(staleReason(out), 'app.js is missing');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
