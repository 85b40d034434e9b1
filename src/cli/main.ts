/**
 * The `openrds` command line. Every command takes --home (or OPENRDS_HOME), so several homes
 * can live side by side. Client commands sign their requests like any CDS client.
 */
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { registerClientCommands } from './client-commands.js';
import { registerAdminCommands } from './admin-commands.js';
import { serve } from './serve.js';

const program = new Command();
program.name('openrds').description('Self-hosted cloud MySQL speaking the CDS MySQL OpenAPI').showHelpAfterError();

program.command('serve')
  .description('run the API, the task runner and the reconcilers (database processes outlive it)')
  .option('--home <dir>', 'home directory (env OPENRDS_HOME, default ./data)')
  .option('--listen <host:port>', 'API address (env OPENRDS_LISTEN, default 127.0.0.1:8080)')
  .option('--config <file>', 'config file (env OPENRDS_CONFIG, default <home>/config.json)')
  .option('--store <url>', 'metadata store: postgres://… (env OPENRDS_STORE_URL, config store.url; default <home>/openrds.db)')
  .action(async (o) => serve(loadConfig({ home: o.home, listen: o.listen, configFile: o.config, store: o.store })));

registerAdminCommands(program);
registerClientCommands(program);

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`openrds: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
