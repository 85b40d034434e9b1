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

/** What the subset check knows of the primary a node is to replicate from. */
export interface PrimaryHistory {
  /** Its gtid_binlog_pos now (log_slave_updates: everything it applied is in its binlog). */
  pos: GtidPos;
  /** Its server_id: the only server that writes to it since its promotion. */
  serverId: number;
  /**
   * Its gtid_binlog_pos when it was promoted (HaState.promotedAt); undefined when it has been the
   * primary since the instance was made (then it wrote every transaction itself).
   */
  promotedAt?: GtidPos;
}

/**
 * Why `node`'s GTID state is not a subset of the primary's history; [] when it is, i.e. every
 * node's last transaction per domain is one the primary has too, so the node may replicate from
 * it (MASTER_USE_GTID=current_pos) without a copy. Per domain (under gtid_strict_mode seq numbers
 * grow by one per transaction and both sides agree on the transactions before the promotion):
 * - a domain the primary never wrote, or a seq beyond the primary's, is not the primary's;
 * - the primary's own last seq must be the same transaction (same server);
 * - a seq before the promotion is shared history; exactly at the promotion it must be the same
 *   transaction as `promotedAt`'s; after the promotion only the primary wrote (its server_id).
 * Used on gtid_binlog_pos and on gtid_current_pos of a node before it rejoins (RepairStandby).
 */
export function notOnPrimary(node: GtidPos, primary: PrimaryHistory): string[] {
  const out: string[] = [];
  const fmt = (d: number, g: { server: number; seq: number }) => `${d}-${g.server}-${g.seq}`;
  for (const [d, n] of [...node.entries()].sort(([a], [b]) => a - b)) {
    const gtid = fmt(d, n);
    const p = primary.pos.get(d);
    const a = primary.promotedAt?.get(d);
    if (!p) out.push(`${gtid}: domain ${d} is unknown to the primary`);
    else if (n.seq > p.seq) out.push(`${gtid}: beyond the primary's last transaction ${fmt(d, p)}`);
    else if (n.seq === p.seq) {
      if (n.server !== p.server) out.push(`${gtid}: the primary's transaction ${n.seq} is ${fmt(d, p)}`);
    } else if (a && n.seq < a.seq) {
      // shared history before the promotion
    } else if (a && n.seq === a.seq) {
      if (n.server !== a.server) out.push(`${gtid}: the primary's transaction ${n.seq} is ${fmt(d, a)} (its promotion point)`);
    } else if (n.server !== primary.serverId) {
      out.push(`${gtid}: after the primary's promotion${a ? ` at ${fmt(d, a)}` : ''} only server ${primary.serverId} wrote, not server ${n.server}`);
    }
  }
  return out;
}
