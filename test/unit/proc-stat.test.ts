/** The local provisioner's cheap liveness check (proc.ts parseStat / stillRunning): table-driven, plus this process's own /proc entry. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KeptStat, parseStat, stillRunning } from '../../src/provisioner/local/proc.js';

const tail = (state: string, start: number) => `${state} 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 ${start} 20 21`;
const CASES: Array<[name: string, stat: string, want: { state: string; startTicks: number } | undefined]> = [
  ['a sleeping mariadbd', `123 (mariadbd) ${tail('S', 4711)}`, { state: 'S', startTicks: 4711 }],
  ['a running one', `9 (mariadbd) ${tail('R', 1)}`, { state: 'R', startTicks: 1 }],
  ['a zombie', `9 (mariadbd) ${tail('Z', 77)}`, { state: 'Z', startTicks: 77 }],
  ['a name with spaces and parentheses', `9 (a b) (c)) ${tail('S', 5)}`, { state: 'S', startTicks: 5 }],
  ['no closing parenthesis', '9 (mariadbd S 1 2', undefined],
  ['too short', '9 (mariadbd) S 1 2 3', undefined],
  ['a start time that is not a number', `9 (x) ${tail('S', 0).replace(/ 0 20/, ' x 20')}`, undefined],
  ['empty', '', undefined],
];
for (const [name, stat, want] of CASES) {
  test(`parseStat: ${name}`, () => assert.deepEqual(parseStat(stat), want));
}

test('stillRunning: this process with its own start time; not with another, nor a pid that does not exist', () => {
  const me = parseStat(readFileSync(`/proc/${process.pid}/stat`, 'utf8'))!;
  assert.ok(me.startTicks > 0);
  assert.equal(stillRunning(process.pid, me.startTicks), true);
  assert.equal(stillRunning(process.pid, me.startTicks + 1), false);
  assert.equal(stillRunning(2 ** 22 + 12345, me.startTicks), false); // above pid_max's largest value
});

test('KeptStat: alive while the process runs, false once it exited (its kept descriptor answers ESRCH), never for another start time', async () => {
  const { spawn } = await import('node:child_process');
  const ks = new KeptStat();
  const me = parseStat(readFileSync(`/proc/${process.pid}/stat`, 'utf8'))!;
  assert.equal(ks.alive(process.pid, me.startTicks), true);
  assert.equal(ks.alive(process.pid, me.startTicks), true, 'again, through the kept descriptor');
  assert.equal(ks.alive(process.pid, me.startTicks + 1), false);
  assert.equal(ks.alive(2 ** 22 + 12345, 1), false);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const ticks = parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))!.startTicks;
  assert.equal(ks.alive(child.pid!, ticks), true);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited; // reaped by node
  assert.equal(ks.alive(child.pid!, ticks), false);
  assert.equal(ks.alive(child.pid!, ticks), false, 'and stays false');
  ks.clear();
});
