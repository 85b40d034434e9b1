import type { Command } from 'commander';

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run the API, the task runner and the reconcilers (database processes outlive it)')
    .option('--home <dir>', 'home directory (env OPENRDS_HOME, default ./data)')
    .option('--listen <host:port>', 'plain-HTTP API address (env OPENRDS_LISTEN, config listen; default 127.0.0.1:8080, none when only --tls-listen is given)')
    .option('--tls-listen <host:port>', 'HTTPS API address (env OPENRDS_TLS_LISTEN, config tls.listen)')
    .option('--tls-cert <file>', 'PEM certificate chain for HTTPS (env OPENRDS_TLS_CERT, config tls.cert; default: made by the local CA under <home>/tls)')
    .option('--tls-key <file>', 'PEM key of --tls-cert (env OPENRDS_TLS_KEY, config tls.key)')
    .option('--insecure-http', 'allow plain HTTP on a non-loopback --listen address (env OPENRDS_INSECURE_HTTP=1, config insecureHttp)')
    .option('--config <file>', 'config file (env OPENRDS_CONFIG, default <home>/config.json)')
    .option('--store <url>', 'metadata store: postgres://… (env OPENRDS_STORE_URL, config store.url; default <home>/openrds.db)')
    .action(async (o) => {
      const { loadConfig } = await import('../config/config.js');
      const { serve } = await import('./serve.js');
      await serve(loadConfig({
        home: o.home, configFile: o.config, store: o.store,
        listen: o.listen, tlsListen: o.tlsListen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, insecureHttp: o.insecureHttp,
      }));
    });
}
