/** Spec changes (src/instances/spec-plan.ts) and cgroup paths (src/provisioner/local/cgroups.ts): pure, table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CATALOG } from '../../src/catalog/defaults.js';
import { decideSpecChange, decideSpecRestarts, modifiableDisk, modifiableSpecs, type SpecRequest } from '../../src/instances/spec-plan.js';
import { groupDirs, groupName, limitFiles, wrapCommand } from '../../src/provisioner/local/cgroups.js';

const c = DEFAULT_CATALOG;
const basic = { architecture: 0, parent_uuid: null, paas_goods_id: 27060, cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100 };
const ha = { ...basic, architecture: 1, paas_goods_id: 17060 };
const ro = { ...basic, architecture: 1, parent_uuid: 'p', paas_goods_id: 15688, cpu: 4, ram_gb: 8 };
const parent = { cpu: 4, ram_gb: 8 };
/** Read-only instances of the HA primary `ha` (1C2G, 100 GB): the smallest is 2C4G with 300 GB. */
const kids = [{ uuid: 'ro-a', cpu: 2, ram_gb: 8, disk_gb: 500 }, { uuid: 'ro-b', cpu: 4, ram_gb: 4, disk_gb: 300 }];

const CASES: Array<{ name: string; inst?: any; req: SpecRequest; parent?: any; children?: any[]; want: string | { cpu: number; ramGb: number; diskGb: number; specChanged: boolean; diskGrown: boolean } }> = [
  { name: 'spec up', req: { paasGoodsId: 26704 }, want: { cpu: 2, ramGb: 4, diskGb: 100, specChanged: true, diskGrown: false } },
  { name: 'spec down', inst: { ...basic, paas_goods_id: 26707, cpu: 4, ram_gb: 8 }, req: { paasGoodsId: 27060 }, want: { cpu: 1, ramGb: 2, diskGb: 100, specChanged: true, diskGrown: false } },
  { name: 'disk only', req: { diskType: 'ssd_disk', diskValue: 100 }, want: { cpu: 1, ramGb: 2, diskGb: 200, specChanged: false, diskGrown: true } },
  { name: 'all three', req: { paasGoodsId: 26704, diskType: 'ssd_disk', diskValue: 300 }, want: { cpu: 2, ramGb: 4, diskGb: 400, specChanged: true, diskGrown: true } },
  { name: 'disk up to exactly the max', req: { diskType: 'ssd_disk', diskValue: 1900 }, want: { cpu: 1, ramGb: 2, diskGb: 2000, specChanged: false, diskGrown: true } },
  { name: 'same spec + disk = disk only', req: { paasGoodsId: 27060, diskType: 'ssd_disk', diskValue: 100 }, want: { cpu: 1, ramGb: 2, diskGb: 200, specChanged: false, diskGrown: true } },
  { name: 'HA up', inst: ha, req: { paasGoodsId: 6704 }, want: { cpu: 2, ramGb: 4, diskGb: 100, specChanged: true, diskGrown: false } },
  { name: 'unknown id', req: { paasGoodsId: 1 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'HA id on basic', req: { paasGoodsId: 6704 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'basic id on HA', inst: ha, req: { paasGoodsId: 26704 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'read-only id on a normal instance', req: { paasGoodsId: 15686 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'other disk type', req: { diskType: 'high_disk', diskValue: 100 }, want: 'InvalidParameter:DiskType' },
  { name: 'not a multiple of the step', req: { diskType: 'ssd_disk', diskValue: 150 }, want: 'InvalidParameter:DiskValue' },
  { name: 'above the max', req: { diskType: 'ssd_disk', diskValue: 2000 }, want: 'InvalidParameter:DiskValue' },
  { name: 'zero is a shrink', req: { diskType: 'ssd_disk', diskValue: 0 }, want: 'UnsupportedOperation:DiskValue' },
  { name: 'negative is a shrink', req: { diskType: 'ssd_disk', diskValue: -100 }, want: 'UnsupportedOperation:DiskValue' },
  { name: 'shrink checked before the step', req: { diskType: 'ssd_disk', diskValue: -50 }, want: 'UnsupportedOperation:DiskValue' },
  { name: 'DiskValue alone', req: { diskValue: 100 }, want: 'ArgMissing:DiskType' },
  { name: 'DiskType alone', req: { diskType: 'ssd_disk' }, want: 'ArgMissing:DiskValue' },
  { name: 'nothing', req: {}, want: 'ArgMissing:PaasGoodsId' },
  { name: 'same spec alone', req: { paasGoodsId: 27060 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'bad spec with good disk', req: { paasGoodsId: 6704, diskType: 'ssd_disk', diskValue: 100 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'read-only up', inst: ro, parent, req: { paasGoodsId: 15692 }, want: { cpu: 8, ramGb: 16, diskGb: 100, specChanged: true, diskGrown: false } },
  { name: 'read-only to 4C16G', inst: ro, parent, req: { paasGoodsId: 15690 }, want: { cpu: 4, ramGb: 16, diskGb: 100, specChanged: true, diskGrown: false } },
  { name: 'read-only below its primary', inst: ro, parent, req: { paasGoodsId: 15686 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'read-only with a normal spec id', inst: ro, parent, req: { paasGoodsId: 6704 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'primary up to its smallest read-only instance', inst: ha, children: kids, req: { paasGoodsId: 6704 }, want: { cpu: 2, ramGb: 4, diskGb: 100, specChanged: true, diskGrown: false } },
  { name: 'primary above a read-only instance (CPU)', inst: ha, children: kids, req: { paasGoodsId: 6707 }, want: 'InvalidParameter:PaasGoodsId' },
  { name: 'primary disk up to its read-only instances', inst: ha, children: kids, req: { diskType: 'ssd_disk', diskValue: 200 }, want: { cpu: 1, ramGb: 2, diskGb: 300, specChanged: false, diskGrown: true } },
  { name: 'primary disk above a read-only instance', inst: ha, children: kids, req: { diskType: 'ssd_disk', diskValue: 300 }, want: 'InvalidParameter:DiskValue' },
  { name: 'read-only disk growth', inst: ro, parent, req: { diskType: 'ssd_disk', diskValue: 200 }, want: { cpu: 4, ramGb: 8, diskGb: 300, specChanged: false, diskGrown: true } },
];

for (const k of CASES) {
  test(`decideSpecChange: ${k.name}`, () => {
    const d = decideSpecChange(c, k.inst ?? basic, k.req, k.parent, k.children);
    if (typeof k.want === 'string') {
      assert.equal(d.ok, false);
      if (!d.ok) assert.equal(`${d.code}:${d.param}`, k.want, d.why);
    } else {
      assert.ok(d.ok, d.ok ? '' : d.why);
      if (d.ok) {
        const { after, specChanged, diskGrown } = d.plan;
        assert.deepEqual({ cpu: after.cpu, ramGb: after.ramGb, diskGb: after.diskGb, specChanged, diskGrown }, k.want);
      }
    }
  });
}

test('modifiableSpecs: same architecture, current excluded; read-only: not below the primary', () => {
  assert.deepEqual(modifiableSpecs(c, basic).map((s) => s.PaasGoodsId), [26704, 26707, 26710, 26716]);
  assert.deepEqual(modifiableSpecs(c, ha).map((s) => s.PaasGoodsId), [6704, 6707, 6710, 6716]);
  assert.deepEqual(modifiableSpecs(c, ro, parent).map((s) => s.PaasGoodsId), [15690, 15692, 15694, 15696]);
});

test('a primary with read-only instances: specs and disk never above the smallest of them', () => {
  assert.deepEqual(modifiableSpecs(c, ha, undefined, kids).map((s) => s.PaasGoodsId), [6704]);
  const d = c.disks.find((x) => x.DiskValue === 'ssd_disk')!;
  const m = modifiableDisk(d, ha, kids);
  assert.deepEqual([m.DiskMin, m.DiskMaxExpand], [200, 200]);
  assert.deepEqual(modifiableDisk(d, { disk_gb: 300 }, kids).DiskMaxExpand, 0);
});

test('modifiableDisk: totals; at the maximum nothing is left', () => {
  const d = c.disks[0]!;
  assert.deepEqual([modifiableDisk(d, { disk_gb: 100 }).DiskMin, modifiableDisk(d, { disk_gb: 100 }).DiskMaxExpand], [200, 1900]);
  const full = modifiableDisk(d, { disk_gb: 2000 });
  assert.deepEqual([full.DiskMin, full.DiskMax, full.DiskMaxExpand], [2000, 2000, 0]);
});

test('decideSpecRestarts: nodes with other values or unreadable', () => {
  const same = (_: string, a: string, b: string) => a === b;
  const exp = { max_connections: '800' };
  assert.deepEqual(decideSpecRestarts(exp, [
    { nodeId: 'a', values: { max_connections: '800' } }, { nodeId: 'b', values: { max_connections: '400' } },
    { nodeId: 'c', values: undefined }, { nodeId: 'd', values: {} },
  ], same), ['b', 'c', 'd']);
});

test('cgroups: v1 and v2 paths and values, advisory has none', () => {
  const g = groupName('/h/nodes', 'n-abcde');
  assert.match(g, /^[0-9a-f]{10}-n-abcde$/);
  assert.notEqual(g, groupName('/other/nodes', 'n-abcde'));
  assert.deepEqual(groupDirs('cgroup-v1', 'g', '/cg'), ['/cg/memory/openrds/g', '/cg/cpu/openrds/g']);
  assert.deepEqual(limitFiles('cgroup-v1', 'g', { cpu: 2, ramGb: 4 }, '/cg'), [
    { path: '/cg/memory/openrds/g/memory.limit_in_bytes', value: String(4 * 1024 ** 3) },
    { path: '/cg/cpu/openrds/g/cpu.cfs_period_us', value: '100000' },
    { path: '/cg/cpu/openrds/g/cpu.cfs_quota_us', value: '200000' },
  ]);
  assert.deepEqual(limitFiles('cgroup-v2', 'g', { cpu: 8, ramGb: 32 }, '/cg'), [
    { path: '/cg/openrds/g/memory.max', value: String(32 * 1024 ** 3) },
    { path: '/cg/openrds/g/cpu.max', value: '800000 100000' },
  ]);
  assert.deepEqual(limitFiles('advisory', 'g', { cpu: 1, ramGb: 2 }), []);
  assert.deepEqual(wrapCommand('advisory', 'g', '/usr/sbin/mariadbd', ['--x']), { command: '/usr/sbin/mariadbd', args: ['--x'] });
  assert.deepEqual(wrapCommand('cgroup-v2', 'g', '/usr/sbin/mariadbd', ['--x'], '/cg'), {
    command: 'sh', args: ['-c', `echo $$ > '/cg/openrds/g/cgroup.procs' && exec "$0" "$@"`, '/usr/sbin/mariadbd', '--x'],
  });
  assert.equal(wrapCommand('cgroup-v1', 'g', 'm', [], '/cg').args[1], `echo $$ > '/cg/memory/openrds/g/cgroup.procs' && echo $$ > '/cg/cpu/openrds/g/cgroup.procs' && exec "$0" "$@"`);
});
