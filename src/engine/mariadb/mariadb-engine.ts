/**
 * MariaDB adapter of the Engine port: the profile (mariadb-profile.ts) plus the SQL client.
 * mysql2 is used only in client.ts (every connection, pinned) and, for its types, monitor.ts.
 * Nothing here runs a program: the local provisioner runs the server and its tools
 * (src/provisioner/local/mariadb-binaries.ts).
 */
import { EngineEffectError, RESERVED_ACCOUNTS } from '../engine.js';
import type { AccountGrants, AccountSpec, BinlogFileInfo, Engine, NodeSpec, ReplicaStatus, StatusCounters, Target } from '../engine.js';
import { bulkApplyMemory } from './profile/mycnf.js';
import { withConnection, type Conn } from './client.js';
import { accountProblem, accountTypeOf, databaseGrantProblem, globalPrivilegeProblem, parseShowGrants, passwordHashOf } from './grants.js';
import { MariaDbProfile } from './mariadb-profile.js';
import { MonitorConnections, parseStatusCounters, STATUS_COUNTERS_SQL } from './monitor.js';
import {
  databaseExistsSql, planDatabasePrivileges, setGlobalPrivilegeSql, setGlobalSql, showGrantsSql, showVariablesSql,
} from './sql.js';
import { changeMasterSql, heartbeatSql, dropAccountSql, ensureAccountSql, quoteString } from './sql.js';

const SEMI_SYNC_STATUS_SQL =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status','Rpl_semi_sync_master_clients','Rpl_semi_sync_master_no_tx','Rpl_semi_sync_master_yes_tx')";

export class MariaDbEngine extends MariaDbProfile implements Engine {
  private readonly monitors = new MonitorConnections();
  /** HA and replication probes (semi-sync and replica status, several times a second per node): kept open, closed after 30 s unused. */
  private readonly probes = new MonitorConnections(30_000);

  async waitReady(t: Target, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await withConnection(t, async (c) => { await c.query('SELECT 1'); }, 1000);
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`server ${t.host}:${t.port} not ready after ${timeoutMs} ms`, { cause: last });
  }

  async ping(t: Target, timeoutMs = 2000): Promise<boolean> {
    try {
      await withConnection(t, async (c) => { await c.query('SELECT 1'); }, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async ensureAccount(t: Target, a: AccountSpec): Promise<void> {
    await withConnection(t, async (c) => {
      for (const s of ensureAccountSql(a.name, a.passwordHash, a.type)) await c.query(s);
      const lines = await showGrants(c, a.name);
      effect(accountProblem(lines && parseShowGrants(lines), lines && passwordHashOf(lines), a));
    });
  }

  async dropAccount(t: Target, name: string): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query(dropAccountSql(name));
      if (await showGrants(c, name)) effect(`account ${name} still exists after DROP USER`);
    });
  }

  async statusCounters(t: Target, timeoutMs: number): Promise<StatusCounters> {
    const rows = await this.monitors.query(t, STATUS_COUNTERS_SQL, timeoutMs);
    return parseStatusCounters(rows as Array<{ Variable_name: string; Value: string }>);
  }

  closeMonitoring(keep?: readonly Target[]): void {
    this.monitors.close(keep);
    if (!keep) this.probes.close();
  }

  async serverVersion(t: Target): Promise<string> {
    return withConnection(t, async (c) => {
      const [rows] = await c.query('SELECT VERSION() AS v');
      return String((rows as Array<{ v: string }>)[0]!.v).replace(/-.*$/, '');
    });
  }

  async gtidState(t: Target) {
    return withConnection(t, async (c) => {
      const [rows] = await c.query('SELECT @@gtid_binlog_pos AS b, @@gtid_slave_pos AS s, @@gtid_current_pos AS c');
      const r = (rows as Array<{ b: string; s: string; c: string }>)[0]!;
      return { binlogPos: r.b, slavePos: r.s, currentPos: r.c };
    }, 1000);
  }

  async binlogPosition(t: Target, timeoutMs = 1000): Promise<string> {
    const rows = await this.probes.query(t, 'SELECT @@GLOBAL.gtid_binlog_pos AS b', timeoutMs);
    return String((rows as Array<{ b: string }>)[0]!.b);
  }

  async replicaStatus(t: Target, timeoutMs = 2000): Promise<ReplicaStatus | undefined> {
    const rows = await this.probes.query(t, 'SHOW SLAVE STATUS', timeoutMs);
    const r = (rows as Array<Record<string, unknown>>)[0];
    if (!r) return undefined;
    return {
      ioRunning: String(r.Slave_IO_Running), sqlRunning: String(r.Slave_SQL_Running),
      masterHost: String(r.Master_Host), masterPort: Number(r.Master_Port),
      lastIoErrno: Number(r.Last_IO_Errno), lastIoError: String(r.Last_IO_Error ?? ''),
      lastSqlErrno: Number(r.Last_SQL_Errno), lastSqlError: String(r.Last_SQL_Error ?? ''),
      gtidIoPos: String(r.Gtid_IO_Pos ?? ''),
      secondsBehind: r.Seconds_Behind_Master === null ? null : Number(r.Seconds_Behind_Master),
    };
  }

  async semiSyncStatus(t: Target, timeoutMs = 1000) {
    const rows = await this.probes.query(t, SEMI_SYNC_STATUS_SQL, timeoutMs);
    const m = new Map((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]));
    return {
      masterOn: m.get('Rpl_semi_sync_master_status') === 'ON',
      clients: Number(m.get('Rpl_semi_sync_master_clients') ?? 0),
      noTx: Number(m.get('Rpl_semi_sync_master_no_tx') ?? 0),
      yesTx: Number(m.get('Rpl_semi_sync_master_yes_tx') ?? 0),
    };
  }

  async startReplication(t: Target, source: Target, mode: 'slave_pos' | 'current_pos', gtidSlavePos?: string): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query('STOP SLAVE');
      if (gtidSlavePos !== undefined) await c.query(`SET GLOBAL gtid_slave_pos = ${quoteString(gtidSlavePos)}`);
      await c.query(changeMasterSql(source, mode));
      await c.query('START SLAVE');
    });
  }

  async waitGtid(t: Target, gtid: string, timeoutS: number): Promise<boolean> {
    if (!gtid) return true;
    return withConnection(t, async (c) => {
      const [rows] = await c.query(`SELECT MASTER_GTID_WAIT(${quoteString(gtid)}, ${Number(timeoutS)}) AS r`);
      return Number((rows as Array<{ r: number }>)[0]!.r) === 0;
    });
  }

  async promote(t: Target): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query('STOP SLAVE');
      await c.query('RESET SLAVE ALL');
      await c.query('SET GLOBAL rpl_semi_sync_master_enabled = OFF');
      await c.query('SET GLOBAL read_only = OFF');
    });
  }

  async enableSemiSync(t: Target): Promise<boolean> {
    return withConnection(t, async (c) => {
      await c.query('SET GLOBAL rpl_semi_sync_master_enabled = ON');
      // Semi-sync switches back ON when the standby acknowledges an event at the binlog's end.
      for (const q of heartbeatSql()) await c.query(q);
      const [rows] = await c.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'");
      return (rows as Array<{ Value: string }>)[0]?.Value === 'ON';
    });
  }

  async disableSemiSync(t: Target): Promise<void> {
    await withConnection(t, async (c) => { await c.query('SET GLOBAL rpl_semi_sync_master_enabled = OFF'); });
  }

  async demote(t: Target): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query('SET GLOBAL read_only = ON');
      await c.query('SET GLOBAL rpl_semi_sync_master_enabled = OFF');
    });
  }

  async setReadOnly(t: Target, on: boolean): Promise<void> {
    await withConnection(t, async (c) => { await c.query(`SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`); });
  }

  // --- backups ---

  async gtidAt(t: Target, binlogFile: string, binlogPos: number): Promise<string> {
    if (!binlogFile) return '';
    return withConnection(t, async (c) => {
      const [rows] = await c.query('SELECT BINLOG_GTID_POS(?, ?) AS g', [binlogFile, binlogPos]);
      return String((rows as Array<{ g: string | null }>)[0]?.g ?? '');
    });
  }

  // --- restores ---

  async listAccounts(t: Target): Promise<AccountSpec[]> {
    return withConnection(t, async (c) => {
      const [rows] = await c.query("SELECT User AS u FROM mysql.user WHERE Host = '%' ORDER BY User");
      const out: AccountSpec[] = [];
      for (const { u } of rows as Array<{ u: string }>) {
        const name = String(u);
        if (RESERVED_ACCOUNTS.includes(name) && name !== 'root') continue; // root@'%' is CreateDBInstance's Password: the user's
        const lines = await showGrants(c, name);
        const hash = lines && passwordHashOf(lines);
        if (!lines || hash === undefined) continue; // dropped meanwhile, or not a password account
        out.push({ name, passwordHash: hash, type: accountTypeOf(parseShowGrants(lines)) });
      }
      return out;
    });
  }

  async setBulkApply(t: Target, on: boolean, spec: Pick<NodeSpec, 'cpu' | 'ramGb' | 'diskType' | 'overrides'>): Promise<void> {
    const mem = bulkApplyMemory(spec);
    await withConnection(t, async (c) => {
      if (on) {
        // The pool grows in the background (the statement does not wait); the redo log is resized at once.
        await c.query('SET GLOBAL sync_binlog = 0, GLOBAL innodb_flush_log_at_trx_commit = 2');
        await c.query('SET GLOBAL innodb_buffer_pool_size = ?, GLOBAL innodb_log_file_size = ?', [mem.during.bufferPoolBytes, mem.during.logFileBytes]);
        return;
      }
      // The values every node runs with (profile/mycnf.ts); then the binlog (rotation syncs it) and
      // InnoDB's redo log (FLUSH ENGINE LOGS writes and syncs it) hold everything applied. LOCAL:
      // a FLUSH is otherwise written to the binlog, as a transaction of its own (a GTID).
      await c.query('SET GLOBAL sync_binlog = 1, GLOBAL innodb_flush_log_at_trx_commit = 1');
      await c.query('SET GLOBAL innodb_buffer_pool_size = ?, GLOBAL innodb_log_file_size = ?', [mem.after.bufferPoolBytes, mem.after.logFileBytes]);
      await c.query('FLUSH LOCAL BINARY LOGS');
      await c.query('FLUSH LOCAL ENGINE LOGS');
    });
  }

  async startHistoryAt(t: Target, gtid: string): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query('RESET MASTER');
      await c.query(`SET GLOBAL gtid_binlog_state = ${quoteString(gtid)}`);
      await c.query(`SET GLOBAL gtid_slave_pos = ${quoteString(gtid)}`);
      const [rows] = await c.query('SELECT @@gtid_binlog_pos AS b');
      const b = String((rows as Array<{ b: string }>)[0]?.b ?? '');
      if (b !== gtid) effect(`@@gtid_binlog_pos is ${JSON.stringify(b)} after starting the history at ${JSON.stringify(gtid)}`);
    });
  }

  // --- the binlog archive ---

  /**
   * On the node's kept monitoring connection (the collector's, open while the node exists): the
   * archive's purges and the disk guard's held-back count list every node's binlogs about once a
   * minute, and a new connection each time cost serve ~0.6 % of a core at 150 idle instances
   * (bench/RESULTS.md 3i).
   */
  async listBinlogs(t: Target, timeoutMs = 5000): Promise<BinlogFileInfo[]> {
    const logs = await this.monitors.query(t, 'SHOW BINARY LOGS', timeoutMs);
    const out: BinlogFileInfo[] = [];
    for (const r of logs as Array<{ Log_name: string; File_size: number }>) {
      const ev = await this.monitors.query(t, `SHOW BINLOG EVENTS IN ${quoteString(r.Log_name)} LIMIT 4`, timeoutMs);
      const list = (ev as Array<{ Event_type: string; Info: string }>).find((e) => e.Event_type === 'Gtid_list');
      out.push({ file: r.Log_name, sizeBytes: Number(r.File_size), startGtid: (list?.Info ?? '').replace(/^\[|\]$/g, '').split(',').map((x) => x.trim()).filter(Boolean).sort().join(',') });
    }
    return out;
  }

  async purgeBinlogsTo(t: Target, file: string): Promise<void> {
    await withConnection(t, async (c) => { await c.query(`PURGE BINARY LOGS TO ${quoteString(file)}`); });
  }

  // --- user privileges ---

  async listGrants(t: Target, names: readonly string[]): Promise<Map<string, AccountGrants | undefined>> {
    return withConnection(t, async (c) => {
      const out = new Map<string, AccountGrants | undefined>();
      for (const name of names) out.set(name, await readGrants(c, name));
      return out;
    });
  }

  async databaseExists(t: Target, db: string): Promise<boolean> {
    return withConnection(t, async (c) => {
      const [rows] = await c.query(databaseExistsSql(db));
      // The comparison in SQL follows the column's case-insensitive collation; names are not.
      return (rows as Array<{ name: string }>).some((r) => String(r.name) === db);
    });
  }

  async grantDatabase(t: Target, name: string, db: string, privileges: readonly string[]): Promise<void> {
    await this.planAndRun(t, name, db, privileges);
  }

  async revokeDatabase(t: Target, name: string, db: string): Promise<void> {
    await this.planAndRun(t, name, db, []);
  }

  /** Reads the current grant on db.*, runs the statements that make it `target`, and reads it back. */
  private async planAndRun(t: Target, name: string, db: string, target: readonly string[]): Promise<void> {
    await withConnection(t, async (c) => {
      const g = await readGrants(c, name);
      if (!g) throw new Error(`account ${name} does not exist on the database`);
      const current = g.objects.find((o) => o.db === db && o.table === '*')?.privileges;
      for (const s of planDatabasePrivileges(name, db, current, target)) await c.query(s);
      effect(databaseGrantProblem(await readGrants(c, name), name, db, target));
    });
  }

  async setGlobalPrivilege(t: Target, name: string, privilege: string, granted: boolean): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query(setGlobalPrivilegeSql(name, privilege, granted));
      effect(globalPrivilegeProblem(await readGrants(c, name), name, privilege, granted));
    });
  }

  // --- engine parameters ---

  async readVariables(t: Target, names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    return withConnection(t, async (c) => {
      const [rows] = await c.query(showVariablesSql(names));
      return Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, String(r.Value)]));
    });
  }

  async setGlobal(t: Target, name: string, value: string): Promise<void> {
    await withConnection(t, async (c) => {
      await c.query(setGlobalSql(name, value));
      const [rows] = await c.query(showVariablesSql([name]));
      const live = (rows as Array<{ Value: string }>)[0]?.Value;
      if (live === undefined || !this.parameters.same(name, String(live), value)) {
        effect(`${name} reads ${live === undefined ? 'nothing' : JSON.stringify(String(live))} after SET GLOBAL ${name} = ${JSON.stringify(value)}`);
      }
    });
  }
}

/** MariaDB error 1141: no such grant (SHOW GRANTS for a user that does not exist). */
const ER_NONEXISTING_GRANT = 1141;

/** The SHOW GRANTS lines of `name`@'%', or undefined when there is no such user. */
async function showGrants(c: Conn, name: string): Promise<string[] | undefined> {
  try {
    const [rows] = await c.query(showGrantsSql(name));
    return (rows as Array<Record<string, string>>).map((r) => String(Object.values(r)[0]));
  } catch (e) {
    if ((e as { errno?: number }).errno === ER_NONEXISTING_GRANT) return undefined;
    throw e;
  }
}

async function readGrants(c: Conn, name: string): Promise<AccountGrants | undefined> {
  const lines = await showGrants(c, name);
  return lines && parseShowGrants(lines);
}

/** Throws EngineEffectError when a read-back found a problem. */
function effect(problem: string | undefined): void {
  if (problem) throw new EngineEffectError(`the change did not take effect: ${problem}`);
}
