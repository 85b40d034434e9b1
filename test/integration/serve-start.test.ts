/**
 * `serve` start-up order (issue 14 §5): a serve that cannot bind its address (EADDRINUSE) exits
 * with an error and creates and prints no access key; the first serve that does listen creates the
 * default key and prints it once. Real bin/openrds serve, real sockets, a fresh home.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { BIN, PIPE, VDC, waitListening } from '../support/harness.js';

const home = join('/tmp', `openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-${process.pid}-${randomInt(1e9)}`);
let blocker: Server;
let port = 0;

before(async () => {
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.json'), JSON.stringify({
    networks: [{ VdcId: VDC, VdcName: 'test', RegionIds: '*', Pipes: [{ BasePipeId: PIPE, PipeName: 'test', Cidr: `127.${randomInt(20, 250)}.${randomInt(0, 256)}.0/24` }] }],
  }));
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  port = (blocker.address() as { port: number }).port;
});
after(async () => {
  await new Promise((r) => blocker.close(r));
  rmSync(home, { recursive: true, force: true });
});

test('a serve whose address is taken exits without making a key', async () => {
  const p = spawn(BIN, ['serve', '--home', home, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d));
  p.stderr!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  assert.notEqual(code, 0, out);
  assert.match(out, /EADDRINUSE|address already in use/i);
  assert.doesNotMatch(out, /AccessKeySecret|created the default tenant/);
});

test('the next serve that listens makes the default key and prints it once', async () => {
  const start = async () => {
    const p = spawn(BIN, ['serve', '--home', home, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { output } = await waitListening(p);
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    return output();
  };
  const first = await start();
  // No key was left by the refused start: this one makes it.
  assert.match(first, /created the default tenant and access key/);
  assert.match(first, /AccessKeySecret: \S+/);
  // The key is printed before the listening line, so nothing reads "listening" without it.
  assert.ok(first.indexOf('AccessKeySecret') < first.indexOf('"msg":"listening"'));
  const second = await start();
  assert.doesNotMatch(second, /AccessKeySecret/);
});
