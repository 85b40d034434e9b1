/** The pure parts of "skip what the host uses" (issue 11, defect 9): listeners, foreign endpoint maps, the pick. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListeners } from '../../src/provisioner/local/listeners.js';
import { parseForeignAddresses } from '../../src/endpoints/nftables/nft-rules.js';
import { pickFreeIp } from '../../src/network/network.js';

const TCP_HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const tcpLine = (local: string, st: string) => `   0: ${local} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 92252 1 0000000000000000 100 0 0 10 0`;
const TCP6_HEAD = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const tcp6Line = (local: string, st: string) => `   0: ${local} 00000000000000000000000000000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0`;

const LISTENER_CASES: Array<{ name: string; text: string; v6: boolean; want: string[] }> = [
  { name: 'empty file', text: '', v6: false, want: [] },
  { name: 'header only', text: TCP_HEAD, v6: false, want: [] },
  { name: 'loopback listener', text: [TCP_HEAD, tcpLine('0100007F:AD4F', '0A')].join('\n'), v6: false, want: ['127.0.0.1'] },
  { name: 'a pipe address (127.213.135.3:3306)', text: [TCP_HEAD, tcpLine('0387D57F:0CEA', '0A')].join('\n'), v6: false, want: ['127.213.135.3'] },
  { name: 'wildcard 0.0.0.0 takes no address', text: [TCP_HEAD, tcpLine('00000000:0CEA', '0A')].join('\n'), v6: false, want: [] },
  { name: 'established (01) and time-wait (06) are not listeners', text: [TCP_HEAD, tcpLine('0200A8C0:0CEA', '01'), tcpLine('0300A8C0:0CEA', '06')].join('\n'), v6: false, want: [] },
  { name: 'high octet (192.168.0.2)', text: [TCP_HEAD, tcpLine('0200A8C0:0050', '0A')].join('\n'), v6: false, want: ['192.168.0.2'] },
  { name: 'several, in file order', text: [TCP_HEAD, tcpLine('0100007F:0001', '0A'), tcpLine('0200007F:0002', '0A')].join('\n'), v6: false, want: ['127.0.0.1', '127.0.0.2'] },
  { name: 'tcp6 v4-mapped ::ffff:127.0.0.1', text: [TCP6_HEAD, tcp6Line('0000000000000000FFFF00000100007F:0CEA', '0A')].join('\n'), v6: true, want: ['127.0.0.1'] },
  { name: 'tcp6 wildcard ::', text: [TCP6_HEAD, tcp6Line('00000000000000000000000000000000:0CEA', '0A')].join('\n'), v6: true, want: [] },
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
