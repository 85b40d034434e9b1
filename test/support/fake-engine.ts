/**
 * A hand-written Engine for tests that drive the API in process (app.inject): a small in-memory
 * model of each server (accounts, grants, databases, variables), keyed by host:port. The pure
 * methods (config rendering, the parameter catalog: the profile) are the real MariaDB ones.
 * Every I/O call is counted by name, so a test can assert that a refused request touched no server.
 * Faults can be injected (failCall): the Nth call of a named method throws, before its change or
 * after it (a change that ran but whose answer or read-back was lost).
 */
import type {
  AccountGrants, AccountSpec, BinlogFileInfo, Engine, NodePaths, NodeSpec, ReplicaStatus,
  StatusCounters, Target,
} from '../../src/engine/engine.js';
import { EngineEffectError } from '../../src/engine/engine.js';
import { MariaDbEngine } from '../../src/engine/mariadb/mariadb-engine.js';

/** An injected fault: the `left`-th next call of `method` ('*': any I/O call) fails. */
interface Fault { method: string; left: number; when: 'before' | 'after' }

interface FakeServer {
  accounts: Map<string, { grants: AccountGrants }>;
  databases: Set<string>;
  variables: Map<string, string>;
  readOnly: boolean;
}

export class FakeEngine implements Engine {
  readonly kind = 'fake-mariadb';
  private readonly real = new MariaDbEngine();
  readonly parameters = this.real.parameters;
  readonly servers = new Map<string, FakeServer>();
  /** Every I/O call, by method name. */
  readonly calls: string[] = [];

  constructor(private readonly initialDatabases: readonly string[] = ['shop', 'app_db']) {}

  private readonly faults: Fault[] = [];
  /** Calls that failed by injection, by method name. */
  readonly injected: string[] = [];

  /**
   * Makes the `nth` next call (1 = the next) of `method` ('*' for any I/O call) fail: 'before'
   * throws without changing anything; 'after' makes the change, then throws EngineEffectError
   * (for a read, both throw before).
   */
  failCall(method: string, nth = 1, when: 'before' | 'after' = 'before'): void {
    this.faults.push({ method, left: nth, when });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Counts the call against the faults: 'before' throws now, 'after' is returned for the caller to throw. */
  private fault(call: string): 'after' | undefined {
    // Every matching fault counts this call, even when one of them fires.
    const due = this.faults.filter((f) => (f.method === '*' || f.method === call) && --f.left === 0);
    for (const f of due) this.faults.splice(this.faults.indexOf(f), 1);
    if (due.some((f) => f.when === 'before')) {
      this.injected.push(call);
      throw new Error(`fake engine: injected failure of ${call}`);
    }
    return due.length ? 'after' : undefined;
  }

  /** A change: the faults of `call` apply before or after `fn`. */
  private change<T>(t: Target, call: string, fn: (s: FakeServer) => T): T {
    const s = this.lookup(t, call);
    const after = this.fault(call);
    const out = fn(s);
    if (after) {
      this.injected.push(call);
      throw new EngineEffectError(`fake engine: ${call} ran, then its read-back failed (injected)`);
    }
    return out;
  }

  private server(t: Target, call: string): FakeServer {
    const s = this.lookup(t, call);
    if (this.fault(call)) {
      this.injected.push(call);
      throw new Error(`fake engine: injected failure of ${call}`);
    }
    return s;
  }

  private lookup(t: Target, call: string): FakeServer {
    this.calls.push(call);
    const key = `${t.host}:${t.port}`;
    let s = this.servers.get(key);
    if (!s) {
      s = { accounts: new Map(), databases: new Set(this.initialDatabases), variables: new Map(), readOnly: false };
      this.servers.set(key, s);
    }
    return s;
  }

  renderConfig(spec: NodeSpec, paths: NodePaths): string { return this.real.renderConfig(spec, paths); }
  serverEnvironment(spec: Pick<NodeSpec, 'cpu'>): Readonly<Record<string, string>> { return this.real.serverEnvironment(spec); }
  renderInitSql(adminUser: string, adminPasswordHash: string, repl?: { user: string; hash: string }): string {
    return this.real.renderInitSql(adminUser, adminPasswordHash, repl);
  }
  initSettings(): Readonly<Record<string, string>> { return this.real.initSettings(); }
  async waitReady(t: Target, _timeoutMs: number): Promise<void> { this.server(t, 'waitReady'); }
  async ping(t: Target, _timeoutMs?: number): Promise<boolean> { this.server(t, 'ping'); return true; }
  async ensureAccount(t: Target, a: AccountSpec): Promise<void> {
    this.change(t, 'ensureAccount', (s) => {
      if (!s.accounts.has(a.name)) s.accounts.set(a.name, { grants: { global: a.type === 'Super' ? ['ALL PRIVILEGES'] : [], objects: [] } });
    });
  }
  async dropAccount(t: Target, name: string): Promise<void> { this.change(t, 'dropAccount', (s) => s.accounts.delete(name)); }
  async serverVersion(t: Target): Promise<string> { this.server(t, 'serverVersion'); return '10.11.0-MariaDB'; }
  async statusCounters(t: Target, _timeoutMs: number): Promise<StatusCounters> {
    this.server(t, 'statusCounters');
    return { uptime: 100, threadsConnected: 1, internalSessions: 1, slowQueries: 0, bytesReceived: 0, bytesSent: 0 };
  }
  closeMonitoring(_keep?: readonly Target[]): void {}
  async listGrants(t: Target, names: readonly string[]): Promise<Map<string, AccountGrants | undefined>> {
    const s = this.server(t, 'listGrants');
    return new Map(names.map((n) => {
      const a = s.accounts.get(n);
      return [n, a && { global: [...a.grants.global], objects: a.grants.objects.map((o) => ({ ...o, privileges: [...o.privileges] })) }];
    }));
  }
  async databaseExists(t: Target, db: string): Promise<boolean> { return this.server(t, 'databaseExists').databases.has(db); }
  async grantDatabase(t: Target, name: string, db: string, privileges: readonly string[]): Promise<void> {
    this.change(t, 'grantDatabase', (s) => {
      const a = s.accounts.get(name);
      if (!a) throw new Error(`fake engine: no account ${name}`);
      // Kept in one order, so that the same grants compare equal however they were made.
      a.grants.objects = [...a.grants.objects.filter((o) => o.db !== db), { db, table: '*', privileges: [...privileges] }]
        .sort((x, y) => (x.db + '\u0000' + x.table < y.db + '\u0000' + y.table ? -1 : 1));
    });
  }
  async revokeDatabase(t: Target, name: string, db: string): Promise<void> {
    this.change(t, 'revokeDatabase', (s) => {
      const a = s.accounts.get(name);
      if (a) a.grants.objects = a.grants.objects.filter((o) => o.db !== db);
    });
  }
  async setGlobalPrivilege(t: Target, name: string, privilege: string, granted: boolean): Promise<void> {
    this.change(t, 'setGlobalPrivilege', (s) => {
      const a = s.accounts.get(name);
      if (!a) throw new Error(`fake engine: no account ${name}`);
      a.grants.global = a.grants.global.filter((p) => p !== privilege).concat(granted ? [privilege] : []);
    });
  }
  async readVariables(t: Target, names: readonly string[]): Promise<Record<string, string>> {
    const s = this.server(t, 'readVariables');
    return Object.fromEntries(names.map((n) => [n, s.variables.get(n) ?? this.parameters.defaultValue(n, { cpu: 1, ramGb: 2, diskType: 'ssd_disk' })]));
  }
  async setGlobal(t: Target, name: string, value: string): Promise<void> { this.change(t, 'setGlobal', (s) => s.variables.set(name, value)); }
  async gtidState(t: Target): Promise<{ binlogPos: string; slavePos: string; currentPos: string }> {
    this.server(t, 'gtidState');
    return { binlogPos: '0-1-1', slavePos: '', currentPos: '0-1-1' };
  }
  async binlogPosition(t: Target, _timeoutMs?: number): Promise<string> {
    this.server(t, 'binlogPosition');
    return '0-1-1';
  }
  async replicaStatus(t: Target, _timeoutMs?: number): Promise<ReplicaStatus | undefined> { this.server(t, 'replicaStatus'); return undefined; }
  async semiSyncStatus(t: Target, _timeoutMs?: number): Promise<{ masterOn: boolean; clients: number; noTx: number; yesTx: number }> {
    this.server(t, 'semiSyncStatus');
    return { masterOn: true, clients: 1, noTx: 0, yesTx: 0 };
  }
  async startReplication(t: Target, _source: Target, _mode: 'slave_pos' | 'current_pos', _gtidSlavePos?: string): Promise<void> { this.server(t, 'startReplication'); }
  async waitGtid(t: Target, _gtid: string, _timeoutS: number): Promise<boolean> { this.server(t, 'waitGtid'); return true; }
  async promote(t: Target): Promise<void> { this.server(t, 'promote').readOnly = false; }
  async enableSemiSync(t: Target): Promise<boolean> { this.server(t, 'enableSemiSync'); return true; }
  async setReadOnly(t: Target, on: boolean): Promise<void> { this.server(t, 'setReadOnly').readOnly = on; }
  async disableSemiSync(t: Target): Promise<void> { this.server(t, 'disableSemiSync'); }
  async demote(t: Target): Promise<void> { this.server(t, 'demote').readOnly = true; }
  async gtidAt(t: Target, _binlogFile: string, _binlogPos: number): Promise<string> { this.server(t, 'gtidAt'); return ''; }
  async listAccounts(t: Target): Promise<AccountSpec[]> {
    const s = this.server(t, 'listAccounts');
    return [...s.accounts.entries()].map(([name, a]) => ({ name, passwordHash: '*', type: a.grants.global.includes('ALL PRIVILEGES') ? 'Super' : 'Normal' }));
  }
  async startHistoryAt(t: Target, _gtid: string): Promise<void> { this.change(t, 'startHistoryAt', () => undefined); }
  async setBulkApply(t: Target, on: boolean, _spec: unknown): Promise<void> { this.change(t, `setBulkApply ${on}`, () => undefined); }
  async listBinlogs(t: Target): Promise<BinlogFileInfo[]> { this.server(t, 'listBinlogs'); return [{ file: 'mysql-bin.000001', sizeBytes: 256, startGtid: '' }]; }
  async purgeBinlogsTo(t: Target, _file: string): Promise<void> { this.server(t, 'purgeBinlogsTo'); }
}
