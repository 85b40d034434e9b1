/** MariaDB backup command lines and position parsing (src/provisioner/local/backup-tools.ts), against golden strings. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupToolCommand, parseBackupPosition, renderToolOptionFile } from '../../src/provisioner/local/backup-tools.js';
import type { BackupToolRequest } from '../../src/provisioner/local/backup-tools.js';

const BIN = { backup: '/usr/bin/mariadb-backup', dump: '/usr/bin/mariadb-dump' };
const req = (over: Partial<BackupToolRequest> = {}): BackupToolRequest => ({
  kind: 'physical',
  node: {
    dir: '/h/nodes/n1', datadir: '/h/nodes/n1/data', config: '/h/nodes/n1/my.cnf', initFile: '/h/nodes/n1/init.sql',
    socket: '/h/nodes/n1/mysqld.sock', pidFile: '/h/nodes/n1/mysqld.pid', errorLog: '/h/nodes/n1/error.log', tmpdir: '/h/nodes/n1/tmp',
  },
  target: { host: '127.10.0.2', port: 3306, user: 'openrds_admin', password: 'pw-Abc_123' },
  workDir: '/h/backup-work/bk-1',
  replica: false,
  ...over,
});

test('option file: the node config first, then the connection (no password on any command line)', () => {
  assert.equal(renderToolOptionFile(req()), [
    '# openrds backup job: the node config, then the connection. Removed when the job ends.',
    '!include /h/nodes/n1/my.cnf',
    '[client]',
    'host = 127.10.0.2',
    'port = 3306',
    'user = openrds_admin',
    'password = pw-Abc_123',
    '',
  ].join('\n'));
});

test('physical: mariadb-backup streams xbstream, --defaults-file first', () => {
  const c = backupToolCommand(req(), BIN);
  assert.equal(c.command, '/usr/bin/mariadb-backup');
  assert.deepEqual(c.args, [
    '--defaults-file=/h/backup-work/bk-1/tool.cnf', '--backup', '--stream=xbstream',
    '--target-dir=/h/backup-work/bk-1/target', '--tmpdir=/h/backup-work/bk-1',
  ]);
  assert.equal(c.optionFile.path, '/h/backup-work/bk-1/tool.cnf');
  assert.ok(c.successMarker!.test('[00] 2024-05-01 10:00:00 completed OK!\n'));
  assert.ok(!c.successMarker!.test('completed OK!\n[00] then an error'));
  assert.ok(!c.args.some((a) => a.includes('pw-Abc_123')));
});

test('physical on a standby also records the primary position (--slave-info)', () => {
  assert.deepEqual(backupToolCommand(req({ replica: true }), BIN).args.slice(-1), ['--slave-info']);
});

test('logical, whole instance: every user database, one snapshot at a recorded position', () => {
  const c = backupToolCommand(req({ kind: 'logical' }), BIN);
  assert.equal(c.command, '/usr/bin/mariadb-dump');
  assert.deepEqual(c.args, [
    '--defaults-file=/h/backup-work/bk-1/tool.cnf', '--single-transaction', '--master-data=2', '--gtid',
    '--quick', '--routines', '--events', '--triggers', '--hex-blob', '--default-character-set=utf8mb4',
    '--all-databases', '--ignore-database=mysql', '--ignore-database=sys',
  ]);
  assert.equal(c.successMarker, undefined);
});

test('logical, DBList: the names after --, so a database named like an option stays a name', () => {
  const c = backupToolCommand(req({ kind: 'logical', databases: ['shop', '--all-databases'] }), BIN);
  assert.deepEqual(c.args.slice(-4), ['--databases', '--', 'shop', '--all-databases']);
  assert.ok(!c.args.includes('--ignore-database=mysql'));
});

const POSITIONS: Array<[string, 'physical' | 'logical', string, string, { gtid: string; binlogFile: string; binlogPos: number }]> = [
  ['mariadb-backup log', 'physical',
    "[00] 2024-05-01 08:18:23 MySQL binlog position: filename 'mysql-bin.000001', position '2187968', GTID of the last change '0-1-6'\n[00] completed OK!\n", '',
    { gtid: '0-1-6', binlogFile: 'mysql-bin.000001', binlogPos: 2187968 }],
  ['multi-domain GTID', 'physical', "MySQL binlog position: filename 'mysql-bin.000003', position '4', GTID of the last change '0-1-6,1-2-9'", '',
    { gtid: '0-1-6,1-2-9', binlogFile: 'mysql-bin.000003', binlogPos: 4 }],
  ['no GTID yet (empty binlog)', 'physical', "MySQL binlog position: filename 'mysql-bin.000001', position '329'", '',
    { gtid: '', binlogFile: 'mysql-bin.000001', binlogPos: 329 }],
  ['the last report wins', 'physical', "MySQL binlog position: filename 'a.1', position '1', GTID of the last change '0-1-1'\nMySQL binlog position: filename 'a.2', position '2', GTID of the last change '0-1-2'", '',
    { gtid: '0-1-2', binlogFile: 'a.2', binlogPos: 2 }],
  ['nothing in the log', 'physical', 'completed OK!', '', { gtid: '', binlogFile: '', binlogPos: 0 }],
  ['dump head', 'logical', '', "-- MariaDB dump 10.19\n--\n-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;\n\n-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=2187968;\n",
    { gtid: '', binlogFile: 'mysql-bin.000001', binlogPos: 2187968 }],
  ['dump head without a position', 'logical', '', '-- MariaDB dump 10.19\nCREATE DATABASE x;\n', { gtid: '', binlogFile: '', binlogPos: 0 }],
  ['a position inside data is not a header', 'logical', '', "INSERT INTO t VALUES ('-- CHANGE MASTER TO MASTER_LOG_FILE=''x'', MASTER_LOG_POS=1;');\n", { gtid: '', binlogFile: '', binlogPos: 0 }],
];
for (const [name, kind, log, head, want] of POSITIONS) {
  test(`position: ${name}`, () => assert.deepEqual(parseBackupPosition(kind, log, head), want));
}
