/** The readings' parsers: /proc/PID/stat and status, SHOW GLOBAL STATUS rows, and a real datadir-like walk. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseStatusCounters, STATUS_COUNTERS_SQL } from '../../src/engine/mariadb/monitor.js';
import { diskUsage, parseProcStatCpu, parseVmRss, readProcUsage } from '../../src/provisioner/local/usage.js';

// A real line of /proc/PID/stat of mariadbd: utime 1234, stime 567 (fields 14 and 15).
const STAT = '4242 (mariadbd) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1234 567 0 0 20 0 40 0 1000 1234567890 25000 18446744073709551615 1 1 0 0 0 0 552967 4096 1536 0 0 0 17 1 0 0 0 0 0';

test('parseProcStatCpu', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['mariadbd', STAT, (1234 + 567) / 100],
    ['a command name with spaces and parentheses', STAT.replace('(mariadbd)', '(my (odd) name)'), 18.01],
    ['zero', STAT.replace(' 1234 567 ', ' 0 0 '), 0],
    ['truncated', '4242 (mariadbd) S 1 4242', undefined],
    ['no parenthesis', 'garbage', undefined],
    ['empty', '', undefined],
  ];
  for (const [name, s, want] of cases) {
    const got = parseProcStatCpu(s);
    if (want === undefined) assert.equal(got, undefined, name);
    else assert.ok(Math.abs(got! - want) < 1e-9, `${name}: ${got}`);
  }
});

test('parseVmRss', () => {
  assert.equal(parseVmRss('Name:\tmariadbd\nVmPeak:\t 9000 kB\nVmRSS:\t  104856 kB\nRssAnon:\t 1 kB\n'), 104856 * 1024);
  assert.equal(parseVmRss('Name:\tzombie\nState:\tZ (zombie)\n'), undefined);
  assert.equal(parseVmRss('VmRSS:\t0 kB\n'), 0);
});

test('readProcUsage of this very process, and of no process', () => {
  const u = readProcUsage(process.pid)!;
  assert.ok(u.cpuSeconds > 0);
  assert.ok(u.rssBytes > 10 * 1024 * 1024);
  assert.equal(readProcUsage(2 ** 22 + 12345), undefined);
});

test('parseStatusCounters: SHOW GLOBAL STATUS rows, any case, numbers as strings', () => {
  assert.match(STATUS_COUNTERS_SQL, /^SELECT VARIABLE_NAME AS Variable_name, VARIABLE_VALUE AS Value FROM information_schema.GLOBAL_STATUS WHERE/);
  assert.match(STATUS_COUNTERS_SQL, /UNION ALL SELECT 'Internal_sessions', COUNT\(\*\) FROM information_schema.PROCESSLIST WHERE USER IN \('openrds_admin', 'openrds_repl', 'unauthenticated user'\)$/);
  const rows = [
    { Variable_name: 'Bytes_received', Value: '247683' },
    { Variable_name: 'Bytes_sent', Value: '380991' },
    { Variable_name: 'Slow_queries', Value: '3' },
    { Variable_name: 'Threads_connected', Value: '7' },
    { Variable_name: 'UPTIME', Value: 86 },
    { Variable_name: 'Internal_sessions', Value: 2 },
  ];
  assert.deepEqual(parseStatusCounters(rows), { bytesReceived: 247683, bytesSent: 380991, slowQueries: 3, threadsConnected: 7, internalSessions: 2, uptime: 86 });
  assert.throws(() => parseStatusCounters(rows.slice(1)), /bytesReceived/);
  assert.throws(() => parseStatusCounters([...rows.slice(0, 4), rows[5]!, { Variable_name: 'Uptime', Value: 'n/a' }]), /uptime/);
});

test('diskUsage counts allocated blocks of every file, recursively, without following symlinks', () => {
  const d = mkdtempSync(join(tmpdir(), 'openrds-du-'));
  try {
    assert.equal(diskUsage(join(d, 'missing')), 0);
    mkdirSync(join(d, 'db1'));
    writeFileSync(join(d, 'ibdata1'), Buffer.alloc(1024 * 1024, 1));
    writeFileSync(join(d, 'mysql-bin.000001'), Buffer.alloc(256 * 1024, 1));
    writeFileSync(join(d, 'db1', 't.ibd'), Buffer.alloc(512 * 1024, 1));
    const before = diskUsage(d);
    assert.ok(before >= (1024 + 256 + 512) * 1024, String(before));
    symlinkSync('/usr', join(d, 'link'));
    const withLink = diskUsage(d);
    assert.ok(withLink - before < 64 * 1024, 'a symlink counts as itself, not its target');
    writeFileSync(join(d, 'db1', 'u.ibd'), Buffer.alloc(2 * 1024 * 1024, 1));
    assert.ok(diskUsage(d) - withLink >= 2 * 1024 * 1024, 'growth is seen');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
