// Compiles the CLI (src/cli/main.ts and what it imports) to build/cli/ with esbuild: ESM, code
// split so that `openrds call` loads only its own chunks; npm packages stay external (resolved
// from node_modules at run time). bin/openrds runs this when build/cli is missing or older than
// src/. Concurrent builds are safe: each writes its own folder and swaps it in with renames.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
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
const old = `${out}.${process.pid}.old`;
if (existsSync(out)) renameSync(out, old);
renameSync(tmp, out);
rmSync(old, { recursive: true, force: true });
