/**
 * `openrds call ACTION [Name=Value…]`: a signed call of any action, checked against its
 * contract before it is sent (unknown action or parameter: exit 2 with a suggestion), printed
 * as JSON or a table, filtered with --query (JMESPath), optionally waited for (--wait).
 * Exit status: 0 Success, 1 an API error or a failed wait, 2 a usage mistake.
 */
import type { Command } from 'commander';
import { describeRange, flatParams } from '../contract/describe.js';
import { CONTRACT_LIST, GROUPS } from '../contract/index.js';
import type { ActionContract } from '../contract/types.js';
import { CLIENT_CODES, OpenRDSError } from '../sdk/errors.js';
import { OpenRDS } from '../sdk/openrds.js';
import { parseAssignments, resolveAction } from './call-args.js';
import { CliError } from './cli-error.js';
import { chooseOutput, progressLine, renderTable } from './output.js';
import { readProfiles, resolveConnection, type ConnFlags } from './profiles.js';

/** The connection options every client command takes. */
export function withConnection(c: Command): Command {
  return c
    .option('--profile <name>', 'profile of ~/.config/openrds/config.json (env OPENRDS_PROFILE, default "default")')
    .option('--endpoint <url>', 'API endpoint (env OPENRDS_ENDPOINT, default http://127.0.0.1:8080)')
    .option('--key <id>', 'AccessKeyId (env OPENRDS_ACCESS_KEY_ID)')
    .option('--secret <secret>', 'AccessKeySecret (env OPENRDS_ACCESS_KEY_SECRET)')
    .option('--ca-file <pem>', "for an https endpoint: one more CA to trust beside Node's root certificates, e.g. <home>/tls/ca.pem (env OPENRDS_CA_FILE)");
}

/** A client from flags, environment and profile; what to run when credentials are missing. */
export function clientFrom(flags: ConnFlags, method: 'GET' | 'POST' = 'POST') {
  const r = resolveConnection(flags, process.env, readProfiles());
  if (!r.accessKeyId || !r.accessKeySecret) {
    throw new CliError('no access key: run `openrds configure` (or give --key/--secret, or OPENRDS_ACCESS_KEY_ID/OPENRDS_ACCESS_KEY_SECRET); '
      + '`openrds keys create --tenant NAME` makes one');
  }
  return { client: new OpenRDS({ endpoint: r.endpoint, accessKeyId: r.accessKeyId, accessKeySecret: r.accessKeySecret, caFile: r.caFile, method }), conn: r };
}

/** One line for an error without an API answer: the address and what to run. */
export function networkMessage(e: OpenRDSError, endpoint: string): string {
  const cause = (e.cause as NodeJS.ErrnoException | undefined)?.code;
  if (e.code === CLIENT_CODES.network && (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EHOSTUNREACH')) {
    return `cannot reach the openrds API at ${endpoint} (${cause}). Is it running? Start it with \`openrds serve\` `
      + '(or `npm start`), or point --endpoint, OPENRDS_ENDPOINT or a profile (`openrds configure`) at a running one';
  }
  return e.message;
}

export function actionsHelp(): string {
  const out = ['Usage: openrds call ACTION [Name=Value…] [options]', '', 'Actions:'];
  const w = Math.max(...CONTRACT_LIST.map((c) => c.name.length));
  for (const { group, title } of GROUPS) {
    const cs = CONTRACT_LIST.filter((c) => c.group === group);
    if (!cs.length) continue;
    out.push(`  ${title}:`);
    for (const c of cs) out.push(`    ${c.name.padEnd(w)}  ${c.summary}${c.wait ? ' [async: --wait]' : ''}`);
  }
  out.push('', '`openrds call ACTION --help` lists its parameters.', '', 'Options:', ...CALL_OPTIONS_HELP);
  return out.join('\n') + '\n';
}

const CALL_OPTIONS_HELP = [
  '  --get                   GET with signed query parameters instead of a POST with a JSON body',
  '  --wait                  after an asynchronous action, wait for its task (and instance) with a progress line',
  '  --output json|table     table: default for lists on a terminal; json otherwise (env OPENRDS_OUTPUT, profile output)',
  '  --query EXPR            JMESPath over the answer ({Code, Message, Data, TaskId, RequestId}), e.g. "Data[].InstanceUuid"',
  '  --dry-run               print the signed request and do not send it',
  '  --profile, --endpoint, --key, --secret, --ca-file   connection (`openrds configure`)',
];

export function actionHelp(c: ActionContract): string {
  const out = [`Usage: openrds call ${c.name} [Name=Value…] [options]`, '', `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}${c.spec ? ` (spec ${c.spec})` : ''}.`];
  if (c.wait) out.push('Asynchronous: answers a TaskId; --wait waits for it.');
  const ps = flatParams(c.params);
  if (!ps.length) out.push('', 'No parameters.');
  else {
    out.push('', 'Parameters:');
    const w = Math.max(...ps.map((p) => p.name.length));
    for (const { name, spec } of ps) {
      const range = describeRange(spec);
      out.push(`  ${name.padEnd(w)}  ${spec.type}${spec.required ? ', required' : ''}${range ? `; ${range}` : ''}`);
      out.push(`  ${' '.repeat(w)}  ${spec.desc}. Example: ${name.replace(/\.N\./g, '.0.')}=${/[\s"'{[]/.test(spec.example) ? `'${spec.example}'` : spec.example}`);
    }
  }
  out.push('', 'Lists and objects: JSON (Name=\'[…]\'), Name.0.Field=…, or a list parameter repeated.', '', 'Options:', ...CALL_OPTIONS_HELP);
  return out.join('\n') + '\n';
}

interface CallFlags extends ConnFlags {
  get?: boolean;
  wait?: boolean;
  output?: string;
  query?: string;
  dryRun?: boolean;
  help?: boolean;
}

export async function runCall(action: string | undefined, words: string[], o: CallFlags): Promise<number> {
  if (!action || action === 'help') {
    process.stdout.write(actionsHelp());
    return action || o.help ? 0 : 2;
  }
  const c = resolveAction(action);
  if (o.help) {
    process.stdout.write(actionHelp(c));
    return 0;
  }
  if (o.output !== undefined && o.output !== 'json' && o.output !== 'table') throw new CliError(`--output must be json or table, got ${o.output}`, 2);
  const params = parseAssignments(c, words);
  const method = o.get ? 'GET' : 'POST';
  const { client, conn } = clientFrom(o, method);
  if (o.dryRun) {
    const req = client.sign(c.name, params, method);
    process.stdout.write(`${req.method} ${req.url}\n${req.body !== undefined ? `\n${req.body}\n` : ''}`);
    return 0;
  }
  let res;
  try {
    res = await client.call(c.name, params, method);
  } catch (e) {
    if (e instanceof OpenRDSError) throw new CliError(networkMessage(e, conn.endpoint));
    throw e;
  }
  const body = res.body;
  let shown: unknown = body;
  if (o.query) {
    const { search } = await import('jmespath');
    try {
      shown = search(body as unknown as Parameters<typeof search>[0], o.query);
    } catch (e) {
      throw new CliError(`--query ${o.query}: ${(e as Error).message}`, 2);
    }
  }
  const fmt = chooseOutput(o.output ?? conn.output, process.stdout.isTTY === true, o.query ? shown : body.Data);
  if (body.Code !== 'Success') {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    process.stderr.write(`openrds: ${c.name} failed: ${body.Code}: ${body.Message}\n`);
    return 1;
  }
  process.stdout.write(fmt === 'table' ? renderTable(c.name, o.query ? shown : body.Data) : JSON.stringify(shown, null, 2) + '\n');
  if (o.wait) {
    if (!c.wait) {
      process.stderr.write(`openrds: ${c.name} is synchronous: it was done when it answered, there is nothing to wait for\n`);
      return 0;
    }
    return waitAndReport(client, c, params, body);
  }
  return 0;
}

async function waitAndReport(client: OpenRDS, c: ActionContract, params: Record<string, unknown>, body: { TaskId: string; Data: unknown }): Promise<number> {
  const tty = process.stderr.isTTY === true;
  let last = '';
  const t0 = Date.now();
  try {
    await client.waitForAction(c.name, params, body, {
      onProgress: (p) => {
        const line = progressLine(p);
        const key = `${p.subject} ${p.status} ${p.step}`;
        if (tty) process.stderr.write(`\r\x1b[K${line}`);
        else if (key !== last) process.stderr.write(`${line}\n`);
        last = key;
      },
    });
  } catch (e) {
    if (tty) process.stderr.write('\n');
    if (e instanceof OpenRDSError) {
      process.stderr.write(`openrds: ${c.name} did not complete: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (tty) process.stderr.write('\n');
  process.stderr.write(`${c.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

export function registerCallCommand(program: Command): void {
  withConnection(program.command('call [action] [params...]'))
    .description('call an action with Name=Value parameters (`openrds call --help` lists the actions)')
    .helpOption(false)
    .option('-h, --help', 'list the actions, or the parameters of ACTION')
    .option('--get', 'GET with signed query parameters instead of POST with a JSON body')
    .option('--wait', 'wait for an asynchronous action to complete, with a progress line')
    .option('--output <format>', 'json or table')
    .option('--query <jmespath>', 'JMESPath over the answer')
    .option('--dry-run', 'print the signed request without sending it')
    .action(async (action: string | undefined, words: string[], o: CallFlags) => {
      process.exitCode = await runCall(action, words, o);
    });
}
