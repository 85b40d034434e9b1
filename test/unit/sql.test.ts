/** SQL builders of the MariaDB engine: escaping and the statements for accounts and init. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropAccountSql, ensureAccountSql, initSql, quoteIdent, quoteString, SUPER_WITHHELD, userRef } from '../../src/engine/mariadb/sql.js';
import { PIN_SESSION_SQL } from '../../src/engine/mariadb/session.js';

const QUOTE_STRING_CASES: Array<{ name: string; in: string; out: string }> = [
  { name: 'plain', in: 'abc', out: "'abc'" },
  { name: 'empty', in: '', out: "''" },
  { name: 'single quote', in: "it's", out: "'it\\'s'" },
  { name: 'only a quote', in: "'", out: "'\\''" },
  { name: 'injection attempt', in: "x'; DROP USER root; --", out: "'x\\'; DROP USER root; --'" },
  { name: 'backslash', in: 'a\\b', out: "'a\\\\b'" },
  { name: 'trailing backslash cannot escape the closing quote', in: 'a\\', out: "'a\\\\'" },
  { name: 'backslash then quote', in: "\\'", out: "'\\\\\\''" },
  { name: 'NUL byte', in: 'a\0b', out: "'a\\0b'" },
  { name: 'double quote untouched', in: 'a"b', out: "'a\"b'" },
  { name: 'backtick untouched', in: 'a`b', out: "'a`b'" },
  { name: 'percent and underscore untouched', in: '%_', out: "'%_'" },
  { name: 'unicode untouched', in: '数据库', out: "'数据库'" },
  { name: 'password hash', in: '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9', out: "'*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'" },
];

for (const c of QUOTE_STRING_CASES) {
  test(`quoteString: ${c.name}`, () => {
    assert.equal(quoteString(c.in), c.out);
  });
}

test('quoteString: every quote inside the literal is escaped by an odd run of backslashes', () => {
  for (const s of ["'", "\\'", "\\\\'", "a'b\\'c", "''", "\\\\"]) {
    const inner = quoteString(s).slice(1, -1);
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] !== "'") continue;
      let n = 0;
      for (let j = i - 1; j >= 0 && inner[j] === '\\'; j--) n++;
      assert.equal(n % 2, 1, `unescaped quote at ${i} in ${inner}`);
    }
    assert.ok(!/(^|[^\\])(\\\\)*\\$/.test(inner), `literal of ${JSON.stringify(s)} ends with a lone backslash`);
  }
});

const QUOTE_IDENT_CASES: Array<{ name: string; in: string; out: string }> = [
  { name: 'plain', in: 'db1', out: '`db1`' },
  { name: 'empty', in: '', out: '``' },
  { name: 'backtick doubled', in: 'a`b', out: '`a``b`' },
  { name: 'only a backtick', in: '`', out: '````' },
  { name: 'injection attempt', in: 'x`; DROP DATABASE y; --', out: '`x``; DROP DATABASE y; --`' },
  { name: 'single quote untouched', in: "a'b", out: "`a'b`" },
  { name: 'backslash untouched', in: 'a\\b', out: '`a\\b`' },
  { name: 'dot stays inside', in: 'a.b', out: '`a.b`' },
  { name: 'reserved word', in: 'select', out: '`select`' },
];

for (const c of QUOTE_IDENT_CASES) {
  test(`quoteIdent: ${c.name}`, () => {
    assert.equal(quoteIdent(c.in), c.out);
  });
}

const USER_REF_CASES: Array<{ name: string; user: string; host: string; out: string }> = [
  { name: 'any host', user: 'app', host: '%', out: "'app'@'%'" },
  { name: 'localhost', user: 'mysql', host: 'localhost', out: "'mysql'@'localhost'" },
  { name: 'quote in the name', user: "a'b", host: '%', out: "'a\\'b'@'%'" },
];

for (const c of USER_REF_CASES) {
  test(`userRef: ${c.name}`, () => {
    assert.equal(userRef(c.user, c.host), c.out);
  });
}

const HASH = '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';

const ENSURE_CASES: Array<{ name: string; user: string; type: 'Super' | 'Normal'; want: string[] }> = [
  {
    name: 'Normal: create and alter only',
    user: 'app',
    type: 'Normal',
    want: [
      `CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY PASSWORD '${HASH}'`,
      `ALTER USER 'app'@'%' IDENTIFIED BY PASSWORD '${HASH}'`,
    ],
  },
  {
    name: 'Super: all privileges, then the withheld ones revoked',
    user: 'admin1',
    type: 'Super',
    want: [
      `CREATE USER IF NOT EXISTS 'admin1'@'%' IDENTIFIED BY PASSWORD '${HASH}'`,
      `ALTER USER 'admin1'@'%' IDENTIFIED BY PASSWORD '${HASH}'`,
      "GRANT ALL PRIVILEGES ON *.* TO 'admin1'@'%' WITH GRANT OPTION",
      "REVOKE SUPER, SHUTDOWN, FILE, READ_ONLY ADMIN, BINLOG ADMIN, REPLICATION MASTER ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR, BINLOG REPLAY, FEDERATED ADMIN, CONNECTION ADMIN ON *.* FROM 'admin1'@'%'",
    ],
  },
  {
    name: 'names are escaped',
    user: "x'y",
    type: 'Normal',
    want: [
      `CREATE USER IF NOT EXISTS 'x\\'y'@'%' IDENTIFIED BY PASSWORD '${HASH}'`,
      `ALTER USER 'x\\'y'@'%' IDENTIFIED BY PASSWORD '${HASH}'`,
    ],
  },
];

for (const c of ENSURE_CASES) {
  test(`ensureAccountSql: ${c.name}`, () => {
    assert.deepEqual(ensureAccountSql(c.user, HASH, c.type), c.want);
  });
}

test('ensureAccountSql: the Super account cannot stop the server, read files or touch replication', () => {
  const revoke = ensureAccountSql('admin1', HASH, 'Super').find((s) => s.startsWith('REVOKE'));
  assert.ok(revoke);
  for (const p of ['SUPER', 'SHUTDOWN', 'FILE', 'READ_ONLY ADMIN', 'REPLICATION SLAVE ADMIN', 'BINLOG ADMIN']) {
    assert.ok(SUPER_WITHHELD.includes(p as (typeof SUPER_WITHHELD)[number]), p);
    assert.ok(revoke.includes(p), `${p} not revoked`);
  }
});

test('ensureAccountSql: a Normal account gets no privileges by itself', () => {
  assert.ok(ensureAccountSql('app', HASH, 'Normal').every((s) => !/GRANT|REVOKE/.test(s)));
});

test('ensureAccountSql: the hash is used as a hash, never as a clear password', () => {
  for (const s of ensureAccountSql('app', HASH, 'Super').slice(0, 2)) assert.match(s, /IDENTIFIED BY PASSWORD '/);
});

const DROP_CASES: Array<{ name: string; user: string; out: string }> = [
  { name: 'plain', user: 'app', out: "DROP USER IF EXISTS 'app'@'%'" },
  { name: 'escaped', user: "a'b", out: "DROP USER IF EXISTS 'a\\'b'@'%'" },
];

for (const c of DROP_CASES) {
  test(`dropAccountSql: ${c.name}`, () => {
    assert.equal(dropAccountSql(c.user), c.out);
  });
}

test('initSql: the session is pinned first, then SET sql_log_bin = 0, so nothing of it replicates', () => {
  const lines = initSql('openrds_admin', HASH).split('\n');
  assert.equal(lines[0], `${PIN_SESSION_SQL};`);
  assert.equal(lines[1], 'SET sql_log_bin = 0;');
});

test('initSql: exact statements', () => {
  assert.equal(
    initSql('openrds_admin', HASH),
    [
      `${PIN_SESSION_SQL};`,
      'SET sql_log_bin = 0;',
      `CREATE USER IF NOT EXISTS 'openrds_admin'@'%' IDENTIFIED BY PASSWORD '${HASH}';`,
      `ALTER USER 'openrds_admin'@'%' IDENTIFIED BY PASSWORD '${HASH}';`,
      "GRANT ALL PRIVILEGES ON *.* TO 'openrds_admin'@'%' WITH GRANT OPTION;",
      "DROP USER IF EXISTS 'mysql'@'localhost';",
      '',
    ].join('\n'),
  );
});

const INIT_ESCAPE_CASES: Array<{ name: string; user: string; hash: string; mustContain: string }> = [
  { name: 'user with a quote', user: "ad'min", hash: HASH, mustContain: "'ad\\'min'@'%'" },
  { name: 'hash with a quote', user: 'openrds_admin', hash: "x'y", mustContain: "PASSWORD 'x\\'y'" },
];

for (const c of INIT_ESCAPE_CASES) {
  test(`initSql escapes: ${c.name}`, () => {
    const sql = initSql(c.user, c.hash);
    assert.ok(sql.includes(c.mustContain), sql);
    // init_file runs one statement per line: every non-empty line is one statement.
    for (const line of sql.split('\n').filter(Boolean)) assert.ok(line.endsWith(';'), line);
  });
}
