/** MariaDB GTID positions (`domain-server-seq` lists). Pure. */
export type GtidPos = Map<number, { server: number; seq: number }>;

export function parseGtidPos(s: string | null | undefined): GtidPos {
  const out: GtidPos = new Map();
  for (const part of (s ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!m) throw new Error(`bad GTID ${part}`);
    out.set(Number(m[1]), { server: Number(m[2]), seq: Number(m[3]) });
  }
  return out;
}

export function formatGtidPos(p: GtidPos): string {
  return [...p.entries()].sort(([a], [b]) => a - b).map(([d, g]) => `${d}-${g.server}-${g.seq}`).join(',');
}

/** True when `have` contains every transaction of `need` (per domain, seq numbers are monotonic under gtid_strict_mode). */
export function gtidCovers(have: GtidPos, need: GtidPos): boolean {
  for (const [d, g] of need) {
    const h = have.get(d);
    if (!h || h.seq < g.seq) return false;
  }
  return true;
}

/**
 * Errant transactions: the old primary has transactions the promoted node never had.
 * `promotedAt` is the new primary's position at promotion time; anything in `oldPos` beyond it,
 * or equal in seq but from another server, was never replicated and must not be replayed.
 */
export function errantTransactions(oldPos: GtidPos, promotedAt: GtidPos): string[] {
  const out: string[] = [];
  for (const [d, g] of oldPos) {
    const p = promotedAt.get(d);
    if (!p || g.seq > p.seq || (g.seq === p.seq && g.server !== p.server)) out.push(`${d}-${g.server}-${g.seq}`);
  }
  return out;
}
