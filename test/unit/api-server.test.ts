/**
 * The HTTP layer in process (app.inject, and a loopback listener for what only Node's parser
 * sees): only GET and POST run actions, every answer is the envelope with a RequestId, the
 * Content-Type never decides how the body is read (issue 11, defects 4, 6, 7).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import type { ActionDef } from '../../src/api/action.js';
import { clientErrorResponse } from '../../src/api/envelope.js';
import { ERROR_CODES } from '../../src/api/errors.js';
import { ACTIONS } from '../../src/actions/index.js';
import { buildServer } from '../../src/api/server.js';
import { allowedMethods, routeMatches } from '../../src/api/routes.js';
import { downloadRoute } from '../../src/backups/download-route.js';
import { sign } from '../support/cds-client.js';
import { startApiApp, type ApiApp } from '../support/api-app.js';

/** A hand-written action that counts its runs: what "nothing ran" is measured with. */
let probeRuns = 0;
const probe: ActionDef = {
  name: 'Probe',
  async handler(_ctx, p) {
    probeRuns++;
    return { data: { Got: p.str('Value') ?? null } };
  },
};

let a: ApiApp;
let url = '';
before(async () => {
  a = await startApiApp({ actions: new Map([...ACTIONS, ['Probe', probe]]) });
  url = await a.app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => { await a.close(); });

function signedQs(method: string, action = 'Probe', extra: Record<string, string> = {}): string {
  const q: Record<string, string> = {
    Action: action, AccessKeyId: a.creds.AccessKeyId, SignatureMethod: 'HMAC-SHA1', SignatureNonce: randomUUID(), SignatureVersion: '1.0',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Version: '2019-08-08', ...extra,
  };
  q.Signature = sign(method, q, a.creds.AccessKeySecret, 'HMAC-SHA1');
  return new URLSearchParams(q).toString();
}

function assertEnvelope(body: any, code: string): void {
  assert.equal(body.Code, code, JSON.stringify(body));
  assert.equal(typeof body.Message, 'string');
  assert.ok(body.Message.length > 0);
  assert.equal(body.Data, null);
  assert.equal(body.TaskId, '');
  assert.match(body.RequestId, /^[0-9a-f-]{36}$/);
}

/** Raw bytes to the listener; the whole answer as text (the server closes or we stop at the body's end). */
function rawHttp(bytes: string | Buffer): Promise<{ status: number; head: string; body: any }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    const finish = () => {
      const text = buf.toString('utf8');
      const i = text.indexOf('\r\n\r\n');
      if (i < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const head = text.slice(0, i);
      const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
      const bodyText = len >= 0 ? Buffer.from(text.slice(i + 4)).subarray(0, len).toString() : text.slice(i + 4);
      let body: any;
      try { body = JSON.parse(bodyText); } catch { body = { raw: bodyText }; }
      resolve({ status: Number(head.split(' ')[1]), head, body });
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString('utf8');
      const i = text.indexOf('\r\n\r\n');
      const len = Number(/content-length: (\d+)/i.exec(text.slice(0, Math.max(i, 0)))?.[1] ?? -1);
      if (i >= 0 && len >= 0 && buf.length >= Buffer.byteLength(text.slice(0, i + 4)) + len) { sock.destroy(); finish(); }
    });
    sock.on('error', () => { /* the server may close while we still write */ });
    sock.on('close', () => { if (buf.length) finish(); else reject(new Error('closed without an answer')); });
    sock.write(bytes);
  });
}

for (const method of ['HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const) {
  test(`${method}, signed for ${method}, runs nothing and answers 405 MethodNotAllowed`, async () => {
    const runs = probeRuns;
    const nonces = await a.store.nonces.count();
    for (const path of ['/', '/mysql/', '/ccs']) {
      const res = await a.app.inject({ method, url: `${path}?${signedQs(method)}`, payload: method === 'HEAD' || method === 'OPTIONS' ? undefined : '{"Value":"x"}' });
      assert.equal(res.statusCode, 405, `${method} ${path}: ${res.body}`);
      assert.equal(res.headers.allow, 'GET, POST');
      if (method === 'HEAD') assert.equal(res.body, '', 'HEAD answers carry no body');
      else assertEnvelope(JSON.parse(res.body), 'MethodNotAllowed');
    }
    assert.equal(probeRuns, runs, 'the action must not run');
    assert.equal(await a.store.nonces.count(), nonces, 'a refused method uses no nonce');
  });
}

test('GET and POST run the action', async () => {
  const runs = probeRuns;
  assert.equal((await a.app.inject({ method: 'GET', url: `/mysql/?${signedQs('GET', 'Probe', { Value: 'g' })}` })).json().Data.Got, 'g');
  assert.equal((await a.app.inject({ method: 'POST', url: `/mysql/?${signedQs('POST')}`, payload: '{"Value":"p"}' })).json().Data.Got, 'p');
  assert.equal(probeRuns, runs + 2);
});

test('HEAD of a non-API route is not invented either (exposeHeadRoutes off), and still enveloped', async () => {
  const res = await a.app.inject({ method: 'HEAD', url: '/nowhere' });
  assert.equal(res.statusCode, 404);
});

const CONTENT_TYPES = ['', ' ', ';', ';;;', 'garbage', 'application/', '/json', 'text/plain; charset', 'application/json; charset="unterminated',
  'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '\u00e9t\u00e9/json'];
for (const ct of CONTENT_TYPES) {
  test(`POST with Content-Type ${JSON.stringify(ct)}: the body is read as JSON anyway (spec §1.3)`, async () => {
    const res = await a.app.inject({ method: 'POST', url: `/mysql/?${signedQs('POST')}`, payload: '{"Value":"ct"}', headers: { 'content-type': ct } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().Data.Got, 'ct');
  });
}

test('unknown path: 404 ResourceNotFound in the envelope, with a RequestId', async () => {
  for (const method of ['GET', 'POST', 'PUT'] as const) {
    const res = await a.app.inject({ method, url: `/nope?${signedQs(method)}`, payload: method === 'GET' ? undefined : '{}' });
    assert.equal(res.statusCode, 404);
    assertEnvelope(res.json(), 'ResourceNotFound');
  }
});

test('a body over 1 MiB: 413 RequestTooLarge in the envelope, nothing ran', async () => {
  const runs = probeRuns;
  const res = await a.app.inject({ method: 'POST', url: `/mysql/?${signedQs('POST')}`, payload: JSON.stringify({ Value: 'x'.repeat(1024 * 1024) }) });
  assert.equal(res.statusCode, 413, res.body);
  assertEnvelope(res.json(), 'RequestTooLarge');
  assert.equal(probeRuns, runs);
});

test('a malformed URL: 400 InvalidParameter in the envelope, with a RequestId', async () => {
  const res = await a.app.inject({ method: 'GET', url: `/mysql/%E0%A4%A?${signedQs('GET')}` });
  assert.equal(res.statusCode, 400);
  assertEnvelope(res.json(), 'InvalidParameter');
});

test('a query string over 16 KiB (raw socket): 431 RequestHeaderTooLarge in the envelope', async () => {
  const r = await rawHttp(`GET /mysql/?${signedQs('GET', 'Probe', { Value: 'v'.repeat(20_000) })} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.equal(r.status, 431, r.head);
  assert.match(r.head, /content-type: application\/json/i);
  assertEnvelope(r.body, 'RequestHeaderTooLarge');
});

test('a NUL byte in Content-Type (raw socket): 400 InvalidParameter in the envelope', async () => {
  const body = '{"Value":"x"}';
  const r = await rawHttp(Buffer.from(`POST /mysql/?${signedQs('POST')} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\u0000x\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1'));
  assert.equal(r.status, 400, r.head);
  assertEnvelope(r.body, 'InvalidParameter');
});

test('an unknown method token and a broken request line (raw socket): 400 in the envelope', async () => {
  for (const line of ['FROB /mysql/ HTTP/1.1', 'GET /mysql/ HTTP/9.9', 'GET  HTTP/1.1']) {
    const r = await rawHttp(`${line}\r\nHost: x\r\n\r\n`);
    assert.equal(r.status, 400, `${line}: ${r.head}`);
    assertEnvelope(r.body, 'InvalidParameter');
  }
});

test('a listener keeps serving after parser errors', async () => {
  await rawHttp(`GET /mysql/?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const res = await fetch(`${url}/mysql/?${signedQs('GET', 'Probe', { Value: 'after' })}`);
  assert.equal((await res.json()).Data.Got, 'after');
});

const CLIENT_ERRORS: Array<{ code: string | undefined; status?: number; want?: string }> = [
  { code: 'HPE_HEADER_OVERFLOW', status: 431, want: 'RequestHeaderTooLarge' },
  { code: 'ERR_HTTP_REQUEST_TIMEOUT', status: 408, want: 'RequestTimeout' },
  { code: 'HPE_INVALID_HEADER_TOKEN', status: 400, want: 'InvalidParameter' },
  { code: 'HPE_INVALID_METHOD', status: 400, want: 'InvalidParameter' },
  { code: undefined, status: 400, want: 'InvalidParameter' },
  { code: 'ECONNRESET' },
  { code: 'EPIPE' },
];
for (const c of CLIENT_ERRORS) {
  test(`clientErrorResponse: ${c.code ?? 'no code'} → ${c.want ?? 'nothing written'}`, () => {
    const raw = clientErrorResponse({ code: c.code }, 'rid-1');
    if (!c.want) return assert.equal(raw, undefined);
    assert.ok(raw);
    assert.match(raw, new RegExp(`^HTTP/1\\.1 ${c.status} `));
    assert.equal(ERROR_CODES[c.want as keyof typeof ERROR_CODES].status, c.status);
    const [head, body] = raw.split('\r\n\r\n');
    assert.equal(Number(/Content-Length: (\d+)/.exec(head!)![1]), Buffer.byteLength(body!));
    const env = JSON.parse(body!);
    assert.deepEqual(Object.keys(env), ['Code', 'Message', 'Data', 'TaskId', 'RequestId']);
    assert.equal(env.Code, c.want);
    assert.equal(env.RequestId, 'rid-1');
  });
}

test('unknown SignatureVersion or Version: InvalidParameter, nothing ran, no nonce used', async () => {
  const runs = probeRuns;
  const nonces = await a.store.nonces.count();
  for (const [name, value] of [['SignatureVersion', '2.0'], ['Version', '2099-01-01']] as const) {
    const res = await a.app.inject({ method: 'GET', url: `/mysql/?${signedQs('GET', 'Probe', { [name]: value })}` });
    assert.equal(res.statusCode, 400, res.body);
    assertEnvelope(res.json(), 'InvalidParameter');
    assert.match(res.json().Message, new RegExp(name));
  }
  assert.equal(probeRuns, runs);
  assert.equal(await a.store.nonces.count(), nonces);
});

test('a replayed request is refused and does not run again', async () => {
  const q = signedQs('GET', 'Probe', { Value: 'once' });
  const runs = probeRuns;
  assert.equal((await a.app.inject({ method: 'GET', url: `/mysql/?${q}` })).statusCode, 200);
  const again = await a.app.inject({ method: 'GET', url: `/mysql/?${q}` });
  assert.equal(again.statusCode, 403);
  assertEnvelope(again.json(), 'SignatureNonceUsed');
  assert.equal(probeRuns, runs + 1);
});

const MATCH_CASES: Array<{ pattern: string; path: string; want: boolean }> = [
  { pattern: '/healthz', path: '/healthz', want: true },
  { pattern: '/healthz', path: '/healthz/', want: false },
  { pattern: '/healthz', path: '/health', want: false },
  { pattern: '/backups/download/:backupId/:file', path: '/backups/download/b1/f.gz', want: true },
  { pattern: '/backups/download/:backupId/:file', path: '/backups/download/b1', want: false },
  { pattern: '/backups/download/:backupId/:file', path: '/backups/download//f.gz', want: false },
  { pattern: '/backups/download/:backupId/:file', path: '/backups/download/b1/f.gz/x', want: false },
  { pattern: '/', path: '/', want: true },
];
for (const c of MATCH_CASES) {
  test(`routeMatches(${c.pattern}, ${c.path}) is ${c.want}`, () => assert.equal(routeMatches(c.pattern, c.path), c.want));
}

test('allowedMethods: the union over matching routes, sorted; none for an unknown path', () => {
  const routes = [{ url: '/healthz', methods: ['HEAD', 'GET'] }, { url: '/x/:id', methods: ['get'] }, { url: '/x/:id', methods: ['POST'] }];
  assert.deepEqual(allowedMethods(routes, '/healthz'), ['GET', 'HEAD']);
  assert.deepEqual(allowedMethods(routes, '/x/7'), ['GET', 'POST']);
  assert.deepEqual(allowedMethods(routes, '/nope'), []);
});

test('/healthz answers GET and HEAD (200); POST gets 405 MethodNotAllowed with Allow: GET, HEAD', async () => {
  const get = await a.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(get.statusCode, 200);
  assert.deepEqual(get.json(), { ok: true });
  const head = await a.app.inject({ method: 'HEAD', url: '/healthz' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    const res = await a.app.inject({ method, url: '/healthz', payload: method === 'DELETE' ? undefined : '{}' });
    assert.equal(res.statusCode, 405, `${method} /healthz: ${res.body}`);
    assert.equal(res.headers.allow, 'GET, HEAD');
    assertEnvelope(res.json(), 'MethodNotAllowed');
  }
});

test('the backup download paths (registered after buildServer) answer POST with 405 and Allow: GET, HEAD; other paths stay 404', async () => {
  const app = buildServer(a.svc, ACTIONS);
  await app.register(downloadRoute(a.svc));
  await app.ready();
  try {
    const res = await app.inject({ method: 'POST', url: '/backups/download/b1/f.sql.gz?Expires=1&Signature=x', payload: '{}' });
    assert.equal(res.statusCode, 405, res.body);
    assert.equal(res.headers.allow, 'GET, HEAD');
    assertEnvelope(res.json(), 'MethodNotAllowed');
    assert.match(res.json().Message, /POST is not allowed on \/backups\/download\/b1\/f\.sql\.gz; it takes GET and HEAD/);
    const short = await app.inject({ method: 'POST', url: '/backups/download/b1' });
    assert.equal(short.statusCode, 404);
    assertEnvelope(short.json(), 'ResourceNotFound');
  } finally {
    await app.close();
  }
});
