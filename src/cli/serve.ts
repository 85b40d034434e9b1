import type { Config } from '../config/config.js';
import { offerProfile } from './serve-profile.js';

export async function serve(cfg: Config): Promise<void> {
  const { pino } = await import('pino');
  const { startApp } = await import('../app.js');
  const log = pino({ name: 'openrds', level: process.env.OPENRDS_LOG_LEVEL ?? 'info' });
  const app = await startApp(cfg, log);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'shutting down');
    app.close().then(() => process.exit(0), (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (app.createdKey) await offerProfile(app.createdKey, app.url);
}
