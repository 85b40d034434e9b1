/** What actions, tasks and reconcilers are given: the ports plus config. Built in app.ts. */
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { Engine } from './engine/engine.js';
import type { Endpoints } from './endpoints/endpoints.js';
import type { Provisioner } from './provisioner/provisioner.js';
import type { Store } from './store/store.js';
import type { BackupService } from './backups/backup-service.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Services {
  config: Config;
  store: Store;
  engine: Engine;
  provisioner: Provisioner;
  endpoints: Endpoints;
  masterKey: Buffer;
  clock: Clock;
  log: Logger;
  /** Installed engine version, e.g. 10.11.19. */
  engineVersion: string;
  /** Backup storage, download URLs and running backup jobs (src/backups/). */
  backups: BackupService;
  /** Wakes the task runner after a task was submitted. */
  kickTasks(): void;
}
