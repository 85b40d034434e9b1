// Compiles the CLI (src/cli/main.ts and what it imports) to build/cli/ with esbuild: ESM, code
// split so that `openrds call` loads only its own chunks; npm packages stay external (resolved
// from node_modules at run time). bin/openrds runs this when build/cli is missing or older than
// src/. Concurrent builds, and builds under a running CLI, are safe: chunks have content hashes
// in their names and are only added (a running serve may still import its old ones), main.mjs
// is replaced by a rename, and chunks unused for a day are pruned.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'cli');
const tmp = `${out}.${process.pid}.tmp`;
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  define: { OPENRDS_VERSION: JSON.stringify(version) },
  sourcemap: 'linked',
  logLevel: 'error',
});
mkdirSync(join(out, 'chunks'), { recursive: true });
for (const f of readdirSync(join(tmp, 'chunks'))) renameSync(join(tmp, 'chunks', f), join(out, 'chunks', f));
for (const f of ['main.mjs.map', 'main.mjs']) renameSync(join(tmp, f), join(out, f));
rmSync(tmp, { recursive: true, force: true });
const dayAgo = Date.now() - 86_400_000;
for (const f of readdirSync(join(out, 'chunks'))) {
  const p = join(out, 'chunks', f);
  if (statSync(p).mtimeMs < dayAgo) rmSync(p, { force: true });
}
