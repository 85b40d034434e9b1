/**
 * The web console at /console (docs/console.md): one HTML page and its bundle (build.ts), same
 * origin as the API, so the browser signs API calls with no CORS. Only the bundle's own files are
 * served (a fixed list, no paths from the request reach the file system). The page's CSP allows
 * scripts and connections to this origin only.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { createHash } from 'node:crypto';
import { CONSOLE_OUT, ensureConsole } from './build.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The page; `preload`: chunks app.js imports at once, fetched beside it rather than after it. */
export const indexHtml = (preload: string[]) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>openrds console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
${preload.map((f) => `<link rel="modulepreload" href="/console/${f}">\n`).join('')}
</head>
<body>
<div id="app"><noscript>The openrds console needs JavaScript.</noscript></div>
</body>
</html>
`;

const typeOf = (name: string) => (name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');

/**
 * `outDir`: where the bundle is (tests and benchmarks may use their own). A bundle that cannot be
 * built (no esbuild, a read-only install) does not stop `serve`: /console then answers 503 saying
 * why and what to run, and the API works as before.
 */
export function consoleRoute(log: Logger, outDir = CONSOLE_OUT) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    let files: Map<string, Buffer>;
    try {
      files = await ensureConsole(outDir, (why) => log.info({ why }, 'building the console bundle'));
    } catch (e) {
      const msg = `the web console could not be built (${(e as Error).message}); run npm run build:console and restart serve`;
      log.error({ err: e }, 'console bundle not available');
      const down = async (_req: unknown, reply: FastifyReply) => reply.code(503).type('text/plain; charset=utf-8').send(msg);
      app.get('/console', down);
      app.get('/console/', down);
      return;
    }
    const etags = new Map([...files].map(([f, b]) => [f, `"${createHash('sha256').update(b).digest('base64url').slice(0, 27)}"`]));
    const send = (reply: FastifyReply, type: string, body: Buffer | string, etag: string, ifNoneMatch: string | undefined) => {
      reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY').header('cache-control', 'no-cache').header('etag', etag).type(type);
      if (ifNoneMatch === etag) return reply.code(304).send();
      return reply.code(200).send(body);
    };
    // Shared chunks (chunk-*.js) are static imports of app.js; tab chunks load on demand.
    const html = indexHtml([...files.keys()].filter((f) => f.startsWith('chunk-')));
    const indexTag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
    const index = async (req: { headers: Record<string, unknown> }, reply: FastifyReply) =>
      send(reply, 'text/html; charset=utf-8', html, indexTag, req.headers['if-none-match'] as string | undefined);
    app.get('/console', index);
    app.get('/console/', index);
    for (const [name, body] of files) {
      app.get(`/console/${name}`, async (req, reply) => send(reply, typeOf(name), body, etags.get(name)!, req.headers['if-none-match'] as string | undefined));
    }
  };
}
