/**
 * Credentials and settings of the client commands, as the aws CLI resolves them: a flag wins;
 * then the profile named by --profile; then the OPENRDS_* variables; then the profile named by
 * OPENRDS_PROFILE or `default` in `$XDG_CONFIG_HOME/openrds/config.json` (else
 * `$HOME/.config/openrds/config.json`); then the defaults. The file is written 0600 in a 0700 folder.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';

export interface Profile {
  endpoint?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  caFile?: string;
  output?: 'json' | 'table';
}

export interface ProfileFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'openrds');
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export function readProfiles(env: NodeJS.ProcessEnv = process.env): ProfileFile {
  let text: string;
  try {
    text = readFileSync(configFile(env), 'utf8');
  } catch {
    return { profiles: {} };
  }
  try {
    const f = JSON.parse(text) as ProfileFile;
    return { profiles: f.profiles && typeof f.profiles === 'object' ? f.profiles : {} };
  } catch (e) {
    throw new Error(`${configFile(env)} is not valid JSON (${(e as Error).message}); fix it or run \`openrds configure\` again`, { cause: e });
  }
}

/** Writes one profile (merged over what it had), atomically, mode 0600. Returns the file. */
export function writeProfile(name: string, p: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = readProfiles(env);
  f.profiles[name] = { ...f.profiles[name], ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== '')) };
  const file = configFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(f, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

export interface ConnFlags {
  profile?: string;
  endpoint?: string;
  key?: string;
  secret?: string;
  caFile?: string;
}

export interface Resolved {
  endpoint: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  caFile?: string;
  output?: 'json' | 'table';
  /** Which profile was read ('' when none). */
  profile: string;
}

/** Pure given the file: the order of the header comment. */
export function resolveConnection(flags: ConnFlags, env: NodeJS.ProcessEnv, file: ProfileFile): Resolved {
  const explicit = flags.profile;
  const name = explicit ?? (env.OPENRDS_PROFILE || 'default');
  const prof = file.profiles[name];
  if (explicit && !prof) {
    const known = Object.keys(file.profiles);
    throw new Error(`no profile ${explicit} in ${configFile(env)}${known.length ? ` (profiles: ${known.join(', ')})` : ''}; create it with \`openrds configure --profile ${explicit}\``);
  }
  const envV = (k: string) => env[k] || undefined;
  const pick = <K extends keyof Profile>(flag: string | undefined, envName: string | undefined, key: K): Profile[K] | string | undefined =>
    flag ?? (explicit ? prof?.[key] ?? (envName ? envV(envName) : undefined) : (envName ? envV(envName) : undefined) ?? prof?.[key]);
  return {
    endpoint: String(pick(flags.endpoint, 'OPENRDS_ENDPOINT', 'endpoint') ?? DEFAULT_ENDPOINT),
    accessKeyId: pick(flags.key, 'OPENRDS_ACCESS_KEY_ID', 'accessKeyId') as string | undefined,
    accessKeySecret: pick(flags.secret, 'OPENRDS_ACCESS_KEY_SECRET', 'accessKeySecret') as string | undefined,
    caFile: pick(flags.caFile, 'OPENRDS_CA_FILE', 'caFile') as string | undefined,
    output: pick(undefined, 'OPENRDS_OUTPUT', 'output') as Resolved['output'],
    profile: prof ? name : '',
  };
}
