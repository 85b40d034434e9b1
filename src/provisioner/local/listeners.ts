/** Pure: the listening TCP sockets, from /proc/net/tcp and /proc/net/tcp6. */

import { WILDCARD_IP } from '../provisioner.js';

const LISTEN = '0A';

export interface ProcListener {
  /** IPv4 address, or WILDCARD_IP. */
  ip: string;
  port: number;
  /** The socket's inode, to tell whose process holds it (/proc/<pid>/fd → `socket:[inode]`). */
  inode: number;
}

/** `0100007F` (a little-endian 32-bit word of /proc/net/tcp) → `127.0.0.1`. */
function wordToIp(hex: string): string {
  const n = parseInt(hex, 16) >>> 0;
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/**
 * The sockets in LISTEN state, from the text of /proc/net/tcp (`v6` false) or /proc/net/tcp6.
 * In tcp6 only IPv4-mapped `::ffff:a.b.c.d` addresses (each 32-bit word is printed in host order,
 * so the mapping word reads FFFF0000) and the wildcard `::` count: `::` is dual-stack by default,
 * so like 0.0.0.0 it takes its port on every IPv4 address (reported as WILDCARD_IP).
 */
export function parseListeners(text: string, v6: boolean): ProcListener[] {
  const out: ProcListener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== LISTEN) continue;
    const [local, portHex] = f[1]!.split(':');
    if (!local || !portHex || !/^[0-9A-Fa-f]{4}$/.test(portHex)) continue;
    let ip: string | undefined;
    if (!v6 && /^[0-9A-Fa-f]{8}$/.test(local)) ip = wordToIp(local);
    else if (v6 && /^0{32}$/.test(local)) ip = WILDCARD_IP;
    else if (v6 && /^0{16}[0-9A-Fa-f]{16}$/.test(local) && local.slice(16, 24).toUpperCase() === 'FFFF0000') ip = wordToIp(local.slice(24));
    if (!ip) continue;
    out.push({ ip, port: parseInt(portHex, 16), inode: Number(f[9] ?? 0) || 0 });
  }
  return out;
}
