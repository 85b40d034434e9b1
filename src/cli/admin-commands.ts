/** Commands that work on a home directly, whether or not `serve` runs on it (halt: only when it does not). */
import type { Command } from 'commander';
import { CliError } from './cli-error.js';

// Loaded when a command runs, not at start-up: `openrds call` must not pay for the server's modules.
const loadConfig = async (o: Parameters<typeof import('../config/config.js').loadConfig>[0]) => (await import('../config/config.js')).loadConfig(o);
const openStore = async (o: { home?: string; store?: string }) => {
  const cfg = await loadConfig({ home: o.home, store: o.store });
  return (await import('../home.js')).openHomeStore(cfg.home, cfg.store.url);
};

export function registerAdminCommands(program: Command): void {
  const keys = program.command('keys').description('access keys');
  keys.command('create')
    .description('create an access key for a tenant (the tenant is created if new)')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .option('--store <url>', 'metadata store URL (env OPENRDS_STORE_URL, default the home\'s SQLite file)')
    .option('--json', 'print {"AccessKeyId","AccessKeySecret"} as JSON')
    .action(async (o) => {
      const { createKey } = await import('../tenants/keys.js');
      const store = await openStore(o);
      try {
        const k = await createKey(store, o.tenant);
        if (o.json) process.stdout.write(JSON.stringify({ AccessKeyId: k.AccessKeyId, AccessKeySecret: k.AccessKeySecret }) + '\n');
        else process.stdout.write(`tenant:          ${k.Tenant}\nAccessKeyId:     ${k.AccessKeyId}\nAccessKeySecret: ${k.AccessKeySecret}\n`);
      } finally {
        await store.close();
      }
    });
  keys.command('list')
    .description('list the access keys (secrets are not shown)')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .option('--store <url>', 'metadata store URL (env OPENRDS_STORE_URL)')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const store = await openStore(o);
      try {
        const rows = (await store.listKeys()).map((k) => ({
          AccessKeyId: k.id, Tenant: k.tenant, Status: Number(k.enabled) === 1 ? 'active' : 'revoked', CreatedTime: new Date(Number(k.created_at)).toISOString(),
        }));
        if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        else process.stdout.write((await import('./output.js')).renderTable('keys', rows));
      } finally {
        await store.close();
      }
    });
  keys.command('delete <accessKeyId>')
    .description('revoke an access key: within a second every serve of the store answers InvalidAccessKeyId for it')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .option('--store <url>', 'metadata store URL (env OPENRDS_STORE_URL)')
    .action(async (id: string, o) => {
      const store = await openStore(o);
      try {
        if (!(await store.disableKey(id))) throw new CliError(`no active access key ${id} (\`openrds keys list\` lists them)`);
        process.stdout.write(`revoked ${id}\n`);
      } finally {
        await store.close();
      }
    });

  program.command('members')
    .description('the serve nodes of the store: heartbeat age, host, and the background loops each one runs (docs/cluster.md)')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .option('--store <url>', 'metadata store URL (env OPENRDS_STORE_URL, default the home\'s SQLite file)')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const store = await openStore(o);
      const { formatMembers, viewMembers } = await import('../cluster/members-view.js');
      try {
        const v = viewMembers(await store.cluster.listMembers(), await store.cluster.listLoopLeases(), await store.cluster.now());
        process.stdout.write(o.json ? JSON.stringify(v, null, 2) + '\n' : formatMembers(v));
      } finally {
        await store.close();
      }
    });

  program.command('networks').description('networks (VDCs and pipes) from the config')
    .command('list')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const cfg = await loadConfig({ home: o.home });
      if (o.json) {
        process.stdout.write(JSON.stringify(cfg.networks, null, 2) + '\n');
        return;
      }
      for (const v of cfg.networks) {
        const regions = v.RegionIds === '*' ? 'all regions' : v.RegionIds.join(', ');
        process.stdout.write(`VdcId ${v.VdcId} (${v.VdcName}), ${regions}\n`);
        for (const p of v.Pipes) process.stdout.write(`  BasePipeId ${p.BasePipeId}  ${p.Cidr}  ${p.PipeName}\n`);
      }
    });

  program.command('halt')
    .description('with serve stopped: stop every database process of this home and remove its endpoint rules (data is kept; `serve` restarts and restores both)')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .option('--kill', 'SIGKILL instead of a clean shutdown')
    .option('--unmount', 'also unmount the data volumes (before removing the home, or to move it)')
    .action(async (o) => {
      const cfg = await loadConfig({ home: o.home });
      const { homePaths } = await import('../home.js');
      const { runningServes } = await import('../serve-lock.js');
      const { LocalProvisioner } = await import('../provisioner/local/local-provisioner.js');
      const { MariaDbProfile } = await import('../engine/mariadb/mariadb-profile.js');
      const { NftEndpoints } = await import('../endpoints/nftables/nft-endpoints.js');
      // Under a running serve, halt would pull the endpoint rules from under its HA pairs and its
      // watchdog would start the databases again: refuse, changing nothing.
      const serves = runningServes(homePaths(cfg.home).serves).map((r) => r.pid);
      if (serves.length) {
        const pids = serves.join(' ');
        process.stderr.write(`openrds serve (pid ${pids}) runs on this home (${cfg.home}); halt changes nothing while it runs: `
          + `stop it first (kill -TERM ${pids}), then run halt again\n`);
        process.exitCode = 1;
        return;
      }
      const prov = new LocalProvisioner(cfg.home, new MariaDbProfile(), cfg.engine.binDir, cfg.storage);
      const running = await prov.listRunning();
      for (const r of running) {
        if (o.kill) await prov.fence(r.nodeId);
        else await prov.stop(r.nodeId, cfg.engine.stopTimeoutMs);
        process.stdout.write(`stopped node ${r.nodeId}${o.kill ? ' (killed)' : ''}\n`);
      }
      if (!running.length) process.stdout.write('no database process runs under this home\n');
      // The home's endpoint rules go too: left in the kernel they would take their addresses from
      // every other home on this host. `serve` makes them again from the store at its start.
      await new NftEndpoints(cfg.home).destroyAll();
      process.stdout.write('removed the endpoint rules of this home (serve restores them)\n');
      if (o.unmount) {
        if (o.kill) await new Promise((r) => setTimeout(r, 500)); // let the killed servers close their files
        for (const id of await prov.releaseStoppedVolumes()) process.stdout.write(`unmounted the data volume of node ${id}\n`);
      }
    });

  program.command('templates').description('datadir templates (docs/operator-guide.md "Datadir templates")')
    .command('build')
    .description('make the datadir template of the installed server ahead of the first create (idempotent; safe while serve runs)')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME)')
    .action(async (o) => {
      const cfg = await loadConfig({ home: o.home });
      const { DatadirTemplates } = await import('../provisioner/local/templates.js');
      const { MariaDbProfile } = await import('../engine/mariadb/mariadb-profile.js');
      const { MariaDbBinaries } = await import('../provisioner/local/mariadb-binaries.js');
      const t = await new DatadirTemplates(cfg.home, new MariaDbProfile(), new MariaDbBinaries(cfg.engine.binDir)).ensure();
      process.stdout.write(`${t.built ? 'built' : 'valid, kept'}: template ${t.key} (${t.datadir})\n`);
    });
}
