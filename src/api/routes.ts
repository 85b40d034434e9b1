/**
 * Pure: which methods a concrete path takes, from the routes the server registered (collected by
 * an onRoute hook in server.ts). The not-found handler uses it to tell "no such path" (404) from
 * "this path, another method" (405 with `Allow`).
 */

export interface RouteEntry {
  /** A fastify URL pattern: literal segments and `:param` segments (no wildcards are used). */
  url: string;
  methods: readonly string[];
}

/** `/backups/download/:backupId/:file` matches `/backups/download/b1/f.gz`; a `:param` takes one non-empty segment. */
export function routeMatches(pattern: string, path: string): boolean {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return false;
  return p.every((seg, i) => (seg.startsWith(':') ? s[i]!.length > 0 : seg === s[i]));
}

/** The methods any route matching `path` takes, sorted; empty when no route has that path. */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  const out = new Set<string>();
  for (const r of routes) if (routeMatches(r.url, path)) for (const m of r.methods) out.add(m.toUpperCase());
  return [...out].sort();
}
