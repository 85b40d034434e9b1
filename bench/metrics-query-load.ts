/**
 * Load generator of bench/metrics-query.ts: autocannon (programmatic) in its own process, POSTing
 * DescribeDBInstancePerformance to /mysql/ the way the Go SDK does (common parameters signed in
 * the query, business parameters in an unsigned JSON body), every request with a fresh
 * SignatureNonce, Timestamp and signature, a random instance and a random metric key.
 * Reads its job as JSON from argv[2]; prints the result as JSON on stdout.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign, type Creds } from '../test/support/cds-client.js';

export interface QueryJob {
  url: string;
  creds: Creds;
  uuids: string[];
  keys: string[];
  /** StartTime and EndTime, `YYYY-MM-DD HH:MM:SS` UTC. */
  startTime: string;
  endTime: string;
  /** Every good body has this Period and at least this many Values. */
  period: number;
  minValues: number;
  connections: number;
  durationS: number;
}

export interface QueryResult {
  rps: number;
  total: number;
  latency: { avg: number; p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  badBodies: number;
  firstBad?: string;
  avgBodyBytes: number;
}

const autocannon = createRequire(import.meta.url)('autocannon') as (opts: unknown) => Promise<any>;
const job = JSON.parse(process.argv[2]!) as QueryJob;

function signedPath(): string {
  const p: Record<string, string> = {
    Action: 'DescribeDBInstancePerformance', AccessKeyId: job.creds.AccessKeyId, SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(), SignatureVersion: '1.0', Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Version: '2019-08-08',
  };
  p.Signature = sign('POST', p, job.creds.AccessKeySecret, 'HMAC-SHA1');
  return `/mysql/?${new URLSearchParams(p)}`;
}

let badBodies = 0;
let bodyBytes = 0;
let bodies = 0;
let firstBad: string | undefined;
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationS,
  requests: [{
    method: 'POST',
    setupRequest: (req: Record<string, unknown>) => ({
      ...req,
      path: signedPath(),
      body: JSON.stringify({
        InstanceUuid: job.uuids[randomInt(job.uuids.length)], MetricKey: job.keys[randomInt(job.keys.length)],
        StartTime: job.startTime, EndTime: job.endTime,
      }),
    }),
    onResponse: (status: number, body: string) => {
      bodies++;
      bodyBytes += body.length;
      // String checks, not JSON.parse: parsing 33 KB bodies would make this process compete with
      // serve for the CPU (2 cores here) far more than the requests themselves do.
      let ok = status === 200 && body.includes('"Code":"Success"') && body.includes(`"Period":${job.period},`);
      if (ok) {
        let values = 0;
        for (let i = body.indexOf('"Value":'); i >= 0 && values < job.minValues; i = body.indexOf('"Value":', i + 8)) values++;
        ok = values >= job.minValues;
      }
      if (!ok) {
        badBodies++;
        firstBad ??= `${status} ${body.slice(0, 300)}`;
      }
    },
  }],
});
const out: QueryResult = {
  rps: result.requests.total / result.duration,
  total: result.requests.total,
  latency: { avg: result.latency.average, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  badBodies,
  firstBad,
  avgBodyBytes: Math.round(bodyBytes / Math.max(1, bodies)),
};
process.stdout.write(JSON.stringify(out) + '\n');
