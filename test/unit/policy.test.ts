/** Password and account-name rules (src/accounts/policy.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountNameProblem, PASSWORD_POLICY, passwordProblem } from '../../src/accounts/policy.js';
import { RESERVED_ACCOUNTS } from '../../src/engine/engine.js';

/** `ok` cases must pass; the others must be refused with a reason matching `why`. */
const PASSWORD_CASES: Array<{ name: string; pw: string; why?: RegExp }> = [
  { name: 'three classes, 8 characters', pw: 'Abcdef12' },
  { name: 'lower + digit + special', pw: 'abcdef1!' },
  { name: 'upper + digit + special', pw: 'ABCDEF1!' },
  { name: 'lower + upper + special', pw: 'Abcdefg!' },
  { name: 'all four classes', pw: 'Abc123!@' },
  { name: 'exactly 32 characters', pw: 'Aa1' + 'x'.repeat(29) },
  { name: 'every allowed special character', pw: 'Aa1' + PASSWORD_POLICY.specials },
  { name: 'too short: 7 characters', pw: 'Abcde1!', why: /8-32 characters/ },
  { name: 'empty', pw: '', why: /8-32 characters/ },
  { name: 'too long: 33 characters', pw: 'Aa1' + 'x'.repeat(30), why: /8-32 characters/ },
  { name: 'only lowercase', pw: 'abcdefghij', why: /at least 3/ },
  { name: 'only digits', pw: '1234567890', why: /at least 3/ },
  { name: 'two classes: lower + digit', pw: 'abcdef123', why: /at least 3/ },
  { name: 'two classes: upper + lower', pw: 'ABCDefgh', why: /at least 3/ },
  { name: 'two classes: special + digit', pw: '!!!!1234', why: /at least 3/ },
  { name: 'space refused', pw: 'Abc 1234!', why: /not allowed/ },
  { name: 'single quote refused', pw: "Abc'1234", why: /not allowed/ },
  { name: 'double quote refused', pw: 'Abc"1234', why: /not allowed/ },
  { name: 'backslash refused', pw: 'Abc\\1234', why: /not allowed/ },
  { name: 'backtick refused', pw: 'Abc`1234', why: /not allowed/ },
  { name: 'slash refused', pw: 'Abc/1234', why: /not allowed/ },
  { name: 'Chinese refused', pw: 'Abc1234密码', why: /not allowed/ },
  { name: 'accented letter refused', pw: 'Abcé1234', why: /not allowed/ },
  { name: 'newline refused', pw: 'Abc1234\n', why: /not allowed/ },
  { name: 'tab refused', pw: 'Abc\t1234', why: /not allowed/ },
  { name: 'NUL refused', pw: 'Abc\u00001234', why: /not allowed/ },
];

for (const c of PASSWORD_CASES) {
  test(`passwordProblem: ${c.name}`, () => {
    const p = passwordProblem(c.pw);
    if (c.why === undefined) assert.equal(p, undefined);
    else {
      assert.ok(p, 'should be refused');
      assert.match(p, c.why);
    }
  });
}

test('passwordProblem: a refused character is named in the reason', () => {
  assert.match(passwordProblem('Abc 1234!') ?? '', /" "/);
  assert.match(passwordProblem("Abc'1234") ?? '', /"'"/);
});

/** Cases without `why` must pass; the others must be refused with a reason matching `why`. */
const NAME_CASES: Array<{ name: string; account: string; why?: RegExp }> = [
  { name: 'plain', account: 'app' },
  { name: 'two characters (minimum)', account: 'ab' },
  { name: '32 characters (maximum)', account: 'a' + 'b'.repeat(31) },
  { name: 'digits and underscore', account: 'app_user_01' },
  { name: 'mysqluser is not mysql', account: 'mysqluser' },
  { name: 'rootless is not root', account: 'rootless' },
  { name: 'one character', account: 'a', why: /2-32/ },
  { name: 'empty', account: '', why: /2-32/ },
  { name: '33 characters', account: 'a' + 'b'.repeat(32), why: /2-32/ },
  { name: 'starts with a digit', account: '1app', why: /starting with a letter/ },
  { name: 'starts with underscore', account: '_app', why: /starting with a letter/ },
  { name: 'uppercase refused', account: 'App', why: /lowercase/ },
  { name: 'all uppercase refused', account: 'ADMIN', why: /lowercase/ },
  { name: 'dash refused', account: 'my-app', why: /2-32/ },
  { name: 'dot refused', account: 'my.app', why: /2-32/ },
  { name: 'space refused', account: 'my app', why: /2-32/ },
  { name: 'quote refused', account: "ap'p", why: /2-32/ },
  { name: 'at sign refused', account: 'app@host', why: /2-32/ },
  { name: 'Chinese refused', account: '用户', why: /2-32/ },
  { name: 'reserved: root', account: 'root', why: /reserved/ },
  { name: 'reserved: mysql', account: 'mysql', why: /reserved/ },
  { name: 'reserved: public (PUBLIC role)', account: 'public', why: /reserved/ },
  { name: 'reserved: openrds_admin', account: 'openrds_admin', why: /reserved/ },
  { name: 'reserved: openrds_repl', account: 'openrds_repl', why: /reserved/ },
  { name: 'reserved: openrds_monitor', account: 'openrds_monitor', why: /reserved/ },
  { name: 'reserved prefix openrds_', account: 'openrds_backup', why: /reserved/ },
  { name: 'reserved prefix mariadb', account: 'mariadb_sys', why: /reserved/ },
  { name: 'mariadb.sys refused', account: 'mariadb.sys', why: /2-32/ },
  { name: 'uppercase ROOT refused', account: 'ROOT', why: /lowercase/ },
];

for (const c of NAME_CASES) {
  test(`accountNameProblem: ${c.name}`, () => {
    const p = accountNameProblem(c.account);
    if (c.why === undefined) assert.equal(p, undefined);
    else {
      assert.ok(p, `${c.account} should be refused`);
      assert.match(p, c.why);
    }
  });
}

for (const reserved of RESERVED_ACCOUNTS) {
  test(`accountNameProblem refuses reserved account ${reserved}`, () => {
    assert.ok(accountNameProblem(reserved));
    assert.ok(accountNameProblem(reserved.toLowerCase()));
  });
}
