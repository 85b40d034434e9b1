/** `openrds connect INSTANCE [--account NAME] [-- mariadb args…]`: the mariadb client at the instance's endpoint. */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { OpenRDSError } from '../sdk/errors.js';
import { CliError } from './cli-error.js';
import { clientFrom, networkMessage, withConnection } from './call-command.js';

export function registerConnect(program: Command): void {
  withConnection(program.command('connect <instance> [mariadbArgs...]'))
    .description('open the mariadb client at an instance (password asked, or from MYSQL_PWD); arguments after -- go to mariadb')
    .option('--account <name>', 'account to log in as', 'root')
    .action(async (uuid: string, extra: string[], o) => {
      const { client, conn } = clientFrom(o);
      let inst;
      try {
        inst = (await client.describeDBInstances({ InstanceUuid: uuid }))[0]!;
      } catch (e) {
        if (e instanceof OpenRDSError && e.code === 'ResourceNotFound') throw new CliError(`no instance ${uuid} (\`openrds call DescribeDBInstances\` lists them)`);
        if (e instanceof OpenRDSError) throw new CliError(networkMessage(e, conn.endpoint));
        throw e;
      }
      if (inst.Status !== 'RUNNING') process.stderr.write(`openrds: instance ${uuid} is ${inst.Status}; connecting anyway\n`);
      const args = ['-h', inst.IP, '-P', String(inst.Port), '-u', o.account, ...(process.env.MYSQL_PWD ? [] : ['-p']), ...extra];
      const child = spawn('mariadb', args, { stdio: 'inherit' });
      process.exitCode = await new Promise<number>((resolve, reject) => {
        child.on('error', (e) => reject(new CliError(`cannot run mariadb (${(e as Error).message}); install the MariaDB client (apt-get install mariadb-client)`)));
        child.on('exit', (code) => resolve(code ?? 1));
      });
    });
}
