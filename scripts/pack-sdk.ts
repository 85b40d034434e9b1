/**
 * `npm run pack:sdk`: builds the installable `openrds-sdk` package from src/sdk/ (and the
 * contract and signing modules it imports) into build/sdk/: ESM JavaScript bundled by esbuild
 * (Node ≥ 20, no runtime dependencies: node:crypto, node:http(s)) and .d.ts files from tsc.
 * Prints the path of the .tgz as its last line.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'sdk');
const pkgDir = join(out, 'package');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

rmSync(out, { recursive: true, force: true });
mkdirSync(pkgDir, { recursive: true });

await build({
  entryPoints: [join(root, 'src/sdk/index.ts')],
  outfile: join(pkgDir, 'dist/index.js'),
  bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error',
  sourcemap: true,
});

// Declarations of src/sdk/index.ts and what it imports, under types/ with src/'s layout.
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'),
  '--declaration', '--emitDeclarationOnly', '--rootDir', join(root, 'src'), '--outDir', join(pkgDir, 'types'),
  '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node',
  join(root, 'src/sdk/index.ts')], { stdio: 'inherit' });

writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({
  name: 'openrds-sdk',
  version,
  description: 'TypeScript SDK of openrds and the CDS cloud MySQL OpenAPI: signed requests, one typed method per action, waiters',
  type: 'module',
  engines: { node: '>=20' },
  exports: { '.': { types: './types/sdk/index.d.ts', default: './dist/index.js' } },
  types: './types/sdk/index.d.ts',
  files: ['dist', 'types', 'README.md'],
  license: 'MIT',
}, null, 2) + '\n');
cpSync(join(root, 'src/sdk/README.md'), join(pkgDir, 'README.md'));

const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: pkgDir, encoding: 'utf8' }).trim().split('\n').pop()!;
process.stdout.write(`${join(out, name)}\n`);
