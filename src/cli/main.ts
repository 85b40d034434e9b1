/**
 * The `openrds` command line, compiled to build/cli/ by scripts/build-cli.mjs (bin/openrds runs
 * it). Each command family registers itself below: adding a command is one line in COMMANDS
 * plus its module. Server modules are imported when a command runs, so `openrds call` starts
 * with the contract, the SDK and commander only.
 */
import { Command } from 'commander';
import { registerAdminCommands } from './admin-commands.js';
import { registerCallCommand } from './call-command.js';
import { CliError } from './cli-error.js';
import { registerCompletion } from './completion.js';
import { registerConfigure } from './configure-command.js';
import { registerConnect } from './connect-command.js';
import { registerServe } from './serve-command.js';
import { VERSION } from './version.js';

const COMMANDS: Array<(program: Command) => void> = [
  registerServe, registerAdminCommands, registerCallCommand, registerConfigure, registerConnect, registerCompletion,
];

const program = new Command();
program.name('openrds').description('Self-hosted cloud MySQL speaking the CDS MySQL OpenAPI').version(VERSION, '-v, --version').showHelpAfterError();
for (const register of COMMANDS) register(program);

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`openrds: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof CliError ? e.exitCode : 1);
});
