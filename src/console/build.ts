/**
 * The console bundle: src/console/ui/main.ts (and the CSS it imports, uPlot's included) bundled
 * by esbuild into dist/console/{app.js,app.css}, with a manifest of the inputs' SHA-256. Built by
 * scripts/setup.sh (`npm run build:console`) and again by `serve` whenever the bundle is missing
 * or any input changed (`ensureConsole`). Nothing is fetched at run time: no CDN.
 *
 * Several `serve`s may build at once (the tests run files in parallel): each file is written to a
 * temporary name and renamed, the manifest last, and every builder writes the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The repository: the nearest folder above this module with openrds's package.json. This module
 * runs from src/console/ (tsx) or from a chunk of the compiled CLI (build/cli/chunks/), so a fixed
 * relative path would point at the wrong folder from one of them.
 */
export const ROOT = findRoot(fileURLToPath(new URL('.', import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'openrds') return dir.replace(/\/$/, '');
    if (dirname(dir) === dir) throw new Error(`no openrds package.json above ${from}`);
  }
}
export const CONSOLE_ENTRY = 'src/console/ui/main.ts';
export const CONSOLE_OUT = join(ROOT, 'dist/console');
/** The entry files; the route serves these and the chunks the manifest lists. */
export const ENTRY_FILES = ['app.js', 'app.css'] as const;
/** What an output file may be called (esbuild's chunk names): the route serves nothing else. */
const OUTPUT_NAME = /^[\w-]+\.(js|css)$/;

interface Manifest {
  /** Input path (relative to ROOT) → sha256 of its content. */
  inputs: Record<string, string>;
  /** Output file names (entries and chunks). */
  outputs: string[];
  builtAt: string;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function readManifest(outDir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why the bundle in `outDir` must be built again, or undefined when it is current. Pure apart from reads. */
export function staleReason(outDir = CONSOLE_OUT): string | undefined {
  const m = readManifest(outDir);
  if (!m || !Array.isArray(m.outputs)) return 'no bundle yet';
  for (const f of [...ENTRY_FILES, ...m.outputs]) {
    try { readFileSync(join(outDir, f)); } catch { return `${f} is missing`; }
  }
  for (const [path, hash] of Object.entries(m.inputs)) {
    let now: string;
    try { now = sha(readFileSync(join(ROOT, path))); } catch { return `${path} is gone`; }
    if (now !== hash) return `${path} changed`;
  }
  return undefined;
}

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Bundles the console into `outDir`; returns the bundle's sizes in bytes. */
export async function buildConsole(outDir = CONSOLE_OUT): Promise<Record<string, number>> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    absWorkingDir: ROOT, entryPoints: { app: CONSOLE_ENTRY }, bundle: true, format: 'esm', platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'], minify: true, sourcemap: false, write: false, metafile: true,
    splitting: true, chunkNames: '[name]-[hash]',
    outdir: outDir, logLevel: 'silent', legalComments: 'eof',
  });
  mkdirSync(outDir, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const f of r.outputFiles) {
    const name = f.path.slice(outDir.length + 1);
    if (!OUTPUT_NAME.test(name)) throw new Error(`unexpected console output file ${name}`);
    writeAtomic(f.path, f.contents);
    sizes[name] = f.contents.length;
  }
  const inputs: Record<string, string> = {};
  for (const p of Object.keys(r.metafile.inputs)) inputs[p] = sha(readFileSync(join(ROOT, p)));
  writeAtomic(join(outDir, 'manifest.json'), JSON.stringify({ inputs, outputs: Object.keys(sizes).sort(), builtAt: new Date().toISOString() } satisfies Manifest, null, 1));
  return sizes;
}

/** The bundle's files in memory, built first when missing or stale. */
export async function ensureConsole(outDir = CONSOLE_OUT, onBuild?: (reason: string) => void): Promise<Map<string, Buffer>> {
  const why = staleReason(outDir);
  if (why) {
    onBuild?.(why);
    await buildConsole(outDir);
  }
  const m = readManifest(outDir)!;
  return new Map(m.outputs.filter((f) => OUTPUT_NAME.test(f)).map((f) => [f, readFileSync(join(outDir, f))]));
}

// `node --import tsx src/console/build.ts` (npm run build:console): build now, print the sizes.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildConsole().then((s) => process.stdout.write(`console bundle in ${CONSOLE_OUT}: ${Object.entries(s).map(([f, n]) => `${f} ${n} B`).join(', ')}\n`),
    (e) => { process.stderr.write(`console build failed: ${e?.message ?? e}\n`); process.exit(1); });
}
