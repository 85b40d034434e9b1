/**
 * Authentication, routing, body parsing and the envelope, against the real server (spec §1, §2.1).
 * No instance is created here: every call uses DescribeRegions / DescribeAvailableDBConfig.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { readResponse, sign, type CallResult } from '../support/cds-client.js';
import { startServer, type ServerHandle } from '../support/harness.js';

let s: ServerHandle;
before(async () => { s = await startServer(); });
after(async () => { await s?.cleanup(); });

const ts = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MIN = 60_000;

/** The common parameters, signed; `mutate` runs after signing to tamper with the query. */
function signedQuery(o: {
  action?: string; method?: string; extra?: Record<string, string>; secret?: string; sigMethod?: string;
  mutate?: (q: Record<string, string>) => void;
} = {}): Record<string, string> {
  const q: Record<string, string> = {
    Action: o.action ?? 'DescribeRegions',
    AccessKeyId: s.creds.AccessKeyId,
    SignatureMethod: o.sigMethod ?? 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: ts(),
    Version: '2019-08-08',
    ...o.extra,
  };
  q.Signature = sign(o.method ?? 'GET', q, o.secret ?? s.creds.AccessKeySecret, q.SignatureMethod!);
  o.mutate?.(q);
  return q;
}

/** A request with exact control over method, path, query text, headers and body (fetch would add a Content-Type). */
function raw(method: string, path: string, query: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<CallResult & { text: string; contentType: string }> {
  const u = new URL(s.url);
  // Node frames a GET/DELETE body only when told its length; without it the bytes would be read as the next request.
  const all = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: u.hostname, port: u.port, method, path: query ? `${path}?${query}` : path, headers: all }, (res) => {
      answered = true;
      readResponse(res).then(({ text, body }) => resolve({ status: res.statusCode!, body, text, contentType: String(res.headers['content-type'] ?? '') }), reject);
    });
    // A server that refuses a huge body answers before reading it and closes: the rest of our
    // upload then fails with EPIPE, but the answer is what the test is about.
    req.on('error', (e) => { if (!answered) reject(e); });
    if (body !== undefined) req.end(body); else req.end();
  });
}

const qs = (q: Record<string, string>) => new URLSearchParams(q).toString();

/** Every answer of the API is a CDS envelope: string Code, string TaskId, no top-level Response (spec §2.1). */
function assertEnvelope(r: { status: number; body: any }) {
  assert.equal(typeof r.body, 'object');
  assert.equal(typeof r.body.Code, 'string', `Code is a string: ${JSON.stringify(r.body)}`);
  assert.ok(r.body.Message === null || typeof r.body.Message === 'string', 'Message is a string or null');
  if ('TaskId' in r.body) assert.ok(r.body.TaskId === null || typeof r.body.TaskId === 'string', `TaskId is never a number: ${JSON.stringify(r.body.TaskId)}`);
  assert.equal('Response' in r.body, false, 'no top-level Response key');
  assert.notEqual(r.status, 500, `never 500: ${JSON.stringify(r.body)}`);
}

function assertError(r: { status: number; body: any }, status: number, code: string, mentions?: RegExp) {
  assertEnvelope(r);
  assert.equal(r.body.Code, code, `Code: ${JSON.stringify(r.body)}`);
  assert.equal(r.status, status, `HTTP status for ${code}`);
  if (mentions) assert.match(r.body.Message, mentions);
}

function assertRegions(r: { status: number; body: any }) {
  assertEnvelope(r);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.Code, 'Success');
  assert.ok(Array.isArray(r.body.Data) && r.body.Data.length > 0, 'Data is the region list');
}

describe('signature failures', () => {
  const cases: Array<{ name: string; query: () => Record<string, string>; status: number; code: string; mentions?: RegExp }> = [
    { name: 'wrong secret → SignatureDoesNotMatch', query: () => signedQuery({ secret: 'not-the-secret' }), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'signature of another request → SignatureDoesNotMatch', query: () => signedQuery({ mutate: (q) => { q.Signature = signedQuery().Signature!; } }), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'business parameter changed after signing → SignatureDoesNotMatch', query: () => signedQuery({ action: 'DescribeAvailableDBConfig', extra: { RegionId: 'CN_Beijing_A' }, mutate: (q) => { q.RegionId = 'CN_Beijing_B'; } }), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'business parameter added after signing → SignatureDoesNotMatch', query: () => signedQuery({ mutate: (q) => { q.Extra = '1'; } }), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'signed for POST, sent as GET → SignatureDoesNotMatch', query: () => signedQuery({ method: 'POST' }), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'SignatureMethod switched after signing → SignatureDoesNotMatch', query: () => signedQuery({ mutate: (q) => { q.SignatureMethod = 'HmacSHA256'; } }), status: 403, code: 'SignatureDoesNotMatch' },
    { name: 'unknown AccessKeyId → InvalidAccessKeyId', query: () => signedQuery({ mutate: (q) => { q.AccessKeyId = 'AKIDUNKNOWN0000000000'; q.Signature = sign('GET', q, 'whatever', 'HMAC-SHA1'); } }), status: 403, code: 'InvalidAccessKeyId', mentions: /AKIDUNKNOWN0000000000/ },
    ...(['Signature', 'AccessKeyId', 'Timestamp', 'SignatureNonce'] as const).map((p) => ({
      name: `missing ${p} → IncompleteSignature`, query: () => signedQuery({ mutate: (q) => { delete q[p]; } }), status: 400, code: 'IncompleteSignature', mentions: new RegExp(p),
    })),
    ...(['Signature', 'AccessKeyId', 'Timestamp', 'SignatureNonce'] as const).map((p) => ({
      name: `empty ${p} → IncompleteSignature`, query: () => signedQuery({ mutate: (q) => { q[p] = ''; } }), status: 400, code: 'IncompleteSignature', mentions: new RegExp(p),
    })),
    { name: 'timestamp 16 min old → RequestExpired', query: () => signedQuery({ extra: { Timestamp: ts(-16 * MIN) } }), status: 403, code: 'RequestExpired' },
    { name: 'timestamp a day old → RequestExpired', query: () => signedQuery({ extra: { Timestamp: ts(-24 * 60 * MIN) } }), status: 403, code: 'RequestExpired' },
    { name: 'timestamp 16 min in the future → RequestExpired', query: () => signedQuery({ extra: { Timestamp: ts(16 * MIN) } }), status: 403, code: 'RequestExpired' },
    { name: 'timestamp of spec §1.7 (2024) → RequestExpired', query: () => signedQuery({ extra: { Timestamp: '2024-05-01T08:30:00Z' } }), status: 403, code: 'RequestExpired' },
    ...['2024-05-01 08:30:00', '2024-05-01T08:30:00.123Z', '2024-05-01T08:30:00+08:00', '2024-05-01T08:30:00', '1714552200', 'yesterday', '2024-13-45T99:99:99Z'].map((t) => ({
      name: `malformed timestamp ${JSON.stringify(t)} → InvalidTimestamp`, query: () => signedQuery({ extra: { Timestamp: t } }), status: 400, code: 'InvalidTimestamp', mentions: /Timestamp/,
    })),
    ...['HMAC-MD5', 'hmac-sha1', 'HmacSHA512', 'HMAC-SHA256'].map((m) => ({
      name: `SignatureMethod ${m} → UnsupportedSignatureMethod`, query: () => signedQuery({ sigMethod: m }), status: 400, code: 'UnsupportedSignatureMethod', mentions: /SignatureMethod/,
    })),
  ];
  for (const c of cases) {
    test(c.name, async () => {
      assertError(await raw('GET', '/mysql/', qs(c.query())), c.status, c.code, c.mentions);
    });
  }

  test('the same failures through the test client options', async () => {
    const c = s.client;
    assertError(await c.call('DescribeRegions', {}, { secret: 'wrong' }), 403, 'SignatureDoesNotMatch');
    assertError(await c.call('DescribeRegions', {}, { accessKeyId: 'AKIDNOPE' }), 403, 'InvalidAccessKeyId');
    assertError(await c.call('DescribeRegions', {}, { drop: 'Signature' }), 400, 'IncompleteSignature', /Signature/);
    assertError(await c.call('DescribeRegions', {}, { timestamp: ts(-20 * MIN) }), 403, 'RequestExpired');
    assertError(await c.call('DescribeRegions', {}, { timestamp: 'now' }), 400, 'InvalidTimestamp');
  });
});

describe('accepted signatures', () => {
  test('HMAC-SHA1 over GET and POST', async () => {
    assertRegions(await s.client.call('DescribeRegions', {}, { method: 'GET' }));
    assertRegions(await s.client.call('DescribeRegions', {}, { method: 'POST' }));
  });

  test('HmacSHA256 over GET and POST', async () => {
    assertRegions(await s.client.call('DescribeRegions', {}, { method: 'GET', sigMethod: 'HmacSHA256' }));
    assertRegions(await s.client.call('DescribeRegions', {}, { method: 'POST', sigMethod: 'HmacSHA256' }));
  });

  test('missing SignatureMethod defaults to HMAC-SHA1', async () => {
    const q = signedQuery({ mutate: (x) => { delete x.SignatureMethod; x.Signature = sign('GET', x, s.creds.AccessKeySecret, 'HMAC-SHA1'); } });
    assertRegions(await raw('GET', '/mysql/', qs(q)));
  });

  test('timestamps inside the ±15 min window work', async () => {
    assertRegions(await s.client.call('DescribeRegions', {}, { timestamp: ts(-10 * MIN) }));
    assertRegions(await s.client.call('DescribeRegions', {}, { timestamp: ts(10 * MIN) }));
  });

  test('a space in a GET value is signed as %20 and may be sent as + or %20 (spec §1.4, V3)', async () => {
    const name = 'no such db/1*~+';
    const q = signedQuery({ action: 'DescribeDBInstances', extra: { InstanceName: name } });
    const plus = await raw('GET', '/mysql/', qs(q)); // URLSearchParams sends the space as +
    assert.equal(plus.status, 200, JSON.stringify(plus.body));
    assert.deepEqual(plus.body.Data, []);
    const q2 = signedQuery({ action: 'DescribeDBInstances', extra: { InstanceName: name } });
    const rfc = Object.entries(q2).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    assert.ok(rfc.includes('%20'));
    const pct = await raw('GET', '/mysql/', rfc);
    assert.equal(pct.status, 200, JSON.stringify(pct.body));
  });

  test('a key repeated in the query: the first occurrence is signed and used (spec §1.3)', async () => {
    const q = signedQuery();
    const text = `${qs(q)}&Action=DescribeRegions&Timestamp=${encodeURIComponent(q.Timestamp!)}`;
    assertRegions(await raw('GET', '/mysql/', text));
  });
});

describe('nonce replay', () => {
  test('a second request with the same nonce → SignatureNonceUsed; a fresh nonce works', async () => {
    const nonce = randomUUID();
    const timestamp = ts();
    assertRegions(await s.client.call('DescribeRegions', {}, { nonce, timestamp }));
    const replay = await s.client.call('DescribeRegions', {}, { nonce, timestamp });
    assertError(replay, 403, 'SignatureNonceUsed', /SignatureNonce/);
    // Replaying the exact same URL, byte for byte, is refused too.
    const q = signedQuery();
    assertRegions(await raw('GET', '/mysql/', qs(q)));
    assertError(await raw('GET', '/mysql/', qs(q)), 403, 'SignatureNonceUsed');
    // Same nonce, other action and method: still a replay.
    assertError(await s.client.call('DescribeAvailableDBConfig', { RegionId: 'CN_Beijing_A' }, { nonce, method: 'GET' }), 403, 'SignatureNonceUsed');
    assertRegions(await s.client.call('DescribeRegions', {}, { timestamp }));
  });

  test('a forged request does not burn the nonce of the real one', async () => {
    const nonce = randomUUID();
    assertError(await s.client.call('DescribeRegions', {}, { nonce, secret: 'forged' }), 403, 'SignatureDoesNotMatch');
    assertRegions(await s.client.call('DescribeRegions', {}, { nonce }));
  });
});

describe('actions', () => {
  test('unknown Action → InvalidAction 400', async () => {
    assertError(await s.client.call('DescribeEverything'), 400, 'InvalidAction', /DescribeEverything/);
    assertError(await s.client.call('describeregions'), 400, 'InvalidAction', /describeregions/);
  });

  test('missing or empty Action → InvalidAction 400', async () => {
    assertError(await s.client.call('DescribeRegions', {}, { drop: 'Action' }), 400, 'InvalidAction', /Action/);
    assertError(await raw('GET', '/mysql/', qs(signedQuery({ action: '' }))), 400, 'InvalidAction', /Action/);
    assertError(await raw('GET', '/mysql/', ''), 400, 'InvalidAction', /Action/);
    assertError(await raw('POST', '/mysql/', '', '{"Action":"DescribeRegions"}'), 400, 'InvalidAction', /Action/);
  });
});

describe('routing', () => {
  for (const path of ['/', '/mysql', '/mysql/', '/paas/monitor', '/paas/monitor/', '/ccs', '/ccs/']) {
    test(`${path} answers DescribeRegions over GET and POST`, async () => {
      assertRegions(await s.client.call('DescribeRegions', {}, { path, method: 'GET' }));
      assertRegions(await s.client.call('DescribeRegions', {}, { path, method: 'POST' }));
    });
  }

  for (const path of ['/nope', '/mysql/extra', '/ccs/x/y', '/api/mysql']) {
    test(`unknown path ${path} → 404 JSON`, async () => {
      for (const method of ['GET', 'POST'] as const) {
        const r = await raw(method, path, qs(signedQuery({ method })), method === 'POST' ? '{}' : undefined);
        assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
        assert.match(r.contentType, /application\/json/);
        assertEnvelope(r);
        assert.equal(r.body.Code, 'ResourceNotFound');
      }
    });
  }

  test('an unsupported HTTP method is a JSON 4xx, never 500', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await raw(method, '/mysql/', qs(signedQuery({ method })), '{}');
      assert.ok(r.status >= 400 && r.status < 500, `${method}: ${r.status} ${r.text}`);
      assertEnvelope(r);
    }
  });
});

describe('POST bodies', () => {
  const post = (action: string, body: string | Buffer | undefined, headers: Record<string, string> = {}) =>
    raw('POST', '/mysql/', qs(signedQuery({ action, method: 'POST' })), body, headers);
  const CFG = 'DescribeAvailableDBConfig';

  test('JSON body with no Content-Type header (the Go SDK sends none)', async () => {
    const r = await post(CFG, Buffer.from('{"RegionId":"CN_Beijing_A"}'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Data.RegionId, 'CN_Beijing_A');
  });

  for (const ct of ['text/plain', 'text/plain;charset=UTF-8', 'application/json', 'application/json; charset=utf-8', 'application/octet-stream', 'application/x-www-form-urlencoded']) {
    test(`JSON body with Content-Type ${ct}`, async () => {
      const r = await post(CFG, '{"RegionId":"CN_Beijing_A"}', { 'content-type': ct });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.Data.RegionId, 'CN_Beijing_A');
    });
  }

  test('empty body, with and without a JSON Content-Type, and the SDK\'s {} for DescribeRegions', async () => {
    assertRegions(await post('DescribeRegions', undefined));
    assertRegions(await post('DescribeRegions', '', { 'content-type': 'application/json' }));
    assertRegions(await post('DescribeRegions', '   \n', { 'content-type': 'application/json' }));
    assertRegions(await post('DescribeRegions', '{}'));
    assertRegions(await post('DescribeRegions', 'null', { 'content-type': 'application/json' }));
  });

  test('null fields are treated as absent (spec §1.3)', async () => {
    const r = await post(CFG, '{"RegionId":"CN_Beijing_A","Foo":null}', { 'content-type': 'application/json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Data.RegionId, 'CN_Beijing_A');
    assertError(await post(CFG, '{"RegionId":null}'), 400, 'ArgMissing', /RegionId/);
    // A null in the body does not hide a value of the query (the body wins only with a value).
    const q = signedQuery({ action: CFG, method: 'POST', extra: { RegionId: 'CN_Beijing_B' } });
    const merged = await raw('POST', '/mysql/', qs(q), '{"RegionId":null}');
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.Data.RegionId, 'CN_Beijing_B');
  });

  test('business parameters in a (signed) POST query are merged with the body', async () => {
    const q = signedQuery({ action: CFG, method: 'POST', extra: { RegionId: 'CN_Beijing_C' } });
    const r = await raw('POST', '/mysql/', qs(q), '{}');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Data.RegionId, 'CN_Beijing_C');
  });

  for (const [name, body] of [
    ['not JSON', 'RegionId=CN_Beijing_A'],
    ['truncated JSON', '{"RegionId":"CN_Beijing_A"'],
    ['a JSON array', '[{"RegionId":"CN_Beijing_A"}]'],
    ['a JSON string', '"CN_Beijing_A"'],
    ['a JSON number', '42'],
    ['a JSON boolean', 'true'],
    ['XML', '<RegionId>CN_Beijing_A</RegionId>'],
  ] as const) {
    test(`body that is ${name} → InvalidParameter 400`, async () => {
      for (const headers of [{}, { 'content-type': 'application/json' }, { 'content-type': 'text/plain' }] as Record<string, string>[]) {
        assertError(await post(CFG, body, headers), 400, 'InvalidParameter', /body/);
      }
    });
  }

  test('a body over the size limit is a JSON 4xx, never 500', async () => {
    const big = JSON.stringify({ RegionId: 'CN_Beijing_A', Pad: 'x'.repeat(2 * 1024 * 1024) });
    // curl, not Node's client: the server answers before reading the body and closes, and Node's
    // client reports the broken upload (EPIPE) instead of the answer; curl reads the answer.
    const url = `${s.url}/mysql/?${qs(signedQuery({ action: CFG, method: 'POST' }))}`;
    const out = execFileSync('curl', ['-s', '-X', 'POST', '-H', 'content-type: application/json', '--data-binary', '@-', '-w', '\n%{http_code}', url], { input: big, encoding: 'utf8' });
    const status = Number(out.slice(out.lastIndexOf('\n') + 1));
    const text = out.slice(0, out.lastIndexOf('\n'));
    assert.ok(status >= 400 && status < 500, `${status} ${text.slice(0, 200)}`);
    assertEnvelope({ status, body: JSON.parse(text) });
  });

  test('GET ignores a body-less request and reads the query', async () => {
    const r = await raw('GET', '/mysql/', qs(signedQuery({ action: CFG, extra: { RegionId: 'CN_Beijing_A' } })));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Data.RegionId, 'CN_Beijing_A');
  });
});

describe('envelope', () => {
  test('success: Code "Success", string Message, TaskId a string, no Response key', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const r = await s.client.call('DescribeRegions', {}, { method });
      assertRegions(r);
      assert.equal(r.body.Code, 'Success');
      assert.equal(typeof r.body.TaskId, 'string');
      assert.equal(typeof r.body.Message, 'string');
      const cfg = await s.client.call('DescribeAvailableDBConfig', { RegionId: 'CN_Beijing_A' }, { method });
      assert.equal(cfg.body.Code, 'Success');
      assert.equal(cfg.body.TaskId, '');
      assertEnvelope(cfg);
    }
  });

  test('errors: the same envelope, Code from the registry, TaskId a string', async () => {
    const rs = [
      await s.client.call('DescribeRegions', {}, { secret: 'x' }),
      await s.client.call('NoSuchAction'),
      await s.client.call('DescribeAvailableDBConfig', {}),
      await s.client.call('DescribeTask', { TaskId: randomUUID() }),
      await raw('GET', '/nowhere', ''),
    ];
    for (const r of rs) {
      assertEnvelope(r);
      assert.notEqual(r.body.Code, 'Success');
      assert.equal(typeof r.body.TaskId, 'string');
      assert.ok(r.body.Message, 'an error explains itself');
    }
  });

  test('responses are JSON', async () => {
    const r = await raw('GET', '/mysql/', qs(signedQuery()));
    assert.match(r.contentType, /^application\/json/);
  });
});

describe('hostile requests: a 4xx envelope, never 500, no effect on later requests', () => {
  test('a JSON body nested 200 000 levels deep → InvalidParameter 400', async () => {
    const deep = `{"RegionId":"CN_Beijing_A","X":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    assertError(await raw('POST', '/mysql/', qs(signedQuery({ action: 'DescribeAvailableDBConfig', method: 'POST' })), deep), 400, 'InvalidParameter', /body/);
    const deepObj = `{"RegionId":"CN_Beijing_A","X":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
    assertError(await raw('POST', '/mysql/', qs(signedQuery({ action: 'DescribeAvailableDBConfig', method: 'POST' })), deepObj), 400, 'InvalidParameter', /body/);
  });

  test('a signed GET key nested thousands of levels deep → InvalidParameter 400', async () => {
    for (const key of [`${'a.'.repeat(7000)}b`, `${'0.'.repeat(7000)}0`]) {
      const r = await raw('GET', '/mysql/', qs(signedQuery({ extra: { [key]: 'x' } })));
      assertError(r, 400, 'InvalidParameter', /nested/);
    }
  });

  test('moderately nested bodies and keys still work', async () => {
    const body = JSON.stringify({ RegionId: 'CN_Beijing_A', X: [[[[{ a: { b: [1] } }]]]] });
    const r = await raw('POST', '/mysql/', qs(signedQuery({ action: 'DescribeAvailableDBConfig', method: 'POST' })), body);
    assert.equal(r.status, 200, r.text);
    assertRegions(await raw('GET', '/mysql/', qs(signedQuery({ extra: { 'Operations.0.DBName': 'x', 'ExtraPrivilege.AllCreate': 'true' } }))));
  });

  test('a malformed percent-encoding in the path → 400 in the envelope', async () => {
    const r = await raw('GET', '/mysql/%E0%A4%A', qs(signedQuery()));
    assertError(r, 400, 'InvalidParameter');
    assert.match(r.contentType, /application\/json/);
  });

  test('__proto__ keys in the query or the body pollute nothing', async () => {
    // If `__proto__.RegionId` reached Object.prototype, a later call without RegionId would succeed.
    const polluted = await raw('GET', '/mysql/', qs(signedQuery({ extra: { '__proto__.RegionId': 'CN_Beijing_A', 'constructor.prototype.RegionId': 'CN_Beijing_A' } })));
    assertEnvelope(polluted);
    const body = '{"__proto__":{"RegionId":"CN_Beijing_A"},"constructor":{"prototype":{"RegionId":"CN_Beijing_A"}}}';
    assertEnvelope(await raw('POST', '/mysql/', qs(signedQuery({ action: 'DescribeAvailableDBConfig', method: 'POST' })), body));
    for (const method of ['GET', 'POST'] as const) {
      assertError(await s.client.call('DescribeAvailableDBConfig', {}, { method }), 400, 'ArgMissing', /RegionId/);
    }
  });
});
