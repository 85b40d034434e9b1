/**
 * Docs a user can trust (issue 14 §5), the checks that need no server: every marked shell block of
 * README.md and docs/ has a test that runs it (and every block a test runs is still there); every
 * repository path the docs name exists; the docs point to no file outside the repository; the
 * operator guide's config example is a config `serve` accepts. The marked blocks themselves run
 * in test/integration/docs-examples.test.ts and backups.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { blocksOf, docFiles, fill, placeholders } from '../support/doc-blocks.js';
import { ROOT } from '../support/harness.js';

/** Marker → the test that runs the block. A new marker needs a runner before it may appear. */
const RUNNERS: Record<string, string> = {
  'readme:keys': 'test/integration/docs-examples.test.ts',
  'readme:create': 'test/integration/docs-examples.test.ts',
  'readme:connect': 'test/integration/docs-examples.test.ts',
  'readme:ha': 'test/integration/docs-examples.test.ts',
  'readme:read-only': 'test/integration/docs-examples.test.ts',
  'example:backup-policy': 'test/integration/docs-examples.test.ts',
  'restore:physical': 'test/integration/backups.test.ts',
  'restore:logical': 'test/integration/backups.test.ts',
  'config:example': 'test/unit/docs.test.ts',
};

const all = docFiles().flatMap(blocksOf);

test('every marked block has a runner, and every runner finds its block', () => {
  const marked = all.filter((b) => b.marker);
  for (const b of marked) assert.ok(RUNNERS[b.marker!], `${b.file}: <!-- ${b.marker} --> has no test that runs it; add it to RUNNERS and run it`);
  for (const [m, runner] of Object.entries(RUNNERS)) {
    assert.ok(marked.some((b) => b.marker === m), `no block <!-- ${m} --> is left in the docs`);
    assert.match(readFileSync(join(ROOT, runner), 'utf8'), new RegExp(m.replace(/[:-]/g, '.').split('.').pop()!), `${runner} does not mention ${m}`);
  }
});

test('unmarked shell blocks are few, and named here', () => {
  // The blocks nobody runs: `npm start` / `npm test` (they install and run everything) and the
  // download lines of docs/backups.md (run by the backup tests with their own client).
  const unmarked = all.filter((b) => b.lang === 'sh' && !b.marker).map((b) => `${b.file}: ${b.text.split('\n')[0]}`);
  assert.deepEqual(unmarked, [
    'README.md: npm start     # installs what is missing (MariaDB via apt, npm deps), then runs the service on 127.0.0.1:8080 with ./data',
    'README.md: STORE=postgres://openrds:PW@127.0.0.1:5432/openrds      # an existing, empty database',
    'docs/backups.md: curl -fsS -C - -o "$BACKUP" "$URL"',
    'docs/cli.md: eval "$(openrds completion bash)"   # or zsh',
    // Several serves on one PostgreSQL: test/integration/cluster*.test.ts run exactly this set-up.
    'docs/cluster.md: # two nodes on one PostgreSQL database, one home',
  ]);
});

test('placeholders: filled from the given values, an unknown one refused', () => {
  assert.deepEqual(placeholders('a <IP> b <InstanceUuid> <IP> $DIR 2>&1 <<EOF'), ['IP', 'InstanceUuid']);
  assert.equal(fill('mariadb -h <IP> -P <Port>', { IP: '127.0.0.1', Port: '3306' }), 'mariadb -h 127.0.0.1 -P 3306');
  assert.throws(() => fill('x <Secret>', {}), /<Secret>/);
});

test('every repository path the docs name exists', () => {
  const missing: string[] = [];
  for (const f of docFiles()) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/(?<![\w/<>.-])((?:docs|src|test|bench|scripts)\/[\w./*-]*[\w*])/g)) {
      const p = m[1]!.replace(/[.]$/, '');
      if (p.includes('*')) continue;
      if (!existsSync(join(ROOT, p))) missing.push(`${f}: ${p}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the docs point to no file outside the repository', () => {
  for (const f of docFiles()) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    assert.doesNotMatch(text, /\.\.\/shared|\/work\/|seeds\/000/, f);
  }
});

test('the operator guide config example is accepted by loadConfig', () => {
  const b = all.find((x) => x.marker === 'config:example');
  assert.ok(b, 'docs/operator-guide.md has no <!-- config:example --> block');
  const home = mkdtempSync(join(tmpdir(), 'openrds-docs-'));
  try {
    writeFileSync(join(home, 'config.json'), b.text);
    const cfg = loadConfig({ home });
    const doc = JSON.parse(b.text);
    assert.equal(`${cfg.listen?.host}:${cfg.listen?.port}`, doc.listen);
    assert.equal(cfg.tasks.concurrency, doc.tasks.concurrency);
    assert.equal(cfg.metrics.intervalMs, doc.metrics.intervalMs);
    assert.equal(cfg.backups.urlTtlSeconds, doc.backups.urlTtlSeconds);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
