/**
 * The HTTP API: one handler for every path of spec §1.1, dispatching on `Action`.
 * Responsibilities here: parse, authenticate, dispatch, wrap the envelope (§2.1), map errors.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import type { ActionDef } from './action.js';
import { authenticate, NonceCache } from './auth.js';
import { ApiError, ERROR_CODES } from './errors.js';
import { mergeParams } from './params.js';
import { ParamReader } from './validate.js';

export const API_PATHS = ['/', '/mysql', '/mysql/', '/paas/monitor', '/paas/monitor/', '/ccs', '/ccs/'];

export interface ApiHooks {
  /** Called after every API request (metrics). */
  onRequestDone?(action: string, code: string, seconds: number): void;
}

export function buildServer(svc: Services, actions: ReadonlyMap<string, ActionDef>, hooks: ApiHooks = {}): FastifyInstance {
  const app = Fastify({
    loggerInstance: svc.log as FastifyBaseLogger,
    // Per-request lines would cost throughput; the handler logs refusals, mutations and errors itself.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // A malformed URL (bad percent-encoding) never reaches a route: answer it in the envelope too.
    frameworkErrors: (e: Error, _req: FastifyRequest, reply: FastifyReply) => {
      reply.code(ERROR_CODES.InvalidParameter.status).send({ Code: 'InvalidParameter', Message: `invalid URL: ${e.message}`, Data: null, TaskId: '' });
    },
  }) as unknown as FastifyInstance;
  const nonces = new NonceCache(2 * svc.config.auth.maxSkewSeconds * 1000);
  const keyCache = new Map<string, { tenantId: string; secret: string; at: number }>();
  const lookup = async (id: string) => {
    const hit = keyCache.get(id);
    if (hit && Date.now() - hit.at < 5000) return hit;
    const k = await svc.store.getKey(id);
    if (!k) {
      keyCache.delete(id);
      return undefined;
    }
    const v = { tenantId: k.tenant_id, secret: k.secret, at: Date.now() };
    keyCache.set(id, v);
    return v;
  };

  // Bodies are JSON whatever the Content-Type says, and the SDK may send none (spec §1.3).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const t0 = process.hrtime.bigint();
    const requestId = randomUUID();
    const qs = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const query = [...new URLSearchParams(qs)];
    const actionName = query.find(([k]) => k === 'Action')?.[1] ?? '';
    let code = 'Success';
    try {
      const action = actions.get(actionName);
      if (!actionName) throw new ApiError('InvalidAction', 'missing required parameter Action');
      const auth = await authenticate({ method: req.method, query }, lookup, nonces, svc.config.auth.maxSkewSeconds * 1000, svc.clock.now());
      if (!action) throw new ApiError('InvalidAction', `unknown Action ${actionName}; see docs/api.md for the supported actions`);
      const body = parseBody(req.body);
      const params = new ParamReader(mergeParams(query, body));
      const log = svc.log.child({ requestId, action: actionName, tenant: auth.tenantId });
      const result = await action.handler({ tenantId: auth.tenantId, requestId, svc, log }, params);
      return reply.code(200).send({
        Code: 'Success',
        Message: result.message ?? 'Success',
        Data: result.data === undefined ? {} : result.data,
        TaskId: result.taskId ?? '',
        RequestId: requestId,
      });
    } catch (e) {
      const err = e instanceof ApiError ? e : undefined;
      code = err?.code ?? 'InternalError';
      if (!err) svc.log.error({ err: e, requestId, action: actionName }, 'internal error');
      else if (err.status >= 500) svc.log.error({ err: e, requestId, action: actionName }, 'api error');
      else svc.log.debug({ requestId, action: actionName, code, msg: err.message }, 'request refused');
      return reply.code(ERROR_CODES[code as keyof typeof ERROR_CODES].status).send({
        Code: code,
        Message: err ? err.message : `internal error (request ${requestId}); the server log has the details`,
        Data: null,
        TaskId: '',
        RequestId: requestId,
      });
    } finally {
      hooks.onRequestDone?.(actionName || 'none', code, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  };

  for (const url of API_PATHS) app.route({ method: ['GET', 'POST'], url, handler: handle });
  app.get('/healthz', async () => ({ ok: true }));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ Code: 'ResourceNotFound', Message: `no such path ${req.url.split('?')[0]}; the API is served at /mysql/, /paas/monitor/, /ccs/ and /`, Data: null, TaskId: '' });
  });
  app.setErrorHandler((e: Error & { statusCode?: number }, _req, reply) => {
    // Framework-level failures (body too large, malformed URL…): never a bare 500.
    const status = e.statusCode ?? 500;
    const code = status >= 500 ? 'InternalError' : 'InvalidParameter';
    if (status >= 500) svc.log.error({ err: e }, 'framework error');
    reply.code(ERROR_CODES[code].status).send({ Code: code, Message: e.message, Data: null, TaskId: '' });
  });
  return app;
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return undefined;
  const s = body.trim();
  if (!s) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new Error('not an object');
  } catch {
    throw new ApiError('InvalidParameter', 'invalid parameter body: the request body must be a JSON object');
  }
  if (nestedDeeperThan(v, MAX_BODY_DEPTH)) throw new ApiError('InvalidParameter', `invalid parameter body: nested more than ${MAX_BODY_DEPTH} levels`);
  return v;
}

/** No action takes parameters nested this deep; the limit keeps the recursive param readers off the stack limit. */
const MAX_BODY_DEPTH = 32;

/** Iterative, so a hostile body cannot overflow the stack here either. */
function nestedDeeperThan(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > limit) return true;
    for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return false;
}
