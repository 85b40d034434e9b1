/** The pure parts of "skip what the host uses" (issue 11, defect 9): listeners, foreign endpoint maps, the pick. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListeners } from '../../src/provisioner/local/listeners.js';
import { parseForeignAddresses } from '../../src/endpoints/nftables/nft-rules.js';
import { pickFreeIp } from '../../src/network/network.js';
import { addressTakenBy, hostUse, wildcardMessage, type HostSnapshot } from '../../src/network/host-addresses.js';
import { NodeNotReadyError, notReadyError } from '../../src/instances/nodes.js';

const TCP_HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const tcpLine = (local: string, st: string) => `   0: ${local} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 92252 1 0000000000000000 100 0 0 10 0`;
const TCP6_HEAD = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const tcp6Line = (local: string, st: string) => `   0: ${local} 00000000000000000000000000000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0`;

type L = { ip: string; port: number; inode: number };
const LISTENER_CASES: Array<{ name: string; text: string; v6: boolean; want: L[] }> = [
  { name: 'empty file', text: '', v6: false, want: [] },
  { name: 'header only', text: TCP_HEAD, v6: false, want: [] },
  { name: 'loopback listener', text: [TCP_HEAD, tcpLine('0100007F:AD4F', '0A')].join('\n'), v6: false, want: [{ ip: '127.0.0.1', port: 0xAD4F, inode: 92252 }] },
  { name: 'a pipe address (127.213.135.3:3306)', text: [TCP_HEAD, tcpLine('0387D57F:0CEA', '0A')].join('\n'), v6: false, want: [{ ip: '127.213.135.3', port: 3306, inode: 92252 }] },
  { name: 'wildcard 0.0.0.0:3306 (a system MariaDB)', text: [TCP_HEAD, tcpLine('00000000:0CEA', '0A')].join('\n'), v6: false, want: [{ ip: '0.0.0.0', port: 3306, inode: 92252 }] },
  { name: 'established (01) and time-wait (06) are not listeners', text: [TCP_HEAD, tcpLine('0200A8C0:0CEA', '01'), tcpLine('0300A8C0:0CEA', '06')].join('\n'), v6: false, want: [] },
  { name: 'high octet (192.168.0.2)', text: [TCP_HEAD, tcpLine('0200A8C0:0050', '0A')].join('\n'), v6: false, want: [{ ip: '192.168.0.2', port: 80, inode: 92252 }] },
  { name: 'several, in file order', text: [TCP_HEAD, tcpLine('0100007F:0001', '0A'), tcpLine('0200007F:0002', '0A')].join('\n'), v6: false, want: [{ ip: '127.0.0.1', port: 1, inode: 92252 }, { ip: '127.0.0.2', port: 2, inode: 92252 }] },
  { name: 'tcp6 v4-mapped ::ffff:127.0.0.1', text: [TCP6_HEAD, tcp6Line('0000000000000000FFFF00000100007F:0CEA', '0A')].join('\n'), v6: true, want: [{ ip: '127.0.0.1', port: 3306, inode: 1 }] },
  { name: 'tcp6 wildcard [::]:3306 is dual-stack: every IPv4 address', text: [TCP6_HEAD, tcp6Line('00000000000000000000000000000000:0CEA', '0A')].join('\n'), v6: true, want: [{ ip: '0.0.0.0', port: 3306, inode: 1 }] },
  { name: 'tcp6 ::1 is not an IPv4 address', text: [TCP6_HEAD, tcp6Line('00000000000000000000000001000000:0CEA', '0A')].join('\n'), v6: true, want: [] },
  { name: 'tcp6 global address is not an IPv4 address', text: [TCP6_HEAD, tcp6Line('B80D0120000000000000000001000000:0CEA', '0A')].join('\n'), v6: true, want: [] },
  { name: 'a tcp line read as tcp6 is ignored', text: [TCP_HEAD, tcpLine('0100007F:AD4F', '0A')].join('\n'), v6: true, want: [] },
  { name: 'garbage line', text: [TCP_HEAD, 'nonsense', '   7: zz:yy 0 0A'].join('\n'), v6: false, want: [] },
];
for (const c of LISTENER_CASES) {
  test(`parseListeners: ${c.name}`, () => assert.deepEqual(parseListeners(c.text, c.v6), c.want));
}

const elem = (f: [string, number], t: [string, number]) => [{ concat: f }, { concat: t }];
const ruleset = (maps: Array<{ table: string; name?: string; elem?: unknown[] }>) => JSON.stringify({
  nftables: [{ metainfo: { version: '1.0.6' } }, ...maps.flatMap((m) => [{ table: { family: 'ip', name: m.table } }, { map: { family: 'ip', name: m.name ?? 'endpoints', table: m.table, elem: m.elem } }])],
});
const FOREIGN_CASES: Array<{ name: string; json: string; want: string[] }> = [
  { name: 'empty ruleset', json: JSON.stringify({ nftables: [] }), want: [] },
  { name: 'only our own table', json: ruleset([{ table: 'openrds_own', elem: [elem(['127.1.0.2', 3306], ['127.1.0.3', 3306])] }]), want: [] },
  { name: 'another home: front and target', json: ruleset([{ table: 'openrds_other', elem: [elem(['127.10.0.2', 3306], ['127.10.0.3', 3306])] }]), want: ['127.10.0.2:3306', '127.10.0.3:3306'] },
  { name: 'a map with no elements', json: ruleset([{ table: 'openrds_other' }]), want: [] },
  { name: 'a table not of openrds', json: ruleset([{ table: 'docker_nat', elem: [elem(['10.0.0.2', 80], ['10.0.0.3', 80])] }]), want: [] },
  { name: 'another map of an openrds table', json: ruleset([{ table: 'openrds_other', name: 'other', elem: [elem(['10.0.0.2', 80], ['10.0.0.3', 80])] }]), want: [] },
  {
    name: 'own and two others',
    json: ruleset([
      { table: 'openrds_own', elem: [elem(['127.1.0.2', 3306], ['127.1.0.3', 3306])] },
      { table: 'openrds_a', elem: [elem(['127.2.0.2', 3306], ['127.2.0.3', 3306])] },
      { table: 'openrds_b', elem: [elem(['127.3.0.2', 3307], ['127.3.0.4', 3306]), elem(['127.3.0.5', 3306], ['127.3.0.6', 3306])] },
    ]),
    want: ['127.2.0.2:3306', '127.2.0.3:3306', '127.3.0.2:3307', '127.3.0.4:3306', '127.3.0.5:3306', '127.3.0.6:3306'],
  },
];
for (const c of FOREIGN_CASES) {
  test(`parseForeignAddresses: ${c.name}`, () => {
    assert.deepEqual(parseForeignAddresses(c.json, 'openrds_own').map((a) => `${a.ip}:${a.port}`), c.want);
  });
}

const PICK_CASES: Array<{ name: string; used: string[]; host: string[]; want: string | undefined }> = [
  { name: 'nothing used: the first host address', used: [], host: [], want: '127.10.0.2' },
  { name: 'the store has .2', used: ['127.10.0.2'], host: [], want: '127.10.0.3' },
  { name: 'the host has .2 (foreign endpoint)', used: [], host: ['127.10.0.2'], want: '127.10.0.3' },
  { name: 'store and host together', used: ['127.10.0.2', '127.10.0.4'], host: ['127.10.0.3'], want: '127.10.0.5' },
  { name: 'host addresses outside the pipe do not matter', used: [], host: ['127.0.0.1', '10.0.0.2'], want: '127.10.0.2' },
];
for (const c of PICK_CASES) {
  test(`pickFreeIp with host addresses: ${c.name}`, () => {
    assert.equal(pickFreeIp('127.10.0.0/24', new Set(c.used), new Set(c.host)), c.want);
  });
}

test('pickFreeIp: a pipe whose every address the host uses is full', () => {
  const all = Array.from({ length: 253 }, (_, i) => `127.10.0.${i + 2}`);
  assert.equal(pickFreeIp('127.10.0.0/24', new Set(), new Set(all)), undefined);
  assert.equal(pickFreeIp('127.10.0.0/24', new Set(all.slice(0, 100)), new Set(all.slice(100, 252))), '127.10.0.254');
});

// A system MariaDB on 0.0.0.0:3306, seen through the real parser (a /proc/net/tcp fixture).
const WILD_SNAP = { listeners: parseListeners([TCP_HEAD, tcpLine('00000000:0CEA', '0A'), tcpLine('0500007F:1F90', '0A')].join('\n'), false), foreign: [] };
const USE_CASES: Array<{ name: string; snap: HostSnapshot; port: number; used: string[]; wildcard?: string }> = [
  { name: 'nothing on the host', snap: { listeners: [], foreign: [] }, port: 3306, used: [] },
  { name: 'a wildcard on the instance port blocks every address', snap: WILD_SNAP, port: 3306, used: ['127.0.0.5'], wildcard: '0.0.0.0:3306' },
  { name: 'a wildcard on another port blocks nothing', snap: WILD_SNAP, port: 3307, used: ['127.0.0.5'] },
  { name: 'our own node never blocks as a wildcard', snap: { listeners: [{ ip: '0.0.0.0', port: 3306, nodeId: 'n1' }], foreign: [] }, port: 3306, used: [] },
  { name: 'listeners and foreign rules are skipped', snap: { listeners: [{ ip: '127.10.0.2', port: 9 }], foreign: [{ ip: '127.10.0.3', port: 3306 }] }, port: 3306, used: ['127.10.0.2', '127.10.0.3'] },
];
for (const c of USE_CASES) {
  test(`hostUse: ${c.name}`, () => {
    const u = hostUse(c.snap, c.port);
    assert.deepEqual([...u.used].sort(), c.used);
    assert.equal(u.wildcard && `${u.wildcard.ip}:${u.wildcard.port}`, c.wildcard);
  });
}

test('wildcardMessage names the listener and what to do', () => {
  const m = wildcardMessage('ServicePort', { ip: '0.0.0.0', port: 3306 });
  assert.match(m, /^invalid parameter ServicePort: /);
  assert.match(m, /listens on 0\.0\.0\.0:3306/);
  assert.match(m, /stop that server/);
  assert.match(m, /use another ServicePort/);
});

const NODE = { id: 'n1', ip: '127.10.0.2', port: 3306 };
const TAKEN_CASES: Array<{ name: string; snap: HostSnapshot; want: RegExp | undefined }> = [
  { name: 'nothing listens yet (crash recovery before the bind)', snap: { listeners: [], foreign: [] }, want: undefined },
  { name: 'the node\'s own listener', snap: { listeners: [{ ip: '127.10.0.2', port: 3306, nodeId: 'n1' }], foreign: [] }, want: undefined },
  { name: 'a foreign rule fronting the address', snap: { listeners: [{ ip: '127.10.0.2', port: 3306, nodeId: 'n1' }], foreign: [{ ip: '127.10.0.2', port: 3306 }, { ip: '127.0.0.1', port: 1 }] }, want: /endpoint rule \(nftables\) of another openrds home/ },
  { name: 'a foreign rule on the same ip, other port', snap: { listeners: [], foreign: [{ ip: '127.10.0.2', port: 3307 }] }, want: undefined },
  { name: 'a foreign rule on another ip', snap: { listeners: [], foreign: [{ ip: '127.10.0.9', port: 3306 }] }, want: undefined },
  { name: 'another program on the ip:port', snap: { listeners: [{ ip: '127.10.0.2', port: 3306 }], foreign: [] }, want: /another program listening on 127\.10\.0\.2:3306/ },
  { name: 'another program on the wildcard', snap: { listeners: [{ ip: '0.0.0.0', port: 3306 }], foreign: [] }, want: /another program listening on 0\.0\.0\.0:3306/ },
  { name: 'another node of this home on the ip:port', snap: { listeners: [{ ip: '127.10.0.2', port: 3306, nodeId: 'n2' }], foreign: [] }, want: /node n2 of this home/ },
  { name: 'another program on the ip, other port', snap: { listeners: [{ ip: '127.10.0.2', port: 9 }], foreign: [] }, want: undefined },
];
for (const c of TAKEN_CASES) {
  test(`addressTakenBy: ${c.name}`, () => {
    const got = addressTakenBy(c.snap, NODE);
    if (c.want) assert.match(got ?? '', c.want);
    else assert.equal(got, undefined);
  });
}

test('notReadyError: final with the reason only when the address is taken; otherwise retryable with the log tail', () => {
  const taken = notReadyError(NODE, 60_000, '127.10.0.2:3306 is taken by another program listening on 0.0.0.0:3306', 'LOG');
  assert.ok(taken instanceof NodeNotReadyError);
  assert.equal((taken as { nonRetryable?: boolean }).nonRetryable, true);
  assert.match(taken.message, /^node n1 runs but does not answer on 127\.10\.0\.2:3306 after 60 s: 127\.10\.0\.2:3306 is taken by another program/);
  assert.doesNotMatch(taken.message, /LOG/);
  const slow = notReadyError(NODE, 60_000, undefined, 'InnoDB: Starting crash recovery');
  assert.equal(slow instanceof NodeNotReadyError, false);
  assert.notEqual((slow as { nonRetryable?: boolean }).nonRetryable, true);
  assert.match(slow.message, /after 60 s, and nothing else on the host takes that address \(still starting\?\); its log ends: InnoDB: Starting crash recovery$/);
});
