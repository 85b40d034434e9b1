/**
 * After the first start of a store: on a terminal, offer to write the new key to the default
 * profile. Never waits without one (CI, no stdin, output piped): the export lines were printed.
 */
import { createInterface } from 'node:readline/promises';
import { configFile, readProfiles, writeProfile } from './profiles.js';

export async function offerProfile(k: { AccessKeyId: string; AccessKeySecret: string }, endpoint: string): Promise<void> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return;
  const name = readProfiles().profiles.default ? 'serve' : 'default';
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const a = (await rl.question(`openrds: write this key to profile "${name}" of ${configFile()} for \`openrds call\`? [Y/n] `)).trim().toLowerCase();
    if (a === '' || a === 'y' || a === 'yes') {
      const file = writeProfile(name, { accessKeyId: k.AccessKeyId, accessKeySecret: k.AccessKeySecret, endpoint });
      process.stdout.write(`openrds: profile ${name} written to ${file}${name === 'default' ? '' : ' (use --profile serve)'}\n`);
    }
  } catch {
    // stdin closed: nothing to write
  } finally {
    rl.close();
  }
}
