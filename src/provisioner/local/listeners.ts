/** Pure: the addresses with a listening TCP socket, from /proc/net/tcp and /proc/net/tcp6. */

const LISTEN = '0A';

/** `0100007F` (a little-endian 32-bit word of /proc/net/tcp) → `127.0.0.1`. */
function wordToIp(hex: string): string {
  const n = parseInt(hex, 16) >>> 0;
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/**
 * The IPv4 addresses that a socket in LISTEN state is bound to, from the text of /proc/net/tcp
 * (`v6` false) or /proc/net/tcp6 (only IPv4-mapped `::ffff:a.b.c.d` addresses count; each 32-bit word is printed in host order, so the mapping word reads FFFF0000). Wildcards
 * (0.0.0.0, ::) are left out: they take no particular address.
 */
export function parseListeners(text: string, v6: boolean): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== LISTEN) continue;
    const local = f[1]!.split(':')[0]!;
    let ip: string | undefined;
    if (!v6 && /^[0-9A-Fa-f]{8}$/.test(local)) ip = wordToIp(local);
    else if (v6 && /^0{16}[0-9A-Fa-f]{16}$/.test(local) && local.slice(16, 24).toUpperCase() === 'FFFF0000') ip = wordToIp(local.slice(24));
    if (ip && ip !== '0.0.0.0') out.push(ip);
  }
  return out;
}
