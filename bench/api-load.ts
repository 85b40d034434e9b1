/**
 * The API benchmark's load generator: autocannon (programmatic), in its own process so that it
 * competes for the CPU in the same way whichever server it measures. Every request is built by
 * setupRequest with a fresh SignatureNonce, the current Timestamp and a valid signature
 * (test/support/cds-client.ts's algorithm) — the same work for every target, so that only the
 * server differs. Reads its job as JSON from argv[2]; prints the result as JSON on stdout.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign, type Creds } from '../test/support/cds-client.js';

export interface LoadJob {
  url: string;
  /** Path before the query: '/mysql/' for openrds, '/' for the hello-world. */
  path: string;
  /** 'signed' = a signed DescribeDBInstances query string; 'plain' = the path alone. */
  query: 'signed' | 'plain';
  creds: Creds;
  /** Each request asks for one of these (chosen at random); empty = the unfiltered list. */
  uuids: string[];
  /** A substring every good body contains. */
  expect: string;
  connections: number;
  durationS: number;
  /** For an https url: the TLS server name (SNI); autocannon does not verify certificates. */
  servername?: string;
}

export interface LoadResult {
  rps: number; // total / duration
  rpsAvg: number; // autocannon's mean of per-second samples
  total: number;
  latency: { avg: number; p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  badBodies: number;
  firstBad?: string;
  statusCodes: Record<string, number>;
  durationS: number;
}

const autocannon = createRequire(import.meta.url)('autocannon') as (opts: unknown) => Promise<any>;
const job = JSON.parse(process.argv[2]!) as LoadJob;
const ts = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function signedPath(): string {
  const p: Record<string, string> = {
    Action: 'DescribeDBInstances',
    AccessKeyId: job.creds.AccessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: ts(),
    Version: '2019-08-08',
  };
  if (job.uuids.length) p.InstanceUuid = job.uuids[randomInt(job.uuids.length)]!;
  p.Signature = sign('GET', p, job.creds.AccessKeySecret, 'HMAC-SHA1');
  return `${job.path}?${new URLSearchParams(p)}`;
}

let badBodies = 0;
let firstBad: string | undefined;
const result = await autocannon({
  url: job.url,
  ...(job.servername ? { servername: job.servername } : {}),
  connections: job.connections,
  duration: job.durationS,
  requests: [{
    method: 'GET',
    setupRequest: (req: Record<string, unknown>) => ({ ...req, path: job.query === 'signed' ? signedPath() : job.path }),
    onResponse: (status: number, body: string) => {
      if (status !== 200 || !body.includes(job.expect)) {
        badBodies++;
        firstBad ??= `${status} ${body.slice(0, 300)}`;
      }
    },
  }],
});
const out: LoadResult = {
  rps: result.requests.total / result.duration,
  rpsAvg: result.requests.average,
  total: result.requests.total,
  latency: { avg: result.latency.average, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  badBodies,
  firstBad,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count])),
  durationS: result.duration,
};
process.stdout.write(JSON.stringify(out) + '\n');
