/**
 * nftables adapter of the Endpoints port: one table per home (`openrds_<hash>`), one map from
 * endpoint IP.port to node IP.port, and a DNAT rule in output and prerouting that looks it up.
 * Repointing swaps one map element in a single nft transaction.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Address, Endpoints } from '../endpoints.js';
import { addrKey } from '../endpoints.js';
import { parseForeignAddresses, parseMap, pointScript, removeScript, tableScript } from './nft-rules.js';

/** How old a cached map may be for a repoint (a stale one costs one failed transaction, then a fresh read). */
const CACHE_MS = 5000;

export function nftTableName(home: string): string {
  return 'openrds_' + createHash('sha1').update(home).digest('hex').slice(0, 10);
}

function nft(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile('nft', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`nft ${args.join(' ')} failed: ${stderr || err.message}`.trim()));
      else resolve(stdout);
    });
    if (stdin !== undefined) p.stdin!.end(stdin);
  });
}

function forgetFlows(front: Address, oldTarget: Address): Promise<void> {
  return new Promise((resolve) => {
    execFile('conntrack', ['-D', '-p', 'tcp', '-d', front.ip, '--dport', String(front.port), '--reply-src', oldTarget.ip], { timeout: 5000 },
      () => resolve()); // exit 1 = nothing to delete; a missing tool only costs the 10 s CLOSE timeout
  });
}

export class NftEndpoints implements Endpoints {
  readonly kind = 'nftables';
  readonly table: string;
  private ready = false;
  /** nft transactions are atomic, but read-modify-write across calls must not interleave. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The map as last read, kept up to date with this adapter's own changes (each read spawns `nft`). */
  private cache?: { at: number; entries: Array<{ front: Address; target: Address }> };

  constructor(private readonly home: string) {
    this.table = nftTableName(home);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async ensureTable(): Promise<void> {
    if (this.ready) return;
    try {
      await nft(['list', 'table', 'ip', this.table]);
    } catch {
      await nft(['-f', '-'], tableScript(this.table, this.home));
    }
    this.ready = true;
  }

  async list(opts: { maxAgeMs?: number } = {}): Promise<Array<{ front: Address; target: Address }>> {
    const maxAge = opts.maxAgeMs ?? 0;
    if (this.cache && maxAge > 0 && Date.now() - this.cache.at <= maxAge) return this.cache.entries.map((e) => ({ ...e }));
    let entries: Array<{ front: Address; target: Address }>;
    try {
      entries = parseMap(await nft(['-j', 'list', 'map', 'ip', this.table, 'endpoints']));
    } catch {
      entries = [];
    }
    this.cache = { at: Date.now(), entries };
    return entries.map((e) => ({ ...e }));
  }

  private remember(front: Address, target: Address | undefined): void {
    if (!this.cache) return;
    const rest = this.cache.entries.filter((e) => addrKey(e.front) !== addrKey(front));
    this.cache.entries = target ? [...rest, { front, target }] : rest;
  }

  point(front: Address, target: Address): Promise<void> {
    return this.serial(async () => {
      await this.ensureTable();
      // A repoint (failover, switchover) trusts the cached map, kept current with every change
      // made here: if it was stale anyway, the transaction fails (no such element) and is redone
      // from a fresh read. "Nothing to do" and "new endpoint" are always confirmed by a fresh read.
      for (const [attempt, maxAgeMs] of [CACHE_MS, 0, 0].entries()) {
        if (attempt === 2) await this.ensureTable(); // the table itself may have gone (flushed ruleset)
        const cur = (await this.list({ maxAgeMs })).find((e) => addrKey(e.front) === addrKey(front));
        const same = cur !== undefined && addrKey(cur.target) === addrKey(target);
        if (maxAgeMs > 0 && (cur === undefined || same)) continue;
        if (same) return;
        try {
          await nft(['-f', '-'], pointScript(this.table, front, target, cur !== undefined));
        } catch (e) {
          this.cache = undefined;
          if (attempt === 1) this.ready = false;
          if (attempt === 2) throw e;
          continue;
        }
        this.remember(front, target);
        // A refused connect leaves a conntrack entry (CLOSE, 10 s) that keeps the old mapping, and
        // the kernel reuses the same source port for the client's retry: forget the old flows.
        if (cur) await forgetFlows(front, cur.target);
        return;
      }
    });
  }

  remove(front: Address): Promise<void> {
    return this.serial(async () => {
      const cur = (await this.list()).find((e) => addrKey(e.front) === addrKey(front));
      if (cur) await nft(['-f', '-'], removeScript(this.table, front));
      this.remember(front, undefined);
    });
  }

  async foreign(): Promise<Address[]> {
    // No nft, or no permission: nothing can be learnt here; the listeners are still checked.
    const json = await nft(['-j', 'list', 'ruleset']).catch(() => '');
    return json ? parseForeignAddresses(json, this.table) : [];
  }

  destroyAll(): Promise<void> {
    return this.serial(async () => {
      this.ready = false;
      this.cache = undefined;
      await nft(['delete', 'table', 'ip', this.table]).catch(() => {});
    });
  }
}
