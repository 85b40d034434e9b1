/** Signature canonicalisation and HMAC (spec §1.4–§1.5), checked against the vectors of spec §1.7. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalQuery,
  computeSignature,
  formatTimestamp,
  parseTimestamp,
  percentEncode,
  signaturesEqual,
  signedQuery,
  stringToSign,
  type SignatureMethod,
} from '../../src/api/signature.js';

const AK = 'AKIDEXAMPLE1234567890';
const SECRET = 'SECRETEXAMPLE0987654321';
const TS = '2024-05-01T08:30:00Z';
const NONCE = '9f1c2e4a-1b2c-4d5e-8f90-123456789abc';

function common(action: string, method: SignatureMethod): Array<[string, string]> {
  return [
    ['Action', action],
    ['AccessKeyId', AK],
    ['SignatureMethod', method],
    ['SignatureNonce', NONCE],
    ['SignatureVersion', '1.0'],
    ['Timestamp', TS],
    ['Version', '2019-08-08'],
  ];
}

interface Vector {
  name: string;
  httpMethod: 'GET' | 'POST';
  signatureMethod: SignatureMethod;
  action: string;
  business: Record<string, string>;
  canonical: string;
  toSign: string;
  signature: string;
  /** The business part of the query as the SDK puts it on the wire (form encoding). */
  wire?: string;
}

// Copied verbatim from spec §1.7.
const VECTORS: Vector[] = [
  {
    name: 'V1 GET HMAC-SHA1 DescribeDBInstances IP=66.66.0.46',
    httpMethod: 'GET',
    signatureMethod: 'HMAC-SHA1',
    action: 'DescribeDBInstances',
    business: { IP: '66.66.0.46' },
    canonical:
      'AccessKeyId=AKIDEXAMPLE1234567890&Action=DescribeDBInstances&IP=66.66.0.46&SignatureMethod=HMAC-SHA1&SignatureNonce=9f1c2e4a-1b2c-4d5e-8f90-123456789abc&SignatureVersion=1.0&Timestamp=2024-05-01T08%3A30%3A00Z&Version=2019-08-08',
    toSign:
      'GET&%2F&AccessKeyId%3DAKIDEXAMPLE1234567890%26Action%3DDescribeDBInstances%26IP%3D66.66.0.46%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D9f1c2e4a-1b2c-4d5e-8f90-123456789abc%26SignatureVersion%3D1.0%26Timestamp%3D2024-05-01T08%253A30%253A00Z%26Version%3D2019-08-08',
    signature: 'ZWiaU1fT+XTRzjL495XfsoxLiO8=',
    wire: 'IP=66.66.0.46',
  },
  {
    name: 'V2 POST HMAC-SHA1 CreateDBInstance, no business parameters',
    httpMethod: 'POST',
    signatureMethod: 'HMAC-SHA1',
    action: 'CreateDBInstance',
    business: {},
    canonical:
      'AccessKeyId=AKIDEXAMPLE1234567890&Action=CreateDBInstance&SignatureMethod=HMAC-SHA1&SignatureNonce=9f1c2e4a-1b2c-4d5e-8f90-123456789abc&SignatureVersion=1.0&Timestamp=2024-05-01T08%3A30%3A00Z&Version=2019-08-08',
    toSign:
      'POST&%2F&AccessKeyId%3DAKIDEXAMPLE1234567890%26Action%3DCreateDBInstance%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D9f1c2e4a-1b2c-4d5e-8f90-123456789abc%26SignatureVersion%3D1.0%26Timestamp%3D2024-05-01T08%253A30%253A00Z%26Version%3D2019-08-08',
    signature: '2dSZY3IJNhKaRrl31NWLTVFRdlQ=',
  },
  {
    name: 'V3 GET HmacSHA256 DescribeDBInstances InstanceName="test db/1*~+"',
    httpMethod: 'GET',
    signatureMethod: 'HmacSHA256',
    action: 'DescribeDBInstances',
    business: { InstanceName: 'test db/1*~+' },
    canonical:
      'AccessKeyId=AKIDEXAMPLE1234567890&Action=DescribeDBInstances&InstanceName=test%20db%2F1%2A~%2B&SignatureMethod=HmacSHA256&SignatureNonce=9f1c2e4a-1b2c-4d5e-8f90-123456789abc&SignatureVersion=1.0&Timestamp=2024-05-01T08%3A30%3A00Z&Version=2019-08-08',
    toSign:
      'GET&%2F&AccessKeyId%3DAKIDEXAMPLE1234567890%26Action%3DDescribeDBInstances%26InstanceName%3Dtest%2520db%252F1%252A~%252B%26SignatureMethod%3DHmacSHA256%26SignatureNonce%3D9f1c2e4a-1b2c-4d5e-8f90-123456789abc%26SignatureVersion%3D1.0%26Timestamp%3D2024-05-01T08%253A30%253A00Z%26Version%3D2019-08-08',
    signature: 'QA5Z8pryH9hfkDK9LrZSd3ONhK1XCooP9HLwiuTaeQQ=',
    wire: 'InstanceName=test+db%2F1%2A~%2B',
  },
];

for (const v of VECTORS) {
  const params = [...common(v.action, v.signatureMethod), ...Object.entries(v.business)];

  test(`vector ${v.name}: canonical string`, () => {
    assert.equal(canonicalQuery(params), v.canonical);
  });

  test(`vector ${v.name}: string to sign`, () => {
    assert.equal(stringToSign(v.httpMethod, params), v.toSign);
  });

  test(`vector ${v.name}: string to sign uses the upper-case verb`, () => {
    assert.equal(stringToSign(v.httpMethod.toLowerCase(), params), v.toSign);
  });

  test(`vector ${v.name}: Signature`, () => {
    const sig = computeSignature(v.httpMethod, params, SECRET, v.signatureMethod);
    assert.equal(sig, v.signature);
    assert.equal(sig.length, v.signatureMethod === 'HmacSHA256' ? 44 : 28);
  });

  test(`vector ${v.name}: Signature ignores an existing Signature parameter and the input order`, () => {
    const shuffled = [['Signature', 'garbage'] as [string, string], ...params.slice().reverse()];
    assert.equal(computeSignature(v.httpMethod, shuffled, SECRET, v.signatureMethod), v.signature);
  });

  test(`vector ${v.name}: wrong secret, verb or method change the Signature`, () => {
    assert.notEqual(computeSignature(v.httpMethod, params, SECRET + '&', v.signatureMethod), v.signature);
    assert.notEqual(computeSignature(v.httpMethod === 'GET' ? 'POST' : 'GET', params, SECRET, v.signatureMethod), v.signature);
    const other: SignatureMethod = v.signatureMethod === 'HMAC-SHA1' ? 'HmacSHA256' : 'HMAC-SHA1';
    assert.notEqual(computeSignature(v.httpMethod, params, SECRET, other), v.signature);
  });

  test(`vector ${v.name}: signedQuery produces the SDK's signature`, () => {
    const q = signedQuery({
      method: v.httpMethod,
      action: v.action,
      accessKeyId: AK,
      secret: SECRET,
      query: v.business,
      signatureMethod: v.signatureMethod,
      nonce: NONCE,
      timestamp: TS,
    });
    assert.equal(new URLSearchParams(q).get('Signature'), v.signature);
    // The SDK's wire form and ours may escape `*` and `~` differently; decoded values must agree.
    if (v.wire) {
      const [[k, want]] = [...new URLSearchParams(v.wire)] as [[string, string]];
      assert.equal(new URLSearchParams(q).get(k), want);
    }
  });
}

test('vector V1: signedQuery yields exactly the query of the URL the SDK sends', () => {
  const q = signedQuery({
    method: 'GET', action: 'DescribeDBInstances', accessKeyId: AK, secret: SECRET,
    query: { IP: '66.66.0.46' }, nonce: NONCE, timestamp: TS,
  });
  assert.equal(
    q,
    'AccessKeyId=AKIDEXAMPLE1234567890&Action=DescribeDBInstances&IP=66.66.0.46&Signature=ZWiaU1fT%2BXTRzjL495XfsoxLiO8%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=9f1c2e4a-1b2c-4d5e-8f90-123456789abc&SignatureVersion=1.0&Timestamp=2024-05-01T08%3A30%3A00Z&Version=2019-08-08',
  );
});

const ENCODE_CASES: Array<{ name: string; in: string; out: string }> = [
  { name: 'unreserved letters and digits', in: 'AZaz09', out: 'AZaz09' },
  { name: 'unreserved marks - _ . ~', in: '-_.~', out: '-_.~' },
  { name: 'space is %20, never +', in: 'a b', out: 'a%20b' },
  { name: 'asterisk', in: '*', out: '%2A' },
  { name: 'plus', in: '+', out: '%2B' },
  { name: 'slash', in: '/', out: '%2F' },
  { name: 'colon', in: ':', out: '%3A' },
  { name: 'equals', in: '=', out: '%3D' },
  { name: 'ampersand', in: '&', out: '%26' },
  { name: 'percent', in: '%', out: '%25' },
  { name: 'exclamation mark', in: '!', out: '%21' },
  { name: 'apostrophe', in: "'", out: '%27' },
  { name: 'parentheses', in: '()', out: '%28%29' },
  { name: 'hash and question mark', in: '#?', out: '%23%3F' },
  { name: 'comma and semicolon', in: ',;', out: '%2C%3B' },
  { name: 'at sign', in: '@', out: '%40' },
  { name: 'brackets', in: '[]', out: '%5B%5D' },
  { name: 'double quote', in: '"', out: '%22' },
  { name: 'newline', in: '\n', out: '%0A' },
  { name: 'uppercase hex', in: '\u00ff', out: '%C3%BF' },
  { name: 'Chinese (UTF-8 bytes)', in: '中国', out: '%E4%B8%AD%E5%9B%BD' },
  { name: 'Chinese region name', in: '北京1', out: '%E5%8C%97%E4%BA%AC1' },
  { name: 'emoji (4-byte UTF-8)', in: '😀', out: '%F0%9F%98%80' },
  { name: 'empty string', in: '', out: '' },
  { name: 'a timestamp', in: '2024-05-01T08:30:00Z', out: '2024-05-01T08%3A30%3A00Z' },
  { name: 'V3 instance name', in: 'test db/1*~+', out: 'test%20db%2F1%2A~%2B' },
];

for (const c of ENCODE_CASES) {
  test(`percentEncode: ${c.name}`, () => {
    assert.equal(percentEncode(c.in), c.out);
  });
}

test('percentEncode equals Python quote(s, safe="-_.~") for every printable ASCII character', () => {
  for (let i = 0x20; i < 0x7f; i++) {
    const ch = String.fromCharCode(i);
    const want = /[A-Za-z0-9\-_.~]/.test(ch) ? ch : '%' + i.toString(16).toUpperCase().padStart(2, '0');
    assert.equal(percentEncode(ch), want, `character ${JSON.stringify(ch)}`);
  }
});

const CANONICAL_CASES: Array<{ name: string; in: Array<[string, string]>; out: string }> = [
  { name: 'sorted by name', in: [['b', '2'], ['a', '1'], ['c', '3']], out: 'a=1&b=2&c=3' },
  { name: 'byte order: upper case before lower case', in: [['a', '1'], ['B', '2']], out: 'B=2&a=1' },
  { name: 'byte order: dotted list keys', in: [['DBList.1', 'y'], ['DBList.0', 'x'], ['DB', 'z']], out: 'DB=z&DBList.0=x&DBList.1=y' },
  { name: 'Signature is left out', in: [['Signature', 'abc'], ['a', '1']], out: 'a=1' },
  { name: 'names are encoded too', in: [['a b', 'c d']], out: 'a%20b=c%20d' },
  { name: 'empty value kept', in: [['a', '']], out: 'a=' },
  { name: 'nothing', in: [], out: '' },
];

for (const c of CANONICAL_CASES) {
  test(`canonicalQuery: ${c.name}`, () => {
    assert.equal(canonicalQuery(c.in), c.out);
  });
}

test('canonicalQuery does not reorder its input array', () => {
  const input: Array<[string, string]> = [['b', '2'], ['a', '1']];
  canonicalQuery(input);
  assert.deepEqual(input, [['b', '2'], ['a', '1']]);
});

const TIMESTAMP_CASES: Array<{ name: string; in: string; ms?: number }> = [
  { name: 'spec example', in: '2024-05-01T08:30:00Z', ms: Date.UTC(2024, 4, 1, 8, 30, 0) },
  { name: 'epoch', in: '1970-01-01T00:00:00Z', ms: 0 },
  { name: 'end of a leap day', in: '2024-02-29T23:59:59Z', ms: Date.UTC(2024, 1, 29, 23, 59, 59) },
  { name: 'fractional seconds refused', in: '2024-05-01T08:30:00.000Z' },
  { name: 'offset instead of Z refused', in: '2024-05-01T08:30:00+08:00' },
  { name: 'missing Z refused', in: '2024-05-01T08:30:00' },
  { name: 'lower-case z refused', in: '2024-05-01T08:30:00z' },
  { name: 'space instead of T refused', in: '2024-05-01 08:30:00Z' },
  { name: 'no seconds refused', in: '2024-05-01T08:30Z' },
  { name: 'date only refused', in: '2024-05-01' },
  { name: 'epoch seconds refused', in: '1714552200' },
  { name: 'month 13 refused', in: '2024-13-01T08:30:00Z' },
  // Impossible dates must not roll over into real ones (issue 11: 02-30 answered RequestExpired).
  { name: 'February 30th refused', in: '2026-02-30T20:00:00Z' },
  { name: 'February 29th of a common year refused', in: '2025-02-29T00:00:00Z' },
  { name: 'April 31st refused', in: '2024-04-31T00:00:00Z' },
  { name: 'day 00 refused', in: '2024-05-00T00:00:00Z' },
  { name: 'month 00 refused', in: '2024-00-10T00:00:00Z' },
  { name: 'hour 24 refused', in: '2024-05-01T24:00:00Z' },
  { name: 'minute 60 refused', in: '2024-05-01T08:60:00Z' },
  { name: 'leap second 60 refused', in: '2016-12-31T23:59:60Z' },
  { name: 'December 31st accepted', in: '2024-12-31T23:59:59Z', ms: Date.UTC(2024, 11, 31, 23, 59, 59) },
  { name: 'hour 25 refused', in: '2024-05-01T25:30:00Z' },
  { name: 'empty refused', in: '' },
  { name: 'surrounding spaces refused', in: ' 2024-05-01T08:30:00Z ' },
  { name: 'single-digit fields refused', in: '2024-5-1T8:30:00Z' },
];

for (const c of TIMESTAMP_CASES) {
  test(`parseTimestamp: ${c.name}`, () => {
    const d = parseTimestamp(c.in);
    if (c.ms === undefined) assert.equal(d, undefined);
    else assert.equal(d?.getTime(), c.ms);
  });
}

const FORMAT_CASES: Array<{ name: string; ms: number; out: string }> = [
  { name: 'drops milliseconds', ms: Date.UTC(2024, 4, 1, 8, 30, 0, 999), out: '2024-05-01T08:30:00Z' },
  { name: 'epoch', ms: 0, out: '1970-01-01T00:00:00Z' },
  { name: 'zero-pads', ms: Date.UTC(2001, 0, 2, 3, 4, 5), out: '2001-01-02T03:04:05Z' },
];

for (const c of FORMAT_CASES) {
  test(`formatTimestamp: ${c.name}`, () => {
    const s = formatTimestamp(new Date(c.ms));
    assert.equal(s, c.out);
    assert.ok(parseTimestamp(s), 'formatTimestamp output must parse');
  });
}

const EQUAL_CASES: Array<{ name: string; a: string; b: string; eq: boolean }> = [
  { name: 'identical', a: 'ZWiaU1fT+XTRzjL495XfsoxLiO8=', b: 'ZWiaU1fT+XTRzjL495XfsoxLiO8=', eq: true },
  { name: 'one character differs', a: 'ZWiaU1fT+XTRzjL495XfsoxLiO8=', b: 'ZWiaU1fT+XTRzjL495XfsoxLiO9=', eq: false },
  { name: 'different lengths', a: 'ZWiaU1fT+XTRzjL495XfsoxLiO8=', b: 'ZWiaU1fT+XTRzjL495XfsoxLiO8', eq: false },
  { name: 'empty versus non-empty', a: '', b: 'x', eq: false },
  { name: 'both empty', a: '', b: '', eq: true },
  { name: 'case differs', a: 'abc', b: 'ABC', eq: false },
];

for (const c of EQUAL_CASES) {
  test(`signaturesEqual: ${c.name}`, () => {
    assert.equal(signaturesEqual(c.a, c.b), c.eq);
  });
}

const ROUND_TRIP_CASES: Array<{ name: string; method: 'GET' | 'POST'; sm?: SignatureMethod; query?: Record<string, string> }> = [
  { name: 'POST, no business parameters, default method', method: 'POST' },
  { name: 'GET, SHA256, plain value', method: 'GET', sm: 'HmacSHA256', query: { InstanceUuid: 'abc' } },
  { name: 'GET, spaces and reserved characters', method: 'GET', query: { InstanceName: 'a b+c/d*e~f&g=h%i' } },
  { name: 'GET, Chinese value', method: 'GET', query: { InstanceName: '测试 实例' } },
  { name: 'GET, flattened list and object', method: 'GET', sm: 'HmacSHA256', query: { 'DBList.0': 'db1', 'DBList.1': 'db2', 'ExtraPrivilege.AllCreate': 'true' } },
  { name: 'GET, many keys in reverse order', method: 'GET', query: { Z: '1', Y: '2', X: '3', a: '4' } },
];

for (const c of ROUND_TRIP_CASES) {
  test(`signedQuery round trip: ${c.name}`, () => {
    const q = signedQuery({
      method: c.method, action: 'DescribeDBInstances', accessKeyId: AK, secret: SECRET,
      query: c.query, signatureMethod: c.sm, nonce: NONCE, timestamp: TS,
    });
    const pairs = [...new URLSearchParams(q)];
    const got = Object.fromEntries(pairs);
    assert.equal(got.SignatureMethod, c.sm ?? 'HMAC-SHA1');
    assert.equal(got.Action, 'DescribeDBInstances');
    assert.equal(got.AccessKeyId, AK);
    assert.equal(got.SignatureNonce, NONCE);
    assert.equal(got.Timestamp, TS);
    assert.equal(got.SignatureVersion, '1.0');
    assert.equal(got.Version, '2019-08-08');
    for (const [k, v] of Object.entries(c.query ?? {})) assert.equal(got[k], v, `business parameter ${k}`);
    assert.equal(pairs.length, 8 + Object.keys(c.query ?? {}).length);
    // Keys are sorted on the wire, as Go's url.Values.Encode does.
    const keys = pairs.map(([k]) => k);
    assert.deepEqual(keys, keys.slice().sort());
    // Spaces travel as '+' in the wire form.
    assert.ok(!q.includes('%20'), q);
    const recomputed = computeSignature(c.method, pairs, SECRET, (got.SignatureMethod ?? 'HMAC-SHA1') as SignatureMethod);
    assert.equal(recomputed, got.Signature);
    assert.notEqual(computeSignature(c.method, pairs, 'wrong-secret', (got.SignatureMethod ?? 'HMAC-SHA1') as SignatureMethod), got.Signature);
  });
}
