/**
 * The real API server (buildServer with every action) over a real SQLite store in a temporary
 * home, with hand-written fakes of the Provisioner and Engine ports: for driving the API in
 * process with app.inject(), where no request can start a database. Requests are signed by the
 * tests' own signer (cds-client.ts). The store can be snapshot to prove a refused request
 * changed nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { ACTIONS } from '../../src/actions/index.js';
import type { ActionDef } from '../../src/api/action.js';
import { buildServer } from '../../src/api/server.js';
import { BackupService, LocalBackupStorage } from '../../src/backups/index.js';
import { loadConfig } from '../../src/config/config.js';
import type { Address, Endpoints } from '../../src/endpoints/endpoints.js';
import { openHomeStore } from '../../src/home.js';
import { systemClock, type Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { createKey } from '../../src/tenants/keys.js';
import { flattenGet, sign, type Creds } from './cds-client.js';
import { FakeEngine } from './fake-engine.js';
import { FakeProvisioner } from './fake-provisioner.js';

/** Endpoints that only remember what they were told. */
class FakeEndpoints implements Endpoints {
  readonly kind = 'fake';
  readonly rules = new Map<string, Address>();
  async point(front: Address, target: Address): Promise<void> { this.rules.set(`${front.ip}:${front.port}`, target); }
  async remove(front: Address): Promise<void> { this.rules.delete(`${front.ip}:${front.port}`); }
  async list(): Promise<Array<{ front: Address; target: Address }>> {
    return [...this.rules].map(([k, target]) => ({ front: { ip: k.split(':')[0]!, port: Number(k.split(':')[1]) }, target }));
  }
  async foreign(): Promise<Address[]> { return []; }
  async destroyAll(): Promise<void> { this.rules.clear(); }
}

export interface InjectAnswer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  body: any;
}

export interface ApiApp {
  app: FastifyInstance;
  svc: Services;
  store: Store;
  engine: FakeEngine;
  provisioner: FakeProvisioner;
  creds: Creds;
  tenantId: string;
  /** A signed call: GET flattens params into the signed query, POST sends them as the JSON body. */
  call(action: string, params: Record<string, unknown>, opts?: { method?: 'GET' | 'POST'; path?: string; rawBody?: string }): Promise<InjectAnswer>;
  /** Every row of every table of the main store, as one string. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

export async function startApiApp(opts: { actions?: ReadonlyMap<string, ActionDef> } = {}): Promise<ApiApp> {
  const home = mkdtempSync(join(tmpdir(), 'openrds-api-app-'));
  const cfg = loadConfig({ home, configFile: join(home, 'no-config.json') });
  const store = await openHomeStore(home);
  const engine = new FakeEngine();
  const provisioner = new FakeProvisioner();
  const masterKey = randomBytes(32);
  const storage = new LocalBackupStorage(join(home, 'backups'));
  await storage.init();
  const svc: Services = {
    config: cfg, store, engine, provisioner, endpoints: new FakeEndpoints(), masterKey, clock: systemClock,
    log: pino({ level: 'silent' }), engineVersion: '10.11.0', kickTasks: () => {},
    backups: new BackupService(storage, cfg.backups, masterKey),
  };
  svc.backups.setListenUrl('http://127.0.0.1:1');
  const k = await createKey(store, 'tenant-a');
  const tenantId = (await store.getKey(k.AccessKeyId))!.tenant_id;
  const app = buildServer(svc, opts.actions ?? ACTIONS);
  await app.ready();

  const tables = (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`.execute(store.db)).rows.map((r) => r.name);
  return {
    app, svc, store, engine, provisioner, creds: k, tenantId,
    async call(action, params, o = {}) {
      const method = o.method ?? 'POST';
      const q: Record<string, string> = {
        Action: action, AccessKeyId: k.AccessKeyId, SignatureMethod: 'HMAC-SHA1', SignatureNonce: randomUUID(), SignatureVersion: '1.0',
        Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Version: '2019-08-08',
        ...(method === 'GET' ? flattenGet(params) : {}),
      };
      q.Signature = sign(method, q, k.AccessKeySecret, 'HMAC-SHA1');
      const res = await app.inject({
        method, url: `${o.path ?? '/mysql/'}?${new URLSearchParams(q)}`,
        payload: method === 'POST' ? (o.rawBody ?? JSON.stringify(params)) : undefined,
      });
      let body: any;
      try { body = JSON.parse(res.body); } catch { body = undefined; }
      return { status: res.statusCode, headers: res.headers, text: res.body, body };
    },
    async snapshot() {
      const out: Record<string, unknown[]> = {};
      for (const t of tables) {
        out[t] = (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t)}`.execute(store.db)).rows.map((r) => JSON.stringify(r)).sort();
      }
      // The fakes' state too: a refused request must not reach a server either.
      out['engine'] = [...engine.servers].map(([key, s]) => JSON.stringify([key, [...s.accounts], [...s.databases], [...s.variables], s.readOnly])).sort();
      out['provisioner'] = [...provisioner.running.keys()].sort();
      return JSON.stringify(out);
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
