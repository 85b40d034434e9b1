/** IPv4 arithmetic and pipe lookup of src/network/network.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_NETWORKS, findPipe, hostRange, intToIp, ipToInt, pickFreeIp, vdcServesRegion, type Vdc } from '../../src/network/network.js';

const IP_CASES: Array<{ name: string; ip: string; n: number }> = [
  { name: 'zero', ip: '0.0.0.0', n: 0 },
  { name: 'one', ip: '0.0.0.1', n: 1 },
  { name: 'second octet', ip: '0.0.1.0', n: 256 },
  { name: 'loopback', ip: '127.0.0.1', n: 0x7f000001 },
  { name: 'default pipe', ip: '127.10.0.2', n: 0x7f0a0002 },
  { name: 'private', ip: '10.1.2.3', n: 0x0a010203 },
  { name: 'high bit set stays positive', ip: '192.168.1.1', n: 0xc0a80101 },
  { name: 'all ones', ip: '255.255.255.255', n: 0xffffffff },
  { name: 'spec sample IP', ip: '66.66.0.46', n: (66 * 2 ** 24) + (66 << 16) + 46 },
];

for (const c of IP_CASES) {
  test(`ipToInt: ${c.name}`, () => {
    assert.equal(ipToInt(c.ip), c.n);
    assert.ok(ipToInt(c.ip) >= 0);
  });
  test(`intToIp: ${c.name}`, () => {
    assert.equal(intToIp(c.n), c.ip);
  });
}

const BAD_IPS = [
  '', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-1', 'a.b.c.d', '1.2.3.4.', '1..2.3', '.1.2.3', '1.2.3.4/24', '1.5.3.4x',
  ' 1.2.3.4', '1.2.3.4 ', '0x1.2.3.4', '1e2.0.0.1', '1.2.3.+4', '1.2.3.1000',
];

for (const ip of BAD_IPS) {
  test(`ipToInt refuses ${JSON.stringify(ip)}`, () => {
    assert.throws(() => ipToInt(ip), /bad IPv4/);
  });
}

const RANGE_CASES: Array<{ name: string; cidr: string; first: string; last: string; count: number }> = [
  { name: '/24 skips network, gateway and broadcast', cidr: '127.10.0.0/24', first: '127.10.0.2', last: '127.10.0.254', count: 253 },
  { name: '/24 given with a host address', cidr: '127.10.0.77/24', first: '127.10.0.2', last: '127.10.0.254', count: 253 },
  { name: '/30 has one usable address', cidr: '10.0.0.0/30', first: '10.0.0.2', last: '10.0.0.2', count: 1 },
  { name: '/29', cidr: '10.0.0.8/29', first: '10.0.0.10', last: '10.0.0.14', count: 5 },
  { name: '/16', cidr: '127.20.0.0/16', first: '127.20.0.2', last: '127.20.255.254', count: 65533 },
  { name: '/8 (bits lower bound)', cidr: '127.0.0.0/8', first: '127.0.0.2', last: '127.255.255.254', count: 2 ** 24 - 3 },
  { name: 'high addresses', cidr: '192.168.1.0/24', first: '192.168.1.2', last: '192.168.1.254', count: 253 },
];

for (const c of RANGE_CASES) {
  test(`hostRange: ${c.name}`, () => {
    const r = hostRange(c.cidr);
    assert.equal(intToIp(r.first), c.first);
    assert.equal(intToIp(r.last), c.last);
    assert.equal(r.last - r.first + 1, c.count);
  });
}

const BAD_CIDRS = ['127.10.0.0', '127.10.0.0/', '127.10.0.0/31', '127.10.0.0/32', '127.10.0.0/7', '127.10.0.0/0', '/24', '127.10.0.0/x', '300.0.0.0/24'];

for (const cidr of BAD_CIDRS) {
  test(`hostRange refuses ${JSON.stringify(cidr)}`, () => {
    assert.throws(() => hostRange(cidr), /bad (CIDR|IPv4)/);
  });
}

const all = (cidr: string): string[] => {
  const { first, last } = hostRange(cidr);
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(intToIp(n));
  return out;
};

const PICK_CASES: Array<{ name: string; cidr: string; used: string[]; want: string | undefined }> = [
  { name: 'empty pipe gives the first host after the gateway', cidr: '127.10.0.0/24', used: [], want: '127.10.0.2' },
  { name: 'skips a used address', cidr: '127.10.0.0/24', used: ['127.10.0.2'], want: '127.10.0.3' },
  { name: 'fills a hole first', cidr: '127.10.0.0/24', used: ['127.10.0.2', '127.10.0.4'], want: '127.10.0.3' },
  { name: 'skips a run of used addresses', cidr: '127.10.0.0/24', used: ['127.10.0.2', '127.10.0.3', '127.10.0.4'], want: '127.10.0.5' },
  { name: 'addresses outside the pipe do not matter', cidr: '127.10.0.0/24', used: ['127.11.0.2', '127.10.1.2'], want: '127.10.0.2' },
  { name: 'never hands out network, gateway or broadcast', cidr: '127.10.0.0/24', used: all('127.10.0.0/24').slice(0, -1), want: '127.10.0.254' },
  { name: 'full /24 gives undefined', cidr: '127.10.0.0/24', used: all('127.10.0.0/24'), want: undefined },
  { name: 'full /30 gives undefined', cidr: '10.0.0.0/30', used: ['10.0.0.2'], want: undefined },
  { name: '/30 with a free address', cidr: '10.0.0.0/30', used: [], want: '10.0.0.2' },
  { name: '/29 last free', cidr: '10.0.0.8/29', used: ['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13'], want: '10.0.0.14' },
];

for (const c of PICK_CASES) {
  test(`pickFreeIp: ${c.name}`, () => {
    assert.equal(pickFreeIp(c.cidr, new Set(c.used)), c.want);
  });
}

const VDCS: Vdc[] = [
  {
    VdcId: 'vdc-a', VdcName: 'A', RegionIds: ['CN_Beijing_A', 'CN_Beijing_B'],
    Pipes: [
      { BasePipeId: 'pipe-a1', PipeName: 'a1', Cidr: '127.10.0.0/24' },
      { BasePipeId: 'pipe-a2', PipeName: 'a2', Cidr: '127.11.0.0/24' },
    ],
  },
  { VdcId: 'vdc-b', VdcName: 'B', RegionIds: '*', Pipes: [{ BasePipeId: 'pipe-b1', PipeName: 'b1', Cidr: '127.12.0.0/24' }] },
  { VdcId: 'vdc-empty', VdcName: 'E', RegionIds: [], Pipes: [] },
];

const FIND_CASES: Array<{ name: string; vdc: string; pipe: string; wantVdc?: string; wantPipe?: string }> = [
  { name: 'first pipe of first VDC', vdc: 'vdc-a', pipe: 'pipe-a1', wantVdc: 'vdc-a', wantPipe: 'pipe-a1' },
  { name: 'second pipe', vdc: 'vdc-a', pipe: 'pipe-a2', wantVdc: 'vdc-a', wantPipe: 'pipe-a2' },
  { name: 'other VDC', vdc: 'vdc-b', pipe: 'pipe-b1', wantVdc: 'vdc-b', wantPipe: 'pipe-b1' },
  { name: 'pipe of another VDC is not found', vdc: 'vdc-a', pipe: 'pipe-b1', wantVdc: 'vdc-a' },
  { name: 'unknown pipe', vdc: 'vdc-b', pipe: 'nope', wantVdc: 'vdc-b' },
  { name: 'unknown VDC', vdc: 'nope', pipe: 'pipe-a1' },
  { name: 'VDC without pipes', vdc: 'vdc-empty', pipe: 'pipe-a1', wantVdc: 'vdc-empty' },
  { name: 'ids are case-sensitive', vdc: 'VDC-A', pipe: 'pipe-a1' },
];

for (const c of FIND_CASES) {
  test(`findPipe: ${c.name}`, () => {
    const { vdc, pipe } = findPipe(VDCS, c.vdc, c.pipe);
    assert.equal(vdc?.VdcId, c.wantVdc);
    assert.equal(pipe?.BasePipeId, c.wantPipe);
  });
}

const SERVES_CASES: Array<{ name: string; vdc: Vdc; region: string; want: boolean }> = [
  { name: 'listed region', vdc: VDCS[0]!, region: 'CN_Beijing_A', want: true },
  { name: 'second listed region', vdc: VDCS[0]!, region: 'CN_Beijing_B', want: true },
  { name: 'unlisted region', vdc: VDCS[0]!, region: 'CN_Wuxi_A', want: false },
  { name: 'region ids are case-sensitive', vdc: VDCS[0]!, region: 'cn_beijing_a', want: false },
  { name: 'wildcard serves any region', vdc: VDCS[1]!, region: 'US_Dallas_A', want: true },
  { name: 'wildcard serves even unknown ids', vdc: VDCS[1]!, region: 'Mars_A', want: true },
  { name: 'empty list serves nothing', vdc: VDCS[2]!, region: 'CN_Beijing_A', want: false },
];

for (const c of SERVES_CASES) {
  test(`vdcServesRegion: ${c.name}`, () => {
    assert.equal(vdcServesRegion(c.vdc, c.region), c.want);
  });
}

test('DEFAULT_NETWORKS: one VDC serving every region with a loopback pipe that has free addresses', () => {
  assert.equal(DEFAULT_NETWORKS.length, 1);
  const v = DEFAULT_NETWORKS[0]!;
  assert.equal(vdcServesRegion(v, 'CN_Beijing_A'), true);
  const { pipe } = findPipe(DEFAULT_NETWORKS, v.VdcId, v.Pipes[0]!.BasePipeId);
  assert.ok(pipe);
  assert.ok(pipe.Cidr.startsWith('127.'), pipe.Cidr);
  assert.equal(pickFreeIp(pipe.Cidr, new Set()), '127.10.0.2');
});
