/**
 * Replay after a restart (issue 11, defect 5) and actions on other methods (defect 4), against
 * the real `openrds serve` and a real MariaDB instance: a captured signed DeleteDBAccount URL,
 * replayed after serve was killed (-9) or stopped (SIGTERM) and started again, answers
 * SignatureNonceUsed and drops nothing; a request signed for HEAD/PUT/DELETE runs nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { sign } from '../support/cds-client.js';
import { createParams, createRunning, startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
let inst: any;
const PW = 'App-Pass1';

before(async () => {
  s = await startServer();
  inst = await createRunning(s.client);
});
after(async () => { await s?.cleanup(); });

/** A signed URL path+query, as an eavesdropper would capture it. */
function captured(method: string, action: string, params: Record<string, string>): string {
  const q: Record<string, string> = {
    Action: action, AccessKeyId: s.creds.AccessKeyId, SignatureMethod: 'HMAC-SHA1', SignatureNonce: randomUUID(), SignatureVersion: '1.0',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Version: '2019-08-08', ...params,
  };
  q.Signature = sign(method, q, s.creds.AccessKeySecret, 'HMAC-SHA1');
  return `/mysql/?${new URLSearchParams(q)}`;
}

function send(method: string, path: string, body?: string): Promise<{ status: number; text: string; body: any }> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode!, text, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function accountNames(): Promise<string[]> {
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  return data.map((a: any) => a.AccountName).sort();
}

/** True when `name` can log in to the instance (the engine's own answer, not the store's). */
async function canLogIn(name: string): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ host: inst.IP, port: inst.Port, user: name, password: PW, connectTimeout: 5000 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function createAccount(name: string): Promise<void> {
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: inst.InstanceUuid, AccountName: name, Password: PW, AccountType: 'Normal' });
  assert.ok(await canLogIn(name));
}

for (const how of ['kill -9', 'SIGTERM'] as const) {
  test(`a captured DeleteDBAccount URL replayed after ${how} and a restart: SignatureNonceUsed, nothing dropped`, async () => {
    const name = how === 'kill -9' ? 'victim_kill' : 'victim_term';
    await createAccount(name);
    const url = captured('GET', 'DeleteDBAccount', { InstanceUuid: inst.InstanceUuid, AccountName: name });
    const first = await send('GET', url);
    assert.equal(first.body?.Code, 'Success', first.text);
    assert.ok(!(await accountNames()).includes(name));
    // The owner creates the account again; then the control plane restarts.
    await createAccount(name);
    if (how === 'kill -9') await s.kill9();
    else await s.stop();
    await s.restart();
    const replay = await send('GET', url);
    assert.equal(replay.status, 403, replay.text);
    assert.equal(replay.body?.Code, 'SignatureNonceUsed');
    assert.match(replay.body?.RequestId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok((await accountNames()).includes(name), 'the account is still listed');
    assert.ok(await canLogIn(name), 'the account still logs in');
  });
}

test('requests signed for HEAD, PUT, DELETE, OPTIONS, PATCH run nothing: 405 MethodNotAllowed', async () => {
  await createAccount('keeper');
  for (const method of ['HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const del = await send(method, captured(method, 'DeleteDBAccount', { InstanceUuid: inst.InstanceUuid, AccountName: 'keeper' }), method === 'HEAD' ? undefined : '{}');
    assert.equal(del.status, 405, `${method}: ${del.text}`);
    if (method !== 'HEAD') assert.equal(del.body?.Code, 'MethodNotAllowed');
    const create = await send(method, captured(method, 'CreateDBInstance', Object.fromEntries(Object.entries(createParams({ InstanceName: `via-${method}` })).map(([k, v]) => [k, String(v)]))), method === 'HEAD' ? undefined : '{}');
    assert.equal(create.status, 405, `${method}: ${create.text}`);
  }
  assert.ok(await canLogIn('keeper'), 'the account was not dropped');
  assert.ok((await accountNames()).includes('keeper'));
  const { data } = await s.client.ok('DescribeDBInstances', {}, { method: 'GET' });
  assert.deepEqual(data.map((i: any) => i.InstanceName), ['test-db'], 'no instance was created');
});

test('a Description with NUL or a newline is refused with InvalidParameter, and no account is made', async () => {
  for (const d of ['a\u0000b', 'line1\nline2', 'x\u2028y']) {
    const r = await s.client.call('CreatePrivilegedAccount', { InstanceUuid: inst.InstanceUuid, AccountName: 'described', Password: PW, AccountType: 'Normal', Description: d });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.Code, 'InvalidParameter');
    assert.match(r.body.Message, /Description/);
  }
  assert.ok(!(await accountNames()).includes('described'));
  assert.equal(await canLogIn('described'), false);
  // Full Unicode, 4-byte characters included, is kept as given.
  await s.client.ok('CreatePrivilegedAccount', { InstanceUuid: inst.InstanceUuid, AccountName: 'described', Password: PW, AccountType: 'Normal', Description: 'ops 😀 数据 𝄞' });
  const { data } = await s.client.ok('DescribeDBAccount', { InstanceUuid: inst.InstanceUuid }, { method: 'GET' });
  assert.equal(data.find((a: any) => a.AccountName === 'described')?.AccountDescription, 'ops 😀 数据 𝄞');
});
