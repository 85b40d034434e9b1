/**
 * The Engine port: what runs inside a node (MariaDB now; Oracle MySQL fits the same contract).
 * It knows config files, datadir initialisation, the server command line and SQL-level
 * operations. It does not know where a node runs: that is the Provisioner's job.
 */
export interface NodeSpec {
  nodeId: string;
  serverId: number;
  ip: string;
  port: number;
  cpu: number;
  ramGb: number;
  diskGb: number;
  diskType: string;
  timeZone: string;
  role: 'primary' | 'standby' | 'replica';
}

export interface NodePaths {
  dir: string;
  datadir: string;
  config: string;
  initFile: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  tmpdir: string;
}

export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface AccountSpec {
  name: string;
  /** Engine password hash (mysql_native_password), never the clear password. */
  passwordHash: string;
  type: 'Super' | 'Normal';
}

export interface Engine {
  readonly kind: string;
  /** Version of the installed server, e.g. "10.11.19". */
  installedVersion(): Promise<string>;
  /** Pure: the server config for a node. */
  renderConfig(spec: NodeSpec, paths: NodePaths): string;
  /** Pure: SQL run at every start (without binlogging) that (re)creates the internal admin account. */
  renderInitSql(adminUser: string, adminPasswordHash: string): string;
  /** Creates an empty datadir. Not idempotent by itself: the caller wipes a half-made one first. */
  initDatadir(paths: NodePaths, spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType'>): Promise<void>;
  serverCommand(paths: NodePaths): { command: string; args: string[] };
  /** Resolves when the server answers a query with these credentials, rejects after timeoutMs. */
  waitReady(t: Target, timeoutMs: number): Promise<void>;
  ping(t: Target, timeoutMs?: number): Promise<boolean>;
  /** Creates or updates the account (idempotent) with the privileges of its type. */
  ensureAccount(t: Target, a: AccountSpec): Promise<void>;
  dropAccount(t: Target, name: string): Promise<void>;
  serverVersion(t: Target): Promise<string>;
}

export const ADMIN_USER = 'openrds_admin';
/** Accounts the control plane owns; users can never see, create, change or drop them. */
export const RESERVED_ACCOUNTS = ['root', 'mysql', 'mariadb.sys', 'openrds_admin', 'openrds_repl', 'openrds_monitor', 'PUBLIC'];
