/** `openrds configure [--profile NAME]`: writes a profile, from flags or by asking on a terminal. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error.js';
import { DEFAULT_ENDPOINT, readProfiles, writeProfile, type Profile } from './profiles.js';

async function ask(questions: Array<[keyof Profile, string, string | undefined]>): Promise<Profile> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const out: Profile = {};
  try {
    for (const [key, label, current] of questions) {
      const shown = current ? (key === 'accessKeySecret' ? `****${current.slice(-4)}` : current) : '';
      const a = (await rl.question(`${label}${shown ? ` [${shown}]` : ''}: `)).trim();
      (out as Record<string, string | undefined>)[key] = a || current;
    }
  } finally {
    rl.close();
  }
  return out;
}

export function registerConfigure(program: Command): void {
  program.command('configure')
    .description('write a profile of ~/.config/openrds/config.json (mode 0600), from the flags or by asking on a terminal')
    .option('--profile <name>', 'profile name', 'default')
    .option('--access-key-id <id>', 'AccessKeyId')
    .option('--access-key-secret <secret>', 'AccessKeySecret')
    .option('--endpoint <url>', `API endpoint (default ${DEFAULT_ENDPOINT})`)
    .option('--ca-file <pem>', 'for an https endpoint: one more CA to trust')
    .option('--output <format>', 'default output, json or table')
    .action(async (o) => {
      const given: Profile = { accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret, endpoint: o.endpoint, caFile: o.caFile, output: o.output };
      if (o.output !== undefined && o.output !== 'json' && o.output !== 'table') throw new CliError(`--output must be json or table, got ${o.output}`, 2);
      let p = given;
      if (!o.accessKeyId && !o.accessKeySecret && !o.endpoint) {
        if (!process.stdin.isTTY) throw new CliError('not a terminal: give --access-key-id, --access-key-secret and --endpoint', 2);
        const cur = readProfiles().profiles[o.profile] ?? {};
        p = await ask([
          ['accessKeyId', 'AccessKeyId', cur.accessKeyId], ['accessKeySecret', 'AccessKeySecret', cur.accessKeySecret],
          ['endpoint', 'Endpoint', cur.endpoint ?? DEFAULT_ENDPOINT],
        ]);
      }
      const file = writeProfile(o.profile, p);
      process.stdout.write(`profile ${o.profile} written to ${file}\n`);
    });
}
