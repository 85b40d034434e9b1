/**
 * Where the API listens: plain HTTP (`listen`) and HTTPS (`tls.listen`), alone or side by side.
 *
 * Design: one fastify app, two Node servers. Fastify owns the plain server (`app.listen`); the
 * HTTPS server is a `node:https` server whose request handler is the same app's router
 * (`app.routing`), so both reach the same routes, hooks, nonce cache and instance-row cache.
 * fastify's `https` option would make the app HTTPS-only, and a `serverFactory` still gives
 * it one server; a second app would double every cache and hook. The HTTPS server takes the
 * plain server's HTTP limits and timeouts, and hands parser errors ('clientError': a header
 * too large, a malformed request) to the handler fastify put on the plain server, so that both
 * answer them alike.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIPv4 } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config, ListenAddress } from '../config/config.js';
import { loadServerTls, trustHint, type ServerTls } from '../tls/server-tls.js';

/** True for addresses only this host can reach: 127.0.0.0/8, ::1, `localhost`. Pure. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}

const show = (a: ListenAddress) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/**
 * Which listeners to open, or why not. Plain HTTP off loopback sends access key ids, signatures
 * and every request body (passwords) in clear text: refused unless the operator says so. Pure.
 */
export function planListeners(cfg: Pick<Config, 'listen' | 'tls' | 'insecureHttp'>): { plain: ListenAddress | null; tls: ListenAddress | null } {
  const plain = cfg.listen;
  const tls = cfg.tls.listen;
  if (!plain && !tls) throw new Error('nothing to listen on: give --listen HOST:PORT and/or --tls-listen HOST:PORT');
  if (plain && !isLoopbackHost(plain.host) && !cfg.insecureHttp) {
    throw new Error(`refusing plain HTTP on ${show(plain)}: off loopback, access keys, signatures and passwords would cross the network in clear text. ` +
      `Serve HTTPS instead with --tls-listen ${show({ host: plain.host, port: tls ? tls.port : 8443 })} (a certificate is made under <home>/tls unless --tls-cert/--tls-key give one) ` +
      'and keep --listen on 127.0.0.1, or accept clear text with --insecure-http (config "insecureHttp": true)');
  }
  return { plain, tls };
}

export interface Listening {
  /** Base URL of the plain listener, else of the HTTPS one. */
  url: string;
  tlsUrl?: string;
  /** Base of signed download URLs: the HTTPS listener when there is one. */
  downloadBase: string;
  close(): Promise<void>;
}

export interface PreparedListeners {
  plain: ListenAddress | null;
  tls: ListenAddress | null;
  /** Loads or makes the certificate (under the home's lock, so two serves never make it at once), then listens. */
  start(app: FastifyInstance): Promise<Listening>;
}

/** Checks the plan (it can refuse before the home is touched); certificates come at start(). */
export function prepareListeners(cfg: Config, log: Logger): PreparedListeners {
  const plan = planListeners(cfg);
  if (plan.plain && !isLoopbackHost(plan.plain.host)) {
    log.warn({ listen: show(plan.plain) }, 'plain HTTP off loopback (--insecure-http): access keys, signatures and passwords cross the network in clear text');
  }
  return {
    ...plan,
    async start(app) {
      const material = plan.tls ? await loadServerTls(cfg.home, { ...cfg.tls, listen: plan.tls }) : undefined;
      if (material?.made) {
        const m = material.made;
        const what = m.ca ? 'made a new local CA and server certificate' : m.server ? 'made a new server certificate' : 'server certificate up to date';
        log[m.ca || m.server ? 'info' : 'debug']({ ca: material.caPath, cert: material.certPath, names: material.names, reason: m.reason }, what);
      }
      return startListeners(app, plan.plain, plan.tls && material ? { at: plan.tls, material } : undefined, log);
    },
  };
}

function baseUrl(scheme: 'http' | 'https', a: AddressInfo | string | null): string {
  if (!a || typeof a === 'string') return String(a);
  return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

async function startListeners(app: FastifyInstance, plain: ListenAddress | null, tls: { at: ListenAddress; material: ServerTls } | undefined, log: Logger): Promise<Listening> {
  let url: string | undefined;
  if (plain) {
    await app.listen({ host: plain.host, port: plain.port });
    url = baseUrl('http', app.server.address());
  } else await app.ready();
  let https: HttpsServer | undefined;
  let tlsUrl: string | undefined;
  if (tls) {
    https = httpsBeside(app.server, app.routing.bind(app), tls.material, log);
    try {
      await new Promise<void>((resolve, reject) => {
        https!.once('error', reject);
        https!.listen({ host: tls.at.host, port: tls.at.port }, () => { https!.off('error', reject); resolve(); });
      });
    } catch (e) {
      await app.close();
      throw new Error(`cannot listen for HTTPS on ${show(tls.at)}: ${(e as Error).message}`, { cause: e });
    }
    tlsUrl = baseUrl('https', https.address());
    log.info({ tlsUrl, ca: tls.material.caPath, cert: tls.material.certPath }, 'https listening');
    process.stdout.write(trustHint(tlsUrl, tls.material));
  }
  return {
    url: url ?? tlsUrl!, tlsUrl, downloadBase: tlsUrl ?? url!,
    async close() {
      await Promise.all([https ? closeServer(https) : undefined, app.close()]);
    },
  };
}

/** An HTTPS server for `handler` with the limits, timeouts and parser-error answers of `plain`. */
function httpsBeside(plain: HttpServer, handler: (req: any, res: any) => void, t: ServerTls, log: Logger): HttpsServer {
  const s = createHttpsServer({
    cert: t.cert, key: t.key, ALPNProtocols: ['http/1.1'],
    // Node keeps the maxHeaderSize option on the server (not in @types/node 20).
    maxHeaderSize: (plain as HttpServer & { maxHeaderSize?: number }).maxHeaderSize, requestTimeout: plain.requestTimeout, headersTimeout: plain.headersTimeout,
  }, handler);
  s.keepAliveTimeout = plain.keepAliveTimeout; // fastify's 72 s, not Node's 5 s: clients keep their connections alike
  if (plain.maxRequestsPerSocket) s.maxRequestsPerSocket = plain.maxRequestsPerSocket;
  s.setTimeout(plain.timeout);
  s.on('clientError', (err, socket) => plain.emit('clientError', err, socket));
  // A failed handshake (wrong CA, plain HTTP sent to the TLS port, a scanner) is the client's business.
  s.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake refused'));
  return s;
}

/** Stops accepting, closes idle keep-alive connections, and after 5 s the busy ones too. */
function closeServer(s: HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    if (!s.listening) return resolve();
    const t = setTimeout(() => s.closeAllConnections(), 5000);
    s.close(() => { clearTimeout(t); resolve(); });
    s.closeIdleConnections();
  });
}
