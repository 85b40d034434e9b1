/**
 * Networks: VDCs and their pipes (BasePipeId) from the config. Each instance takes one IP
 * from its pipe's range. Pure address arithmetic lives here; the store makes the choice atomic.
 */
export interface Pipe {
  BasePipeId: string;
  PipeName: string;
  /** IPv4 CIDR, e.g. 127.10.0.0/24. On Linux all of 127.0.0.0/8 is local, so every IP can be bound. */
  Cidr: string;
}

export interface Vdc {
  VdcId: string;
  VdcName: string;
  /** Regions this VDC serves; "*" means every region. */
  RegionIds: string[] | '*';
  Pipes: Pipe[];
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  // Number('') is 0 and Number(' 1') is 1: check the text first so `1..2.3` is not read as 1.0.2.3.
  const p = parts.map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN));
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 ${ip}`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Usable host addresses of a CIDR: network, broadcast and the first host (gateway) are skipped. */
export function hostRange(cidr: string): { first: number; last: number } {
  const [ip, bitsS] = cidr.split('/');
  const bits = Number(bitsS);
  if (!ip || !Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`bad CIDR ${cidr}`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (ipToInt(ip) & mask) >>> 0;
  const size = 2 ** (32 - bits);
  return { first: base + 2, last: base + size - 2 };
}

/**
 * Lowest address of the pipe in neither `used` (the store's instances and nodes) nor `hostUsed`
 * (what the hosts use outside the store: listeners, other homes' endpoints; host-addresses.ts),
 * or undefined when the pipe is full.
 */
export function pickFreeIp(cidr: string, used: ReadonlySet<string>, hostUsed: ReadonlySet<string> = new Set()): string | undefined {
  const { first, last } = hostRange(cidr);
  for (let n = first; n <= last; n++) {
    const ip = intToIp(n);
    if (!used.has(ip) && !hostUsed.has(ip)) return ip;
  }
  return undefined;
}

export function findPipe(vdcs: readonly Vdc[], vdcId: string, pipeId: string): { vdc?: Vdc; pipe?: Pipe } {
  const vdc = vdcs.find((v) => v.VdcId === vdcId);
  return { vdc, pipe: vdc?.Pipes.find((p) => p.BasePipeId === pipeId) };
}

export function vdcServesRegion(vdc: Vdc, regionId: string): boolean {
  return vdc.RegionIds === '*' || vdc.RegionIds.includes(regionId);
}

export const DEFAULT_NETWORKS: Vdc[] = [
  {
    VdcId: 'vdc-default',
    VdcName: '默认VDC',
    RegionIds: '*',
    Pipes: [{ BasePipeId: 'pipe-default', PipeName: 'default private network', Cidr: '127.10.0.0/24' }],
  },
];
