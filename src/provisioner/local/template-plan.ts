/**
 * Datadir templates, the pure part (docs/engine-config.md "Datadir templates"). A template is a
 * fresh datadir made once per (server version, settings fixed at initialisation) under
 * `<home>/templates/<key>/`, copied into every new node's volume instead of running the engine's
 * initialisation tool again. This file decides; templates.ts gathers and acts.
 *
 * A template is trusted only through its manifest, written last: it names the key, the server
 * version and the settings it was made for, and lists every file with its size and SHA-256. A
 * folder without one, or whose files do not match it, is half-written or damaged and is rebuilt.
 */
import { createHash } from 'node:crypto';

/** Bumped when the layout or meaning of a template changes: older templates are then never used. */
export const TEMPLATE_FORMAT = 1;
export const MANIFEST_FILE = 'manifest.json';

/** What a template must have been made for. */
export interface TemplateWant {
  engine: string;
  /** The server binary's own version line (`mariadbd --version`), so a rebuilt package differs too. */
  version: string;
  /** The settings fixed at initialisation (Engine.initSettings): name → value. */
  settings: Readonly<Record<string, string>>;
}

export interface ManifestFile {
  /** Relative to the template's datadir, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
}

export interface TemplateManifest extends TemplateWant {
  format: number;
  key: string;
  builtAt: string;
  files: ManifestFile[];
  /** SHA-256 of the listing (canonical JSON of `files`): a manifest edited by hand or cut short fails. */
  digest: string;
}

/** A file as found in a template's datadir now; sha256 only when the contents were read. */
export interface ObservedFile {
  path: string;
  size: number;
  sha256?: string;
}

/** What is at `<home>/templates/<key>/` now. */
export interface TemplateObservation {
  exists: boolean;
  /** The manifest's text, undefined when there is none. */
  manifestText?: string;
  /** The datadir's files (regular files only), sorted by path; undefined when there is no datadir. */
  files?: ObservedFile[];
}

export type TemplatePlan =
  | { action: 'use'; manifest: TemplateManifest }
  | { action: 'build' }
  | { action: 'rebuild'; why: string };

/** Canonical JSON: object keys sorted, so equal content always hashes alike. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The template key: a hash of the format, the engine, its version and the init-time settings. */
export function templateKey(w: TemplateWant): string {
  return sha256(canonical({ format: TEMPLATE_FORMAT, engine: w.engine, version: w.version, settings: w.settings })).slice(0, 24);
}

export function listingDigest(files: readonly ManifestFile[]): string {
  return sha256(canonical(files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))));
}

export function buildManifest(w: TemplateWant, files: readonly ManifestFile[], builtAt: string): TemplateManifest {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { format: TEMPLATE_FORMAT, key: templateKey(w), engine: w.engine, version: w.version, settings: { ...w.settings }, builtAt, files: sorted, digest: listingDigest(sorted) };
}

/**
 * Files that carry a server's identity or history and so must never be in a template (every node
 * would inherit them): binary and relay logs and their indexes, replication state files, backup
 * metadata, and auto.cnf (MySQL's server UUID; MariaDB has none). A fresh datadir has none of them.
 */
const IDENTITY_FILES: readonly RegExp[] = [
  /(^|\/)[^/]*-bin\.(\d+|index)$/, /(^|\/)[^/]*-relay-bin[^/]*$/, /(^|\/)(multi-)?master[^/]*\.info$/, /(^|\/)relay-log[^/]*\.info$/,
  /(^|\/)auto\.cnf$/, /(^|\/)(xtrabackup|mariadb_backup)_[^/]*$/, /(^|\/)[^/]*\.pid$/, /(^|\/)\.openrds-initialized$/,
];

export function identityFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => IDENTITY_FILES.some((re) => re.test(p)));
}

/** Parses and checks a manifest against what is wanted and what is on disk; the reason it fails, or undefined. */
export function manifestProblem(text: string, want: TemplateWant, files: readonly ObservedFile[]): string | undefined {
  let m: TemplateManifest;
  try {
    m = JSON.parse(text) as TemplateManifest;
  } catch {
    return 'the manifest is not valid JSON (cut short)';
  }
  if (!m || typeof m !== 'object' || !Array.isArray(m.files)) return 'the manifest has no file listing';
  if (m.format !== TEMPLATE_FORMAT) return `made in template format ${String(m.format)}, this is ${TEMPLATE_FORMAT}`;
  if (m.engine !== want.engine) return `made for engine ${String(m.engine)}, not ${want.engine}`;
  if (m.version !== want.version) return `made by ${JSON.stringify(m.version)}, the server here is ${JSON.stringify(want.version)}`;
  if (canonical(m.settings) !== canonical(want.settings)) return `made with other init-time settings (${canonical(m.settings)})`;
  if (m.key !== templateKey(want)) return 'the manifest names another key';
  if (m.digest !== listingDigest(m.files)) return 'the manifest listing does not match its digest';
  const bad = identityFiles(m.files.map((f) => f.path));
  if (bad.length) return `it holds identity-bearing files: ${bad.join(', ')}`;
  const listed = new Map(m.files.map((f) => [f.path, f]));
  for (const f of files) {
    const l = listed.get(f.path);
    if (!l) return `${f.path} is not in the manifest`;
    if (l.size !== f.size) return `${f.path} is ${f.size} bytes, the manifest says ${l.size}`;
    if (f.sha256 !== undefined && f.sha256 !== l.sha256) return `${f.path} does not match its checksum`;
  }
  if (files.length !== listed.size) {
    const seen = new Set(files.map((f) => f.path));
    return `missing files: ${m.files.filter((f) => !seen.has(f.path)).map((f) => f.path).slice(0, 5).join(', ')}`;
  }
  return undefined;
}

/** Pure: use the template that is there, build one where there is none, or rebuild a bad one. */
export function planTemplate(o: TemplateObservation, want: TemplateWant): TemplatePlan {
  if (!o.exists) return { action: 'build' };
  if (o.manifestText === undefined) return { action: 'rebuild', why: 'no manifest (half-written)' };
  if (o.files === undefined) return { action: 'rebuild', why: 'no datadir' };
  const why = manifestProblem(o.manifestText, want, o.files);
  if (why) return { action: 'rebuild', why };
  return { action: 'use', manifest: JSON.parse(o.manifestText) as TemplateManifest };
}
