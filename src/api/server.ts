/**
 * The HTTP API: one handler for every path of spec §1.1, dispatching on `Action`.
 * Responsibilities here: parse, authenticate, dispatch, wrap the envelope (§2.1), map errors.
 * Every answer on the API paths is an envelope with a RequestId (envelope.ts), whoever refuses.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import type { ActionContext, ActionDef } from './action.js';
import { authenticate } from './auth.js';
import { errorEnvelope, frameworkErrorCode, newRequestId, onClientError } from './envelope.js';
import { ApiError, ERROR_CODES, type ErrorCode } from './errors.js';
import { mergeParams } from './params.js';
import { allowedMethods, type RouteEntry } from './routes.js';
import { ParamReader } from './validate.js';

export const API_PATHS = ['/', '/mysql', '/mysql/', '/paas/monitor', '/paas/monitor/', '/ccs', '/ccs/'];
/** Only these run actions (spec §1.3); any other method gets MethodNotAllowed and runs nothing. */
export const API_METHODS = ['GET', 'POST'] as const;
const API_PATH_SET = new Set(API_PATHS);

export interface ApiHooks {
  /** Called after every API request (metrics). */
  onRequestDone?(action: string, code: string, seconds: number): void;
}

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

function sendError(reply: FastifyReply, code: ErrorCode, message: string, requestId = newRequestId()): FastifyReply {
  return reply.code(ERROR_CODES[code].status).send(errorEnvelope(code, message, requestId));
}

export function buildServer(svc: Services, actions: ReadonlyMap<string, ActionDef>, hooks: ApiHooks = {}): FastifyInstance {
  const app = Fastify({
    loggerInstance: svc.log as FastifyBaseLogger,
    // Per-request lines would cost throughput; the handler logs refusals, mutations and errors itself.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // No route reads `req.query`: the API reads the raw query string itself (pairs in order,
    // duplicates kept, as signing needs), so fastify's own parse of it on every request (~2 % of
    // a DescribeDBInstances, bench/RESULTS.md 2i) is skipped.
    routerOptions: { querystringParser: () => ({}) },
    // HEAD of a GET route would run the action and drop the answer (issue 11): routes say their methods.
    exposeHeadRoutes: false,
    // Requests Node's parser refuses (headers over 16 KiB, NUL in a header…) never reach fastify.
    clientErrorHandler: onClientError,
    // A malformed URL (bad percent-encoding) never reaches a route: answer it in the envelope too.
    frameworkErrors: (e: Error, _req: FastifyRequest, reply: FastifyReply) => {
      sendError(reply, 'InvalidParameter', `invalid URL: ${e.message}`);
    },
  }) as unknown as FastifyInstance;
  // Every route, also those registered later (metrics, downloads): what a 405 says is allowed.
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (r) => {
    routes.push({ url: r.url, methods: Array.isArray(r.method) ? r.method : [r.method] });
  });
  const KEY_CACHE_MS = 900;
  const keyCache = new Map<string, { tenantId: string; secret: string; at: number }>();
  const lookup = async (id: string) => {
    const hit = keyCache.get(id);
    // At most KEY_CACHE_MS old: a key revoked in the store (`openrds keys delete`) is refused within a second on every node.
    if (hit && Date.now() - hit.at < KEY_CACHE_MS) return hit;
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
    const requestId = newRequestId();
    const qs = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const query = [...new URLSearchParams(qs)];
    const actionName = query.find(([k]) => k === 'Action')?.[1] ?? '';
    let code = 'Success';
    try {
      const action = actions.get(actionName);
      if (!actionName) throw new ApiError('InvalidAction', 'missing required parameter Action');
      // Records the nonce (durably, in the store) before anything below can run.
      const auth = await authenticate({ method: req.method, query }, lookup, svc.store, svc.config.auth.maxSkewSeconds * 1000, svc.clock.now());
      if (!action) throw new ApiError('InvalidAction', `unknown Action ${actionName}; see docs/api.md for the supported actions`);
      const body = parseBody(req.body);
      const params = new ParamReader(mergeParams(query, body));
      // The request's child logger is made only for an action that uses it (most reads never log).
      let log: FastifyBaseLogger | undefined;
      const ctx = {
        tenantId: auth.tenantId, requestId, svc,
        get log() { return (log ??= svc.log.child({ requestId, action: actionName, tenant: auth.tenantId })); },
      };
      const result = await action.handler(ctx as ActionContext, params);
      return reply.code(200).send({
        Code: 'Success',
        Message: result.message ?? 'Success',
        Data: result.data === undefined ? {} : result.data,
        TaskId: result.taskId ?? '',
        RequestId: requestId,
      });
    } catch (e) {
      // A store out of reach is the one 5xx allowed besides InternalError: answered within the
      // store's timeouts, never a hang (docs/cluster.md "Losing the database").
      const err = e instanceof ApiError ? e : svc.store.isUnavailable(e)
        ? new ApiError('ServiceUnavailable', 'the metadata store cannot be reached right now; nothing was done, retry in a few seconds', { cause: e })
        : undefined;
      code = err?.code ?? 'InternalError';
      if (!err) svc.log.error({ err: e, requestId, action: actionName }, 'internal error');
      else if (err.status >= 500) svc.log.error({ err: e, requestId, action: actionName }, 'api error');
      else svc.log.debug({ requestId, action: actionName, code, msg: err.message }, 'request refused');
      return sendError(reply, code as ErrorCode, err ? err.message : `internal error (request ${requestId}); the server log has the details`, requestId);
    } finally {
      hooks.onRequestDone?.(actionName || 'none', code, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  };

  // The Content-Type is ignored on the API paths (spec §1.3): a missing, empty or unparsable one
  // must not make fastify refuse the body before the handler sees it.
  const ignoreContentType = (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    delete req.raw.headers['content-type'];
    done();
  };
  // No per-request pino child for fastify's reqId on the API paths: the handler logs with its own
  // RequestId (the one the envelope answers), and the child cost ~2 µs of every request (bench/RESULTS.md 2i).
  const sameLogger = (logger: FastifyBaseLogger) => logger;
  for (const url of API_PATHS) {
    app.route({ method: [...API_METHODS], url, handler: handle, onRequest: ignoreContentType, exposeHeadRoute: false, childLoggerFactory: sameLogger });
  }
  // Liveness, unauthenticated: 200 {"ok":true} while the process serves HTTP (docs/api.md).
  app.route({ method: ['GET', 'HEAD'], url: '/healthz', handler: async () => ({ ok: true }) });
  app.setNotFoundHandler((req, reply) => {
    const path = pathOf(req.url);
    if (API_PATH_SET.has(path)) {
      reply.header('allow', API_METHODS.join(', '));
      return sendError(reply, 'MethodNotAllowed', `method ${req.method} is not allowed on ${path}; the API takes GET and POST (spec §1.3)`);
    }
    const allow = allowedMethods(routes, path);
    if (allow.length > 0) {
      reply.header('allow', allow.join(', '));
      return sendError(reply, 'MethodNotAllowed', `method ${req.method} is not allowed on ${path}; it takes ${allow.join(' and ')}`);
    }
    return sendError(reply, 'ResourceNotFound', `no such path ${path}; the API is served at /mysql/, /paas/monitor/, /ccs/ and /`);
  });
  app.setErrorHandler((e: Error & { statusCode?: number; code?: string }, req, reply) => {
    // Framework-level failures (body too large, malformed URL…): never a bare 500, always the envelope.
    const code = frameworkErrorCode(e);
    const requestId = newRequestId();
    if (ERROR_CODES[code].status >= 500) svc.log.error({ err: e, requestId, url: pathOf(req.url) }, 'framework error');
    return sendError(reply, code, code === 'RequestTooLarge' ? 'the request body exceeds 1 MiB' : e.message, requestId);
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
