/** The default catalog reproduces the seed (spec Appendix A and §3); validateCatalog guards overrides. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  architecture, findDisk, findRegion, findSpec, specName, validateCatalog, type Catalog,
} from '../../src/catalog/catalog.js';
import { DEFAULT_CATALOG } from '../../src/catalog/defaults.js';

// Spec Appendix A, row for row: RegionId, SiteName, CityName, RegionName, CityId.
const APPENDIX_A: Array<[string, string, string, string, string]> = [
  ['CN_Beijing_A', '北京1', '北京', '中国大陆', 'ea3ca775-306c-11e7-9796-0050569b4d9c'],
  ['CN_Beijing_B', '北京2', '北京', '中国大陆', 'ea3ca775-306c-11e7-9796-0050569b4d9c'],
  ['CN_Beijing_C', '北京3', '北京', '中国大陆', 'ea3ca775-306c-11e7-9796-0050569b4d9c'],
  ['CN_Beijing_E', '北京5', '北京', '中国大陆', 'ea3ca775-306c-11e7-9796-0050569b4d9c'],
  ['CN_Beijing_H', '北京8', '北京', '中国大陆', 'ea3ca775-306c-11e7-9796-0050569b4d9c'],
  ['CN_Wuxi_A', '无锡1', '无锡', '中国大陆', '123d0d01-306d-11e7-9796-0050569b4d9c'],
  ['CN_Guangzhou_A', '广州1', '广州', '中国大陆', 'c11a5abe-3f7e-11e7-86b1-0242ac11000e'],
  ['CN_Shanghai_A', '上海1', '上海', '中国大陆', 'b44355d0-65e7-11e7-8ea9-0050569b651c'],
  ['CN_Hongkong_A', '香港1', '香港', '亚太地区', '27b57297-306d-11e7-9796-0050569b4d9c'],
  ['CN_Taipei_A', '台北1', '台北', '亚太地区', '713d3745-306d-11e7-9796-0050569b4d9c'],
  ['APAC_Tokyo_A', '东京1', '东京', '亚太地区', '8737606f-306d-11e7-9796-0050569b4d9c'],
  ['APAC_Singapore_A', '新加坡1', '新加坡', '亚太地区', 'a8937b00-306d-11e7-9796-0050569b4d9c'],
  ['APAC_Seoul_A', '首尔1', '首尔', '亚太地区', '87fcbbd6-be0a-11e7-9d6b-0242ac110004'],
  ['US_LosAngeles_A', '洛杉矶1', '洛杉矶', '北美地区', '3082f45e-306e-11e7-9796-0050569b4d9c'],
  ['US_NewYork_A', '纽约1', '纽约', '北美地区', '154ed19e-306e-11e7-9796-0050569b4d9c'],
  ['US_Dallas_A', '达拉斯1', '达拉斯', '北美地区', 'e48e2312-306d-11e7-9796-0050569b4d9c'],
  ['EUR_Germany_A', '德国1', '法兰克福', '欧洲地区', '7b98a5d1-306e-11e7-9796-0050569b4d9c'],
  ['EUR_Netherlands_A', '荷兰1', '阿姆斯特丹', '欧洲地区', '5c432e0e-306e-11e7-9796-0050569b4d9c'],
];

test('default regions: exactly the 18 of Appendix A, in order', () => {
  assert.equal(DEFAULT_CATALOG.regions.length, 18);
  assert.deepEqual(DEFAULT_CATALOG.regions.map((r) => r.RegionId), APPENDIX_A.map((r) => r[0]));
});

for (const [RegionId, SiteName, CityName, RegionName, CityId] of APPENDIX_A) {
  test(`default region ${RegionId} matches Appendix A`, () => {
    const r = findRegion(DEFAULT_CATALOG, RegionId);
    assert.ok(r, `${RegionId} missing`);
    assert.deepEqual(
      { RegionId: r.RegionId, SiteName: r.SiteName, CityName: r.CityName, RegionName: r.RegionName, CityId: r.CityId, IsSaling: r.IsSaling },
      { RegionId, SiteName, CityName, RegionName, CityId, IsSaling: 1 },
    );
    assert.match(r.TimeZone, /^[+-]\d\d:\d\d$/);
    assert.ok(r.DisplayName.startsWith(`${RegionName}-${CityName}-`), r.DisplayName);
  });
}

// Seed: the HA (主从) product's PaasGoodsIds.
const HA_SPECS: Array<{ id: number; cpu: number; ram: number; name: string }> = [
  { id: 17060, cpu: 1, ram: 2, name: '1C2G' },
  { id: 6704, cpu: 2, ram: 4, name: '2C4G' },
  { id: 6707, cpu: 4, ram: 8, name: '4C8G' },
  { id: 6710, cpu: 8, ram: 16, name: '8C16G' },
  { id: 6716, cpu: 8, ram: 32, name: '8C32G' },
];

for (const s of HA_SPECS) {
  test(`default HA spec PaasGoodsId ${s.id} is ${s.name}`, () => {
    const spec = findSpec(DEFAULT_CATALOG, s.id);
    assert.ok(spec, `${s.id} missing`);
    assert.equal(spec.ArchitectureType, 1);
    assert.equal(spec.CPU, s.cpu);
    assert.equal(spec.RAM, s.ram);
    assert.equal(specName(spec), s.name);
    assert.ok(Number.isInteger(spec.PaasGoodsId));
  });
}

test('default HA specs: exactly the five seed ids', () => {
  assert.deepEqual(
    DEFAULT_CATALOG.specs.filter((s) => s.ArchitectureType === 1).map((s) => s.PaasGoodsId).sort((a, b) => a - b),
    HA_SPECS.map((s) => s.id).sort((a, b) => a - b),
  );
});

test('default basic specs: same CPU/RAM ladder as HA, with their own ids', () => {
  const basic = DEFAULT_CATALOG.specs.filter((s) => s.ArchitectureType === 0);
  assert.deepEqual(basic.map(specName), HA_SPECS.map((s) => s.name));
  for (const b of basic) assert.ok(!HA_SPECS.some((h) => h.id === b.PaasGoodsId), `basic id ${b.PaasGoodsId} collides with HA`);
});

const DISKS: Array<{ id: string; name: string; iops: string }> = [
  { id: 'ssd_disk', name: 'SSD', iops: '' },
  { id: 'high_disk', name: '性能型', iops: '3000' },
];

for (const d of DISKS) {
  test(`default disk ${d.id}`, () => {
    const disk = findDisk(DEFAULT_CATALOG, d.id);
    assert.ok(disk, `${d.id} missing`);
    assert.deepEqual(disk, {
      DiskValue: d.id, DiskName: d.name, BasicIops: d.iops,
      DiskMin: 100, DiskMax: 2000, DiskMaxExpand: 2000, DiskStep: 100, DiskUnit: 'G',
    });
  });
}

test('default disks: exactly ssd_disk and high_disk', () => {
  assert.deepEqual(DEFAULT_CATALOG.disks.map((d) => d.DiskValue), ['ssd_disk', 'high_disk']);
});

test('default network link and compute role (spec §3)', () => {
  assert.deepEqual(DEFAULT_CATALOG.networkLinks.map((l) => [l.LinkType, l.Name]), [['default_link', '默认链路']]);
  assert.deepEqual(DEFAULT_CATALOG.computeRoles, [{ ComputeType: 0, ComputeName: '通用型' }]);
});

const ARCH_CASES: Array<{ t: number; name: string; key: string }> = [
  { t: 0, name: '基础版', key: 'mysql-basic' },
  { t: 1, name: '主从', key: 'mysql-replication' },
];

for (const a of ARCH_CASES) {
  test(`architecture ${a.t} is ${a.name}`, () => {
    const info = architecture(DEFAULT_CATALOG, a.t);
    assert.equal(info.ArchitectureName, a.name);
    assert.equal(info.SubProductKey, a.key);
    assert.ok(!info.SubProductName.endsWith('\n'));
  });
}

test('architecture throws for an unknown type', () => {
  assert.throws(() => architecture(DEFAULT_CATALOG, 7), /no architecture 7/);
});

const LOOKUP_MISSES: Array<{ name: string; run: () => unknown }> = [
  { name: 'findSpec unknown id', run: () => findSpec(DEFAULT_CATALOG, 1) },
  { name: 'findSpec does not find read-only specs', run: () => findSpec(DEFAULT_CATALOG, DEFAULT_CATALOG.readOnlySpecs[0]!.PaasGoodsId) },
  { name: 'findRegion is case-sensitive', run: () => findRegion(DEFAULT_CATALOG, 'cn_beijing_a') },
  { name: 'findRegion unknown', run: () => findRegion(DEFAULT_CATALOG, 'CN_Beijing_Z') },
  { name: 'findDisk by name instead of id', run: () => findDisk(DEFAULT_CATALOG, 'SSD') },
];

for (const c of LOOKUP_MISSES) {
  test(`lookup miss: ${c.name}`, () => {
    assert.equal(c.run(), undefined);
  });
}

const SPEC_NAME_CASES: Array<{ cpu: number; ram: number; out: string }> = [
  { cpu: 1, ram: 2, out: '1C2G' },
  { cpu: 16, ram: 64, out: '16C64G' },
];
for (const c of SPEC_NAME_CASES) {
  test(`specName ${c.out}`, () => assert.equal(specName({ CPU: c.cpu, RAM: c.ram }), c.out));
}

test('validateCatalog accepts the defaults', () => {
  assert.deepEqual(validateCatalog(DEFAULT_CATALOG), []);
});

const clone = (): Catalog => structuredClone(DEFAULT_CATALOG);

const INVALID_CASES: Array<{ name: string; edit: (c: Catalog) => void; error: RegExp }> = [
  { name: 'duplicate PaasGoodsId in specs', edit: (c) => c.specs.push({ ...c.specs[0]! }), error: /duplicate PaasGoodsId 27060/ },
  { name: 'read-only spec reusing a spec id', edit: (c) => { c.readOnlySpecs[0]!.PaasGoodsId = 6704; }, error: /duplicate PaasGoodsId 6704/ },
  { name: 'unknown architecture', edit: (c) => { c.specs[0]!.ArchitectureType = 5 as 0; }, error: /spec 27060: unknown architecture/ },
  { name: 'architecture removed', edit: (c) => { c.architectures = c.architectures.filter((a) => a.ArchitectureType !== 1); }, error: /spec 17060: unknown architecture/ },
  { name: 'zero CPU', edit: (c) => { c.specs[1]!.CPU = 0; }, error: /spec 26704: CPU and RAM must be positive/ },
  { name: 'negative RAM', edit: (c) => { c.specs[1]!.RAM = -4; }, error: /spec 26704: CPU and RAM must be positive/ },
  { name: 'DiskMin zero', edit: (c) => { c.disks[0]!.DiskMin = 0; }, error: /disk ssd_disk: bad limits/ },
  { name: 'DiskStep zero', edit: (c) => { c.disks[1]!.DiskStep = 0; }, error: /disk high_disk: bad limits/ },
  { name: 'DiskMax below DiskMin', edit: (c) => { c.disks[0]!.DiskMax = 50; }, error: /disk ssd_disk: bad limits/ },
  { name: 'no regions', edit: (c) => { c.regions = []; }, error: /no regions/ },
];

for (const c of INVALID_CASES) {
  test(`validateCatalog refuses: ${c.name}`, () => {
    const cat = clone();
    c.edit(cat);
    const errs = validateCatalog(cat);
    assert.ok(errs.some((e) => c.error.test(e)), `got ${JSON.stringify(errs)}`);
  });
}

test('validateCatalog reports every problem, not only the first', () => {
  const cat = clone();
  cat.regions = [];
  cat.disks[0]!.DiskMin = 0;
  cat.specs[0]!.CPU = 0;
  assert.equal(validateCatalog(cat).length, 3);
});

test('validateCatalog allows DiskMax equal to DiskMin', () => {
  const cat = clone();
  cat.disks[0]!.DiskMax = cat.disks[0]!.DiskMin;
  assert.deepEqual(validateCatalog(cat), []);
});
