/** Client commands: signed calls to a running openrds (or any CDS endpoint). */
import type { Command } from 'commander';
import { CdsClient } from '../sdk/client.js';

function clientFrom(o: { endpoint?: string; key?: string; secret?: string; caFile?: string }): CdsClient {
  const endpoint = o.endpoint ?? process.env.OPENRDS_ENDPOINT ?? 'http://127.0.0.1:8080';
  const key = o.key ?? process.env.OPENRDS_ACCESS_KEY_ID;
  const secret = o.secret ?? process.env.OPENRDS_ACCESS_KEY_SECRET;
  if (!key || !secret) throw new Error('set --key/--secret or OPENRDS_ACCESS_KEY_ID/OPENRDS_ACCESS_KEY_SECRET (from `openrds keys create`)');
  const caFile = o.caFile ?? (process.env.OPENRDS_CA_FILE || undefined);
  return new CdsClient({ endpoint, accessKeyId: key, accessKeySecret: secret, caFile });
}

function parseAssignments(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`parameters are Name=Value, got ${p}`);
    const v = p.slice(i + 1);
    out[p.slice(0, i)] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

export function registerClientCommands(program: Command): void {
  const withConn = (c: Command) => c
    .option('--endpoint <url>', 'API endpoint (env OPENRDS_ENDPOINT, default http://127.0.0.1:8080)')
    .option('--key <id>', 'AccessKeyId (env OPENRDS_ACCESS_KEY_ID)')
    .option('--secret <secret>', 'AccessKeySecret (env OPENRDS_ACCESS_KEY_SECRET)')
    .option('--ca-file <pem>', "for an https endpoint: one more CA to trust beside Node's root certificates, e.g. <home>/tls/ca.pem (env OPENRDS_CA_FILE)");

  withConn(program.command('call <action> [params...]'))
    .description('call any API action with Name=Value parameters and print the JSON answer')
    .option('--get', 'send a GET with signed query parameters instead of a POST with a JSON body')
    .option('--wait', 'after an async call, wait until the instance is RUNNING (or gone, after a delete), showing progress')
    .action(async (action: string, params: string[], o) => {
      const client = clientFrom(o);
      const body = parseAssignments(params);
      const res = await client.call(action, body, o.get ? 'GET' : 'POST');
      process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
      if (res.body.Code !== 'Success') process.exit(2);
      if (o.wait) {
        const uuids: string[] = (res.body.Data as { InstancesUuid?: string[] })?.InstancesUuid ?? (body.InstanceUuid ? [String(body.InstanceUuid)] : []);
        for (const u of uuids) await client.waitFor(u, action === 'DeleteDBInstance' ? 'gone' : 'RUNNING', (s) => process.stderr.write(s));
      }
    });
}
