/** MariaDB's EngineProfile: pure rendering and rules (profile/), nothing that runs a program. */
import type { EngineProfile, NodePaths, NodeSpec } from '../engine.js';
import { initSettings, renderMyCnf, serverEnvironment } from './profile/mycnf.js';
import { MARIADB_PARAMETERS } from './profile/parameters.js';
import { initSql } from './sql.js';

export class MariaDbProfile implements EngineProfile {
  readonly kind = 'mariadb';
  readonly parameters = MARIADB_PARAMETERS;

  renderConfig(spec: NodeSpec, paths: NodePaths): string {
    return renderMyCnf(spec, paths);
  }

  serverEnvironment(spec: Pick<NodeSpec, 'cpu'>): Readonly<Record<string, string>> {
    return serverEnvironment(spec);
  }

  renderInitSql(adminUser: string, adminHash: string, repl?: { user: string; hash: string }): string {
    return initSql(adminUser, adminHash, repl);
  }

  initSettings(): Readonly<Record<string, string>> {
    return initSettings();
  }
}
