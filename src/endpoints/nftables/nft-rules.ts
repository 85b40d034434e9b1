/** Pure nft script builders for the endpoint map. */
import type { Address } from '../endpoints.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function checkAddr(a: Address): string {
  if (!IPV4.test(a.ip) || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw new Error(`bad address ${a.ip}:${a.port}`);
  return `${a.ip} . ${a.port}`;
}

/** `comment` names the owning home, so operators and test cleanup can tell tables apart. */
export function tableScript(table: string, comment = ''): string {
  return [
    `add table ip ${table} { comment ${JSON.stringify(comment.replace(/"/g, ''))} ; }`,
    `add map ip ${table} endpoints { type ipv4_addr . inet_service : ipv4_addr . inet_service ; }`,
    // output: clients on this host; prerouting: clients from other hosts or namespaces.
    `add chain ip ${table} out { type nat hook output priority -100 ; policy accept ; }`,
    `add chain ip ${table} pre { type nat hook prerouting priority -100 ; policy accept ; }`,
    `add rule ip ${table} out dnat ip to ip daddr . tcp dport map @endpoints`,
    `add rule ip ${table} pre dnat ip to ip daddr . tcp dport map @endpoints`,
    '',
  ].join('\n');
}

/** One transaction: the old element (if any) goes and the new one comes, with no gap in between. */
export function pointScript(table: string, front: Address, target: Address, exists: boolean): string {
  const f = checkAddr(front);
  const t = checkAddr(target);
  return [
    ...(exists ? [`delete element ip ${table} endpoints { ${f} }`] : []),
    `add element ip ${table} endpoints { ${f} : ${t} }`,
    '',
  ].join('\n');
}

export function removeScript(table: string, front: Address): string {
  return `delete element ip ${table} endpoints { ${checkAddr(front)} }\n`;
}

/** Parses `nft -j list map` output into front → target pairs. */
export function parseMap(json: string): Array<{ front: Address; target: Address }> {
  const doc = JSON.parse(json) as { nftables: Array<{ map?: { elem?: unknown[] } }> };
  const map = doc.nftables.find((x) => x.map)?.map;
  const out: Array<{ front: Address; target: Address }> = [];
  for (const e of map?.elem ?? []) {
    const [k, v] = e as [{ concat: [string, number] }, { concat: [string, number] }];
    out.push({ front: { ip: k.concat[0], port: Number(k.concat[1]) }, target: { ip: v.concat[0], port: Number(v.concat[1]) } });
  }
  return out;
}

/**
 * Parses `nft -j list ruleset` into the addresses of every endpoint map of a table named
 * `openrds_*` other than `ownTable` (fronts and targets): another home's endpoints.
 */
export function parseForeignAddresses(json: string, ownTable: string): Address[] {
  const doc = JSON.parse(json) as { nftables?: Array<{ map?: { table?: string; name?: string; elem?: unknown[] } }> };
  const out: Address[] = [];
  for (const x of doc.nftables ?? []) {
    const m = x.map;
    if (!m || m.name !== 'endpoints' || !m.table?.startsWith('openrds_') || m.table === ownTable) continue;
    for (const e of m.elem ?? []) {
      for (const side of e as Array<{ concat?: [string, number] }>) {
        if (side?.concat) out.push({ ip: side.concat[0], port: Number(side.concat[1]) });
      }
    }
  }
  return out;
}
