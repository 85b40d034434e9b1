/**
 * Datadir templates on this host (docs/engine-config.md "Datadir templates"): the engine's
 * initialisation tool (mariadb-install-db, ~85% of a create) runs once per server version and set
 * of init-time settings, into `<home>/templates/<key>/data`; every new node gets a sparse copy of it.
 *
 * Gather (observe) → decide (template-plan.ts) → act (build / copy). A build happens in a private
 * `.build-<key>-<pid>-<rand>` folder: datadir, fsync, manifest (written last), fsync, then one
 * rename to `<key>`. So a build cut short (kill -9) never leaves anything at `<key>`; its folder is
 * swept by the next build once its owner is dead. In one process builds of a key are serialised;
 * two processes that build at once both finish, and the second rename fails on the first one's
 * folder, which it then uses: nothing is clobbered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { EngineProfile } from '../../engine/engine.js';
import { pauseHere, TEMPLATE_BUILD_PAUSE_ENV } from '../../common/test-pause.js';
import type { MariaDbBinaries } from './mariadb-binaries.js';
import { findProcesses, isAlive, runTool, signal, waitExit } from './proc.js';
import {
  buildManifest, identityFiles, MANIFEST_FILE, planTemplate, templateKey, type ManifestFile, type ObservedFile, type TemplateObservation, type TemplateWant,
} from './template-plan.js';

export interface TemplateLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface ReadyTemplate {
  key: string;
  /** The template's datadir, to copy from (never to start a server on). */
  datadir: string;
  /** A new one was made for this call. */
  built: boolean;
}

export class DatadirTemplates {
  readonly root: string;
  private readonly inflight = new Map<string, Promise<ReadyTemplate>>();
  /** `key digest` of templates whose contents were checked against their checksums in this process. */
  private readonly verified = new Set<string>();

  constructor(home: string, private readonly engine: EngineProfile, private readonly bin: MariaDbBinaries, private readonly log?: TemplateLog) {
    this.root = join(home, 'templates');
  }

  async want(): Promise<TemplateWant> {
    return { engine: this.engine.kind, version: await this.bin.installedVersion(), settings: this.engine.initSettings() };
  }

  /** A valid template for the installed server, built (or rebuilt) first when needed. Idempotent. */
  async ensure(): Promise<ReadyTemplate> {
    const want = await this.want();
    const key = templateKey(want);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ensureKey(key, want).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /**
   * Makes `datadir` (which must not exist) a copy of the template: sparse (holes for zero blocks),
   * then flushed to disk (`sync -f` on the node's own filesystem, else file by file). Returns the key.
   */
  async copyInto(datadir: string, opts: { ownFilesystem: boolean }): Promise<string> {
    const t = await this.ensure();
    await runTool('cp', ['-a', '--sparse=always', t.datadir, datadir], 600_000);
    if (opts.ownFilesystem) await runTool('sync', ['-f', datadir]);
    else await syncTree(datadir);
    return t.key;
  }

  private async ensureKey(key: string, want: TemplateWant): Promise<ReadyTemplate> {
    const dir = join(this.root, key);
    const plan = planTemplate(await this.observe(dir, true), want);
    if (plan.action === 'use') {
      this.verified.add(`${key} ${plan.manifest.digest}`);
      return { key, datadir: join(dir, 'data'), built: false };
    }
    if (plan.action === 'rebuild') {
      this.log?.warn({ template: key, why: plan.why }, 'datadir template is not usable: rebuilding it');
      discard(dir, this.root);
    }
    return this.build(key, want);
  }

  /**
   * What is at `dir`; file contents are hashed only the first time this process uses that template,
   * streamed (never a whole file in memory, never the event loop held: a serve keeps its leases).
   */
  private async observe(dir: string, hashIfUnverified: boolean): Promise<TemplateObservation> {
    if (!existsSync(dir)) return { exists: false };
    let manifestText: string | undefined;
    try {
      manifestText = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    } catch {
      /* none: half-written */
    }
    let hash = false;
    if (hashIfUnverified && manifestText !== undefined) {
      try {
        const m = JSON.parse(manifestText) as { key?: string; digest?: string };
        hash = !this.verified.has(`${m.key} ${m.digest}`);
      } catch {
        /* planTemplate reports it */
      }
    }
    const data = join(dir, 'data');
    return { exists: true, manifestText, files: existsSync(data) ? await listFiles(data, hash) : undefined };
  }

  private async build(key: string, want: TemplateWant): Promise<ReadyTemplate> {
    mkdirSync(this.root, { recursive: true });
    await this.sweep(want);
    const dir = join(this.root, key);
    const tmp = join(this.root, `.build-${key}-${process.pid}-${randomBytes(3).toString('hex')}`);
    const t0 = Date.now();
    mkdirSync(tmp);
    try {
      await this.bin.initDatadir(join(tmp, 'data'), join(tmp, 'tmp'), want.settings);
      await pauseHere(TEMPLATE_BUILD_PAUSE_ENV, () => true, () => this.log?.info({ template: key, dir: tmp }, 'template build paused'));
      const files = (await listFiles(join(tmp, 'data'), true)) as ManifestFile[];
      const bad = identityFiles(files.map((f) => f.path));
      if (bad.length) throw new Error(`a fresh datadir holds identity-bearing files (${bad.join(', ')}); refusing to make it a template`);
      await syncTree(join(tmp, 'data'));
      const manifest = buildManifest(want, files, new Date().toISOString());
      await writeDurable(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
      await fsyncPath(tmp);
      try {
        renameSync(tmp, dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        // Another process finished the same build first: use its template, drop ours.
        rmSync(tmp, { recursive: true, force: true });
        const plan = planTemplate(await this.observe(dir, true), want);
        if (plan.action !== 'use') throw new Error(`datadir template ${key} appeared half-made: ${plan.action === 'rebuild' ? plan.why : plan.action}`, { cause: e });
        return { key, datadir: join(dir, 'data'), built: false };
      }
      await fsyncPath(this.root);
      this.verified.add(`${key} ${manifest.digest}`);
      this.log?.info({ template: key, version: want.version, files: files.length, ms: Date.now() - t0 }, 'datadir template built');
      return { key, datadir: join(dir, 'data'), built: true };
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Removes builds left by dead processes (their orphaned install-db is ended first) and
   * templates made by another server version, which can never be used again.
   */
  private async sweep(want: TemplateWant): Promise<void> {
    for (const name of readdirSync(this.root)) {
      const dir = join(this.root, name);
      const build = /^\.build-[0-9a-f]+-(\d+)-[0-9a-f]+$/.exec(name);
      if (build) {
        const owner = Number(build[1]);
        if (owner === process.pid || isAlive(owner)) continue;
        for (const orphan of findProcesses(`--datadir=${join(dir, 'data')}`)) {
          signal(orphan.pid, 'SIGKILL');
          await waitExit(orphan.pid, 5000);
        }
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (name.startsWith('.trash-')) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { engine?: string; version?: string };
        if (m.engine === want.engine && m.version !== want.version) {
          this.log?.info({ template: name, version: m.version }, 'removing the datadir template of another server version');
          discard(dir, this.root);
        }
      } catch {
        /* no manifest: its own ensure() rebuilds it when that key is wanted */
      }
    }
  }
}

/** Regular files under `dir`, sorted by relative path, with their SHA-256 when `hash` (streamed, one file at a time). */
export async function listFiles(dir: string, hash: boolean): Promise<ObservedFile[]> {
  const out: ObservedFile[] = [];
  const walk = async (abs: string, rel: string) => {
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const a = join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(a, r);
      else if (e.isFile()) out.push({ path: r, size: (await stat(a)).size, ...(hash ? { sha256: await fileSha256(a) } : {}) });
    }
  };
  await walk(dir, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** SHA-256 of a file, read in 1 MiB chunks off the event loop (libuv's pool); hashing is per chunk. */
async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

/** Moves a template out of its name at once (so nobody sees it half-deleted), then removes it. */
function discard(dir: string, root: string): void {
  const trash = join(root, `.trash-${randomBytes(4).toString('hex')}`);
  try {
    renameSync(dir, trash);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  rmSync(trash, { recursive: true, force: true });
}

async function writeDurable(file: string, content: string): Promise<void> {
  await writeFile(file, content);
  await fsyncPath(file);
}

/** fsync of a file or a folder (opened read-only: Linux allows fsync on that), off the event loop. */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of every file and folder under `dir` (a host filesystem shared with others: no syncfs). */
export async function syncTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const a = join(dir, e.name);
    if (e.isDirectory()) await syncTree(a);
    else if (e.isFile()) await fsyncPath(a);
  }
  await fsyncPath(dir);
}
