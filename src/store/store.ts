/**
 * The metadata store port. One implementation over kysely serves SQLite and PostgreSQL;
 * where the backends differ, `StoreBackend` says how (see sqlite/ and postgres/).
 *
 * Contracts:
 * - Every instance read takes the tenant id: a tenant never sees another tenant's rows.
 * - `insertTask` fails with TaskConflictError when the instance already has an unfinished task
 *   (a partial unique index enforces it, so two API nodes cannot both win).
 * - `claimTasks` hands each claimable task to exactly one owner until its lease runs out.
 */
import { Kysely, Migrator, sql, type Insertable, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import { InstanceStatus } from '../instances/status.js';
import { migrationProvider } from './migrations/index.js';
import { prepared } from './prepared.js';
import { MetricsRepo } from './metrics-repo.js';
import { ParametersRepo } from './parameters-repo.js';
import { BackupsRepo } from './backups-repo.js';
import { NoncesRepo } from './nonces-repo.js';
import type { NonceStore } from './nonce-store.js';
import { RecoveryRepo } from './recovery-repo.js';
import { ClusterRepo } from './cluster-repo.js';
import type { AccessKeyTable, AccountTable, Database, InstanceTable, NodeTable, NonceDatabase, TaskTable } from './schema.js';

export type Instance = Selectable<InstanceTable>;
export type Node = Selectable<NodeTable>;
/** The columns the background loops need of every live instance (a full row costs ~3× as much to read). */
export const SUMMARY_COLUMNS = ['uuid', 'tenant_id', 'name', 'status', 'architecture', 'parent_uuid', 'disk_gb', 'disk_read_only', 'disk_used_pct'] as const;
export type InstanceSummary = Pick<Instance, (typeof SUMMARY_COLUMNS)[number]>;
export type Account = Selectable<AccountTable>;
export type Task = Selectable<TaskTable>;
export type AccessKey = Selectable<AccessKeyTable>;

export class TaskConflictError extends Error {
  constructor(readonly instanceUuid: string) {
    super(`instance ${instanceUuid} already has an unfinished task`);
    this.name = 'TaskConflictError';
  }
}

export class IpExhaustedError extends Error {}

/** What the instance-row cache (cachedByUuid) reads. */
const ROW_CACHE_TABLES: readonly TableName[] = ['instances'];

/** How often createInstances tries again after losing an address race (a unique violation). */
const CREATE_ATTEMPTS = 40;

/** A table of the main database, as a read cache names what it reads (StoreBackend.changeToken). */
export type TableName = keyof Database;

export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  isUniqueViolation(e: unknown): boolean;
  /** Row lock hint for claiming: PostgreSQL uses FOR UPDATE SKIP LOCKED, SQLite serialises writers anyway. */
  readonly skipLocked: boolean;
  /**
   * A value that changes whenever `tables` (the tables a cached value was read from; omitted: any
   * table) may have changed, by this process or another, and is cheap to read (SQLite: write
   * counters per table and PRAGMA data_version). Without it, nothing is cached. A write that
   * changed no row, or changed only other tables, may leave it as it is; a write the backend
   * cannot attribute to one table, or another process's write, moves it for every table.
   */
  changeToken?(tables?: readonly TableName[]): string;
  /** The database's clock in epoch ms, as SQL: leases are set and compared on it (docs/cluster.md). */
  clock(): RawBuilder<number>;
  /** The error says the database cannot be reached (down, restarting, timed out): the API answers ServiceUnavailable. */
  isUnavailable(e: unknown): boolean;
  /** Cross-node wake-up (PostgreSQL NOTIFY); absent where one process is the only claimer (SQLite). */
  notify?(db: Kysely<Database>, channel: string): Promise<void>;
  /** Calls `onNotify` for every notification on `channel`, reconnecting by itself; the result stops listening. */
  listen?(channel: string, onNotify: () => void): () => Promise<void>;
  /** Runs after both databases are closed (SQLite: the nonce file's checkpoint worker ends). */
  afterClose?(): Promise<void>;
}

/** The NOTIFY channel of task submissions. */
export const TASKS_CHANNEL = 'openrds_tasks';

/** Walks an error's cause chain: true when `test` holds for one link. */
export function someCause(e: unknown, test: (c: unknown) => boolean): boolean {
  for (let c = e, n = 0; c !== undefined && c !== null && n < 8; c = (c as { cause?: unknown }).cause, n++) {
    if (test(c)) return true;
  }
  return false;
}

export interface InstanceFilter {
  uuid?: string;
  name?: string;
  ip?: string;
  parentUuid?: string | null;
}

export const ACTIVE_TASK_STATUSES = ['NEW', 'DOING'] as const;

export class Store {
  /** Monitoring rollups (src/metrics/). */
  readonly metrics: MetricsRepo;
  /** Engine parameters set by users and their change history (ModifyDBParameter). */
  readonly parameters: ParametersRepo;
  /** Backups and automatic backup policies (src/backups/). */
  readonly backups: BackupsRepo;
  /** Used request nonces (the API's replay check); in `nonceDb`, apart from the change token (nonce-store.ts). */
  readonly nonces: NonceStore;
  /** Restores: account rows read back from restored data, temporary instances, the binlog archive (docs/recovery.md). */
  readonly recovery: RecoveryRepo;
  /** Members, loop leases, loop state and the step log (docs/cluster.md). */
  readonly cluster: ClusterRepo;
  private readonly instanceByUuid: (tenant: string, uuid: string) => Promise<Instance[]>;
  /**
   * Instance rows read by uuid (the API's hot path: Terraform polls DescribeDBInstances by uuid), kept
   * while the backend's change token for the instances table stays the same: a write to it empties it.
   */
  private readonly rowCache = new Map<string, Instance[]>();
  private rowCacheToken = '';

  /**
   * `nonceDb` holds the nonce table. The backend gives it its own database when writes to `db` would
   * move the change token (SQLite: a separate file), so recording a nonce on every request keeps the
   * row cache; without one, the nonces live in `db`. `nonces`: how the backend records them there
   * (SQLite: its append-only log); without it, the shared table (NoncesRepo), as on PostgreSQL.
   */
  constructor(readonly db: Kysely<Database>, readonly backend: StoreBackend, private readonly nonceDb?: Kysely<NonceDatabase>, nonces?: NonceStore) {
    const byUuid = prepared<Instance, [string, string]>(db, 2, (tenant, uuid) =>
      db.selectFrom('instances').selectAll().where('uuid', '=', uuid).where('tenant_id', '=', tenant).where('deleted_at', 'is', null));
    this.instanceByUuid = backend.changeToken ? (tenant, uuid) => this.cachedByUuid(byUuid, tenant, uuid) : byUuid;
    this.metrics = new MetricsRepo(db, (e) => backend.isUniqueViolation(e));
    this.parameters = new ParametersRepo(db);
    this.backups = new BackupsRepo(db, (e) => backend.isUniqueViolation(e));
    this.nonces = nonces ?? new NoncesRepo(nonceDb ?? (db as unknown as Kysely<NonceDatabase>));
    this.recovery = new RecoveryRepo(db);
    this.cluster = new ClusterRepo(db, () => backend.clock());
  }

  /** The error means the database is out of reach (ServiceUnavailable), not a fault of the request. */
  isUnavailable(e: unknown): boolean {
    return this.backend.isUnavailable(e);
  }

  /** Tells the other serve nodes a task was submitted (PostgreSQL NOTIFY; nothing on SQLite). */
  async announceTasks(): Promise<void> {
    await this.backend.notify?.(this.db, TASKS_CHANNEL);
  }

  /** `onSubmitted` runs when any node announces tasks; undefined when the backend cannot tell (poll). */
  onTasksAnnounced(onSubmitted: () => void): (() => Promise<void>) | undefined {
    return this.backend.listen?.(TASKS_CHANNEL, onSubmitted);
  }

  private async cachedByUuid(query: (tenant: string, uuid: string) => Promise<Instance[]>, tenant: string, uuid: string): Promise<Instance[]> {
    const token = this.backend.changeToken!(ROW_CACHE_TABLES);
    if (token !== this.rowCacheToken) {
      this.rowCache.clear();
      this.rowCacheToken = token;
    }
    const key = `${tenant}\u0000${uuid}`;
    let rows = this.rowCache.get(key);
    if (!rows) {
      rows = await query(tenant, uuid);
      // Kept only if nothing was written while the query ran (the token is read again).
      if (this.backend.changeToken!(ROW_CACHE_TABLES) === token && this.rowCache.size < 10_000) this.rowCache.set(key, rows);
    }
    return rows.map((r) => ({ ...r })); // callers may change their copy
  }

  async migrate(): Promise<void> {
    // Unordered: migrations developed side by side may land in any order on an existing store.
    const { error } = await new Migrator({ db: this.db, provider: migrationProvider, allowUnorderedMigrations: true }).migrateToLatest();
    if (error) throw new Error('store migration failed', { cause: error });
    await this.nonces.migrate();
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.nonceDb?.destroy();
    await this.backend.afterClose?.();
  }

  // --- request nonces ---

  /**
   * Atomically records a request nonce of an access key until `expiresAt`; false when it is already
   * recorded and not expired at `now` (a replay). Committed when it answers (nonce-store.ts).
   */
  useNonce(keyId: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return this.nonces.useNonce(keyId, nonce, expiresAt, now);
  }

  // --- tenants and keys ---

  async ensureTenant(name: string, id: string, now: number): Promise<string> {
    const found = await this.db.selectFrom('tenants').select('id').where('name', '=', name).executeTakeFirst();
    if (found) return found.id;
    try {
      await this.db.insertInto('tenants').values({ id, name, created_at: now }).execute();
      return id;
    } catch (e) {
      if (!this.backend.isUniqueViolation(e)) throw e;
      const again = await this.db.selectFrom('tenants').select('id').where('name', '=', name).executeTakeFirstOrThrow();
      return again.id;
    }
  }

  async insertKey(key: Insertable<AccessKeyTable>): Promise<void> {
    await this.db.insertInto('access_keys').values(key).execute();
  }

  /**
   * Inserts `key` (and its tenant `tenantName` when missing) only if no access key exists yet: the
   * default key of a fresh store. Atomic across serve nodes starting at once on one PostgreSQL: the
   * upsert of a marker row locks it, so a second node's transaction waits for the first and then
   * counts the key it made. False when a key existed.
   */
  async insertFirstKey(tenantName: string, tenantId: string, key: Omit<Insertable<AccessKeyTable>, 'tenant_id'>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto('loop_state').values({ loop: 'bootstrap', key: 'first-access-key', value: key.id, updated_at: key.created_at })
        .onConflict((oc) => oc.columns(['loop', 'key']).doUpdateSet({ updated_at: key.created_at })).execute();
      const n = await trx.selectFrom('access_keys').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(n.n) > 0) return false;
      const tenant = await trx.selectFrom('tenants').select('id').where('name', '=', tenantName).executeTakeFirst();
      if (!tenant) await trx.insertInto('tenants').values({ id: tenantId, name: tenantName, created_at: key.created_at }).execute();
      await trx.insertInto('access_keys').values({ ...key, tenant_id: tenant?.id ?? tenantId }).execute();
      return true;
    });
  }

  async getKey(id: string): Promise<AccessKey | undefined> {
    return this.db.selectFrom('access_keys').selectAll().where('id', '=', id).where('enabled', '=', 1).executeTakeFirst();
  }

  /** Every access key with its tenant's name, oldest first (`openrds keys list`). */
  async listKeys(): Promise<Array<{ id: string; tenant: string; enabled: number; created_at: number }>> {
    return this.db.selectFrom('access_keys').innerJoin('tenants', 'tenants.id', 'access_keys.tenant_id')
      .select(['access_keys.id as id', 'tenants.name as tenant', 'access_keys.enabled as enabled', 'access_keys.created_at as created_at'])
      .orderBy('access_keys.created_at').execute();
  }

  /** Revokes a key (kept, disabled: getKey no longer finds it); false when there is no such enabled key. */
  async disableKey(id: string): Promise<boolean> {
    const r = await this.db.updateTable('access_keys').set({ enabled: 0 }).where('id', '=', id).where('enabled', '=', 1).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async countKeys(): Promise<number> {
    const r = await this.db.selectFrom('access_keys').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // --- instances ---

  async getInstance(tenantId: string, uuid: string): Promise<Instance | undefined> {
    return (await this.instanceByUuid(tenantId, uuid))[0];
  }

  /** Internal lookup without tenant scope: for tasks and reconcilers only, never for API reads. */
  async getInstanceAnyTenant(uuid: string): Promise<Instance | undefined> {
    return this.db.selectFrom('instances').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  }

  async listInstances(tenantId: string, f: InstanceFilter = {}): Promise<Instance[]> {
    // Terraform's polling path (InstanceUuid alone) skips the query builder.
    if (f.uuid !== undefined && f.name === undefined && f.ip === undefined && f.parentUuid === undefined) {
      return this.instanceByUuid(tenantId, f.uuid);
    }
    let q = this.db.selectFrom('instances').selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
    if (f.uuid !== undefined) q = q.where('uuid', '=', f.uuid);
    if (f.name !== undefined) q = q.where(containsIgnoringCase('name', f.name));
    if (f.ip !== undefined) q = q.where(containsIgnoringCase('ip', f.ip));
    if (f.parentUuid !== undefined) q = f.parentUuid === null ? q.where('parent_uuid', 'is', null) : q.where('parent_uuid', '=', f.parentUuid);
    return q.orderBy('created_at', 'asc').orderBy('uuid').execute();
  }

  async listReadOnlyChildren(parentUuid: string): Promise<Instance[]> {
    return this.db.selectFrom('instances').selectAll().where('parent_uuid', '=', parentUuid).where('deleted_at', 'is', null).execute();
  }

  async listLiveInstances(): Promise<Instance[]> {
    return this.db.selectFrom('instances').selectAll().where('deleted_at', 'is', null).execute();
  }

  /**
   * Every live instance, only the columns of InstanceSummary: for loops that run every second or
   * faster (with 1,000 instances, full rows take ~5.7 ms to read, these ~1.8 ms).
   */
  async listInstanceSummaries(): Promise<InstanceSummary[]> {
    return this.db.selectFrom('instances').select([...SUMMARY_COLUMNS]).where('deleted_at', 'is', null).execute();
  }

  /** Live instances of one kind, filtered in SQL: HA primaries, or read-only instances; optionally by status. */
  async listLiveInstancesOf(kind: 'ha-primary' | 'read-only', status?: string): Promise<Instance[]> {
    let q = this.db.selectFrom('instances').selectAll().where('deleted_at', 'is', null);
    q = kind === 'ha-primary' ? q.where('architecture', '=', 1).where('parent_uuid', 'is', null) : q.where('parent_uuid', 'is not', null);
    if (status !== undefined) q = q.where('status', '=', status);
    return q.execute();
  }

  async usedIps(pipeId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('instances').select('ip').where('pipe_id', '=', pipeId).where('deleted_at', 'is', null).execute();
    return new Set(rows.map((r) => r.ip));
  }

  /**
   * Inserts instances, their nodes and their first tasks in one transaction; `pickIp` is asked
   * for an address given the addresses already in use, and the unique index settles races.
   */
  async createInstances(
    items: Array<{
      instance: Omit<Insertable<InstanceTable>, 'ip'>;
      /** `ip: 'instance'` shares the instance's address (basic); `ip: 'pool'` takes a fresh one (HA nodes). */
      nodes: Array<Omit<Insertable<NodeTable>, 'ip'> & { ip: 'instance' | 'pool' }>;
      task: Insertable<TaskTable>;
      accounts: Array<Insertable<AccountTable>>;
    }>,
    pickIp: (used: Set<string>) => string | undefined,
  ): Promise<Instance[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const out: Instance[] = [];
          for (const it of items) {
            const used = new Set((await trx.selectFrom('instances').select('ip')
              .where('pipe_id', '=', it.instance.pipe_id).where('deleted_at', 'is', null).execute()).map((r) => r.ip));
            const nodeIps = await trx.selectFrom('nodes').innerJoin('instances', 'instances.uuid', 'nodes.instance_uuid')
              .select('nodes.ip').where('instances.pipe_id', '=', it.instance.pipe_id).execute();
            for (const r of nodeIps) used.add(r.ip);
            const take = () => {
              const ip = pickIp(used);
              if (!ip) throw new IpExhaustedError(`pipe ${it.instance.pipe_id} has no free address`);
              used.add(ip);
              return ip;
            };
            const ip = take();
            const inst = await trx.insertInto('instances').values({ ...it.instance, ip }).returningAll().executeTakeFirstOrThrow();
            for (const n of it.nodes) await trx.insertInto('nodes').values({ ...n, ip: n.ip === 'instance' ? ip : take() }).execute();
            await trx.insertInto('tasks').values(it.task).execute();
            for (const a of it.accounts) await trx.insertInto('accounts').values(a).execute();
            out.push(inst);
          }
          return out;
        });
      } catch (e) {
        // Each race has one winner: with many creates at once on several nodes (all picking the
        // lowest free address), the last one may need as many attempts as there are creates.
        // A short random pause spreads the retries (bench/test: 20 parallel creates on 3 nodes).
        if (attempt < CREATE_ATTEMPTS && this.backend.isUniqueViolation(e)) {
          await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(attempt + 1, 5)));
          continue;
        }
        throw e;
      }
    }
  }

  async updateInstance(uuid: string, patch: Updateable<InstanceTable>): Promise<void> {
    await this.db.updateTable('instances').set(patch).where('uuid', '=', uuid).execute();
  }

  /**
   * Read-modify-write of an instance's ha_state in one transaction (the row locked on PostgreSQL):
   * `change` gets the current text and returns the new one, so fields written meanwhile by another
   * node (a failover's promotedAt, a repair's rejoin counter) are kept, not overwritten from a stale copy.
   */
  async patchHaState(uuid: string, change: (current: string) => string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('instances').select('ha_state').where('uuid', '=', uuid);
      if (this.backend.skipLocked) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return;
      await trx.updateTable('instances').set({ ha_state: change(row.ha_state) }).where('uuid', '=', uuid).execute();
    });
  }

  /**
   * Sets the instance status and inserts a task atomically; TaskConflictError if a task is already active.
   * `also`: other instances the task takes over (a restore's read-only instances) get `also.patch` in the
   * same transaction, but only those with `also.fromStatus` and no active task; any other → TaskConflictError.
   */
  async startTask(task: Insertable<TaskTable>, instancePatch: Updateable<InstanceTable>, also?: { uuids: readonly string[]; fromStatus: string; patch: Updateable<InstanceTable> }): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('tasks').values(task).execute();
        await trx.updateTable('instances').set(instancePatch).where('uuid', '=', task.instance_uuid).execute();
        for (const uuid of also?.uuids ?? []) {
          const busy = await trx.selectFrom('tasks').select('id').where('instance_uuid', '=', uuid).where('status', 'in', [...ACTIVE_TASK_STATUSES]).executeTakeFirst();
          const r = await trx.updateTable('instances').set(also!.patch).where('uuid', '=', uuid).where('status', '=', also!.fromStatus).executeTakeFirst();
          if (busy || Number(r.numUpdatedRows) !== 1) throw new TaskConflictError(uuid);
        }
      });
    } catch (e) {
      if (e instanceof TaskConflictError) throw e;
      if (this.backend.isUniqueViolation(e)) throw new TaskConflictError(task.instance_uuid);
      throw e;
    }
  }

  // --- nodes ---

  async listNodes(instanceUuid: string): Promise<Node[]> {
    return this.db.selectFrom('nodes').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('created_at').orderBy('id').execute();
  }

  async listAllNodes(): Promise<Node[]> {
    return this.db.selectFrom('nodes').selectAll().execute();
  }

  async updateNode(id: string, patch: Updateable<NodeTable>): Promise<void> {
    await this.db.updateTable('nodes').set(patch).where('id', '=', id).execute();
  }

  async deleteNodes(instanceUuid: string): Promise<void> {
    await this.db.deleteFrom('nodes').where('instance_uuid', '=', instanceUuid).execute();
  }

  /** One more recovery restart of the node (RecoverNode), counted in the store, not read first. */
  async countNodeRestart(id: string): Promise<void> {
    await this.db.updateTable('nodes').set((eb) => ({ restarts: eb('restarts', '+', 1) })).where('id', '=', id).execute();
  }

  /** A promotion, atomically: `fromId` becomes the standby, `toId` the primary, and the instance row takes `patch`. */
  async swapPrimary(instanceUuid: string, fromId: string, toId: string, patch: Updateable<InstanceTable>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('nodes').set({ role: 'standby' }).where('id', '=', fromId).execute();
      await trx.updateTable('nodes').set({ role: 'primary' }).where('id', '=', toId).execute();
      await trx.updateTable('instances').set(patch).where('uuid', '=', instanceUuid).execute();
    });
  }

  /**
   * The last step of a delete, atomically: the instance's nodes, accounts and parameters go and
   * its row becomes DELETED (kept for DescribeTask and the ids). A no-op on a row already deleted.
   */
  async forgetInstance(instanceUuid: string, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('nodes').where('instance_uuid', '=', instanceUuid).execute();
      await trx.deleteFrom('accounts').where('instance_uuid', '=', instanceUuid).execute();
      await this.parameters.deleteInstance(instanceUuid, trx);
      await trx.updateTable('instances').set({ status: InstanceStatus.DELETED, deleted_at: now, updated_at: now })
        .where('uuid', '=', instanceUuid).where('deleted_at', 'is', null).execute();
    });
  }

  // --- accounts ---

  async listAccounts(instanceUuid: string): Promise<Account[]> {
    return this.db.selectFrom('accounts').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('created_at').execute();
  }

  async getAccount(instanceUuid: string, name: string): Promise<Account | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('instance_uuid', '=', instanceUuid).where('name', '=', name).executeTakeFirst();
  }

  /** Inserts the account; false if the name exists or (for Super) a Super already exists. */
  async insertAccount(a: Insertable<AccountTable>): Promise<'ok' | 'exists' | 'super-exists'> {
    try {
      return await this.insertAccountOnce(a);
    } catch (e) {
      // Two concurrent inserts of one name (possible on PostgreSQL, whose transactions overlap): the primary key decides.
      if (this.backend.isUniqueViolation(e)) return 'exists';
      throw e;
    }
  }

  private async insertAccountOnce(a: Insertable<AccountTable>): Promise<'ok' | 'exists' | 'super-exists'> {
    return this.db.transaction().execute(async (trx) => {
      const same = await trx.selectFrom('accounts').select('name').where('instance_uuid', '=', a.instance_uuid).where('name', '=', a.name).executeTakeFirst();
      if (same) return 'exists';
      if (a.type === 'Super') {
        const sup = await trx.selectFrom('accounts').select('name').where('instance_uuid', '=', a.instance_uuid).where('type', '=', 'Super').executeTakeFirst();
        if (sup) return 'super-exists';
      }
      await trx.insertInto('accounts').values(a).execute();
      return 'ok';
    });
  }

  async updateAccount(instanceUuid: string, name: string, patch: Updateable<AccountTable>): Promise<void> {
    await this.db.updateTable('accounts').set(patch).where('instance_uuid', '=', instanceUuid).where('name', '=', name).execute();
  }

  async deleteAccount(instanceUuid: string, name: string): Promise<void> {
    await this.db.deleteFrom('accounts').where('instance_uuid', '=', instanceUuid).where('name', '=', name).execute();
  }

  async listAccountsByStatus(status: string): Promise<Account[]> {
    return this.db.selectFrom('accounts').selectAll().where('status', '=', status).execute();
  }

  // --- tasks ---

  async insertTask(task: Insertable<TaskTable>): Promise<void> {
    try {
      await this.db.insertInto('tasks').values(task).execute();
    } catch (e) {
      if (this.backend.isUniqueViolation(e)) throw new TaskConflictError(task.instance_uuid);
      throw e;
    }
  }

  async activeTask(instanceUuid: string): Promise<Task | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('instance_uuid', '=', instanceUuid)
      .where('status', 'in', ACTIVE_TASK_STATUSES).executeTakeFirst();
  }

  /** Instances that have an unfinished task right now. */
  async busyInstances(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('tasks').select('instance_uuid').where('status', 'in', ACTIVE_TASK_STATUSES).execute();
    return new Set(rows.map((r) => r.instance_uuid));
  }

  async getTaskGroup(tenantId: string, id: string): Promise<Task[]> {
    return this.db.selectFrom('tasks').selectAll().where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('id', '=', id), eb('group_id', '=', id)])).orderBy('created_at').execute();
  }

  async getTask(id: string): Promise<Task | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Claims up to `limit` tasks for `owner`, oldest first, in one statement: NEW tasks, or DOING
   * ones whose lease ran out on the database's clock, and only tasks whose nodes are on `hostId`
   * (placement: their provisioner runs there). Each claimed task gets a lease until the database's
   * now + leaseMs and its lease token +1 (the fencing token). PostgreSQL (`skipLocked`): the
   * candidates are locked FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint rows without
   * waiting; SQLite runs the one statement under its single writer. `now` (the node's clock) is
   * only the row's updated_at.
   */
  async claimTasks(owner: string, hostId: string, leaseMs: number, limit: number, now: number): Promise<Task[]> {
    const db = this.backend.clock();
    let candidates = this.db.selectFrom('tasks').select('id')
      .where((eb) => eb.or([
        eb('status', '=', 'NEW'),
        eb.and([eb('status', '=', 'DOING'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', db)])]),
      ]))
      .where(placedOn(hostId))
      .orderBy('created_at').orderBy('id').limit(limit);
    if (this.backend.skipLocked) candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db.updateTable('tasks')
      .set((eb) => ({
        status: 'DOING', lease_owner: owner, lease_until: sql<number>`${db} + ${leaseMs}`,
        lease_token: eb('lease_token', '+', 1), attempts: eb('attempts', '+', 1), updated_at: now,
      }))
      .where('id', 'in', candidates)
      .returningAll().execute();
    return rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Extends the lease to the database's now + leaseMs and marks the task's open step rows seen;
   * false when the task is no longer ours under this token (taken over, or finished).
   */
  async renewLease(id: string, owner: string, token: number, leaseMs: number): Promise<boolean> {
    const db = this.backend.clock();
    const r = await this.db.updateTable('tasks').set({ lease_until: sql<number>`${db} + ${leaseMs}` })
      .where('id', '=', id).where('lease_owner', '=', owner).where('lease_token', '=', token).where('status', '=', 'DOING').executeTakeFirst();
    const ok = Number(r.numUpdatedRows) === 1;
    if (ok) {
      await this.db.updateTable('task_steps').set({ seen_at: db })
        .where('task_id', '=', id).where('token', '=', token).where('ended_at', 'is', null).execute();
    }
    return ok;
  }

  /** Records step progress; only the lease owner under its current token may write (fencing). */
  async saveTaskProgress(id: string, owner: string, token: number, patch: Updateable<TaskTable>): Promise<boolean> {
    const r = await this.db.updateTable('tasks').set(patch)
      .where('id', '=', id).where('lease_owner', '=', owner).where('lease_token', '=', token).where('status', '=', 'DOING').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The fence check before a side effect: the task is still ours under `token`, for at least `marginMs` more. */
  async holdsTask(id: string, owner: string, token: number, marginMs: number): Promise<boolean> {
    const row = await this.db.selectFrom('tasks').select('id')
      .where('id', '=', id).where('lease_owner', '=', owner).where('lease_token', '=', token).where('status', '=', 'DOING')
      .where('lease_until', '>=', sql<number>`${this.backend.clock()} + ${marginMs}`).executeTakeFirst();
    return row !== undefined;
  }

  /** Gives every task lease of `owner` up at once (SIGTERM): another node claims them at its next poll. */
  async releaseTaskLeases(owner: string): Promise<number> {
    const r = await this.db.updateTable('tasks').set({ lease_until: 0 })
      .where('lease_owner', '=', owner).where('status', '=', 'DOING').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Forgets every lease: at the start of a serve on SQLite, the only possible owner (the serve lock). */
  async expireAllLeases(): Promise<number> {
    const r = await this.db.updateTable('tasks').set({ lease_until: 0 }).where('status', '=', 'DOING').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Nodes written before migration 009 carry no host: on one host they are that host's. */
  async adoptHostlessNodes(hostId: string): Promise<number> {
    const r = await this.db.updateTable('nodes').set({ host_id: hostId }).where('host_id', '=', '').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async countTasksByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('tasks').select(['status', sql<number>`count(*)`.as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}

/**
 * Placement (docs/cluster.md): a task is claimable on `hostId` unless a node it acts on runs on
 * another host: the nodes of its instance, of the instance's parent (a read-only clone copies from
 * it), or, for a backup task (whose instance_uuid holds the BackupId), of the backup's instance.
 * Nodes without a host ('' before migration 009) count for every host.
 */
export function placedOn(hostId: string) {
  return sql<boolean>`NOT EXISTS (SELECT 1 FROM nodes pn WHERE pn.host_id <> '' AND pn.host_id <> ${hostId} AND (
    pn.instance_uuid = tasks.instance_uuid
    OR pn.instance_uuid IN (SELECT pi.parent_uuid FROM instances pi WHERE pi.uuid = tasks.instance_uuid)
    OR pn.instance_uuid IN (SELECT pb.instance_uuid FROM backups pb WHERE pb.id = tasks.instance_uuid)))`;
}

/**
 * `column` contains `text`, ASCII letters in any case, every character literal (`_`, `%` and `\`
 * too): the DescribeDBInstances name and IP filters. The same SQL on both backends: LIKE needs an
 * ESCAPE clause on SQLite (it has no default escape), and lower() on both sides makes PostgreSQL's
 * case-sensitive LIKE match as SQLite's does. `!` as the escape keeps backslashes plain text
 * whatever standard_conforming_strings says.
 */
export function containsIgnoringCase(column: 'name' | 'ip', text: string) {
  const pattern = `%${text.replace(/[!%_]/g, (c) => '!' + c)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) LIKE lower(${pattern}) ESCAPE '!'`;
}
