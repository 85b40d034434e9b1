/** Pure SQL builders for MariaDB administration. Identifiers and strings are escaped here, once. */

export function quoteString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0') + "'";
}

export function quoteIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

export function userRef(name: string, host: string): string {
  return `${quoteString(name)}@${quoteString(host)}`;
}

/** Privileges withheld from the Super account: they would let it break the service or its HA guarantees. */
export const SUPER_WITHHELD = [
  'SUPER', 'SHUTDOWN', 'FILE', 'READ_ONLY ADMIN', 'BINLOG ADMIN', 'REPLICATION MASTER ADMIN',
  'REPLICATION SLAVE ADMIN', 'SLAVE MONITOR', 'BINLOG REPLAY', 'FEDERATED ADMIN', 'CONNECTION ADMIN',
] as const;

export function initSql(adminUser: string, adminHash: string): string {
  const u = userRef(adminUser, '%');
  return [
    'SET sql_log_bin = 0;',
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY PASSWORD ${quoteString(adminHash)};`,
    `ALTER USER ${u} IDENTIFIED BY PASSWORD ${quoteString(adminHash)};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${u} WITH GRANT OPTION;`,
    "DROP USER IF EXISTS 'mysql'@'localhost';",
    '',
  ].join('\n');
}

export function ensureAccountSql(name: string, hash: string, type: 'Super' | 'Normal'): string[] {
  const u = userRef(name, '%');
  const out = [
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED BY PASSWORD ${quoteString(hash)}`,
    `ALTER USER ${u} IDENTIFIED BY PASSWORD ${quoteString(hash)}`,
  ];
  if (type === 'Super') {
    out.push(`GRANT ALL PRIVILEGES ON *.* TO ${u} WITH GRANT OPTION`);
    out.push(`REVOKE ${SUPER_WITHHELD.join(', ')} ON *.* FROM ${u}`);
  }
  return out;
}

export function dropAccountSql(name: string): string {
  return `DROP USER IF EXISTS ${userRef(name, '%')}`;
}
