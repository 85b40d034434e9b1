/** Catalog defaults that reproduce the seed document (Appendix A and §3 of the spec). */
import type { Catalog, Region } from './catalog.js';

const CITY = {
  beijing: 'ea3ca775-306c-11e7-9796-0050569b4d9c',
};

const r = (RegionId: string, SiteName: string, CityName: string, RegionName: string, CityId: string, TimeZone: string, zone: string): Region => ({
  RegionId, SiteName, CityName, RegionName, CityId, IsSaling: 1, TimeZone, DisplayName: `${RegionName}-${CityName}-可用区${zone}`,
});

export const DEFAULT_CATALOG: Catalog = {
  regions: [
    r('CN_Beijing_A', '北京1', '北京', '中国大陆', CITY.beijing, '+08:00', 'A'),
    r('CN_Beijing_B', '北京2', '北京', '中国大陆', CITY.beijing, '+08:00', 'B'),
    r('CN_Beijing_C', '北京3', '北京', '中国大陆', CITY.beijing, '+08:00', 'C'),
    r('CN_Beijing_E', '北京5', '北京', '中国大陆', CITY.beijing, '+08:00', 'E'),
    r('CN_Beijing_H', '北京8', '北京', '中国大陆', CITY.beijing, '+08:00', 'H'),
    r('CN_Wuxi_A', '无锡1', '无锡', '中国大陆', '123d0d01-306d-11e7-9796-0050569b4d9c', '+08:00', 'A'),
    r('CN_Guangzhou_A', '广州1', '广州', '中国大陆', 'c11a5abe-3f7e-11e7-86b1-0242ac11000e', '+08:00', 'A'),
    r('CN_Shanghai_A', '上海1', '上海', '中国大陆', 'b44355d0-65e7-11e7-8ea9-0050569b651c', '+08:00', 'A'),
    r('CN_Hongkong_A', '香港1', '香港', '亚太地区', '27b57297-306d-11e7-9796-0050569b4d9c', '+08:00', 'A'),
    r('CN_Taipei_A', '台北1', '台北', '亚太地区', '713d3745-306d-11e7-9796-0050569b4d9c', '+08:00', 'A'),
    r('APAC_Tokyo_A', '东京1', '东京', '亚太地区', '8737606f-306d-11e7-9796-0050569b4d9c', '+09:00', 'A'),
    r('APAC_Singapore_A', '新加坡1', '新加坡', '亚太地区', 'a8937b00-306d-11e7-9796-0050569b4d9c', '+08:00', 'A'),
    r('APAC_Seoul_A', '首尔1', '首尔', '亚太地区', '87fcbbd6-be0a-11e7-9d6b-0242ac110004', '+09:00', 'A'),
    r('US_LosAngeles_A', '洛杉矶1', '洛杉矶', '北美地区', '3082f45e-306e-11e7-9796-0050569b4d9c', '-08:00', 'A'),
    r('US_NewYork_A', '纽约1', '纽约', '北美地区', '154ed19e-306e-11e7-9796-0050569b4d9c', '-05:00', 'A'),
    r('US_Dallas_A', '达拉斯1', '达拉斯', '北美地区', 'e48e2312-306d-11e7-9796-0050569b4d9c', '-06:00', 'A'),
    r('EUR_Germany_A', '德国1', '法兰克福', '欧洲地区', '7b98a5d1-306e-11e7-9796-0050569b4d9c', '+01:00', 'A'),
    r('EUR_Netherlands_A', '荷兰1', '阿姆斯特丹', '欧洲地区', '5c432e0e-306e-11e7-9796-0050569b4d9c', '+01:00', 'A'),
  ],
  architectures: [
    { ArchitectureType: 0, ArchitectureName: '基础版', SubProductName: 'MySQL 基础版', SubProductKey: 'mysql-basic' },
    { ArchitectureType: 1, ArchitectureName: '主从', SubProductName: 'MySQL 高可用版', SubProductKey: 'mysql-replication' },
  ],
  // The seed's ids belong to the HA (主从) product; basic specs get ids of their own (2xxxx).
  specs: [
    { PaasGoodsId: 27060, ArchitectureType: 0, CPU: 1, RAM: 2 },
    { PaasGoodsId: 26704, ArchitectureType: 0, CPU: 2, RAM: 4 },
    { PaasGoodsId: 26707, ArchitectureType: 0, CPU: 4, RAM: 8 },
    { PaasGoodsId: 26710, ArchitectureType: 0, CPU: 8, RAM: 16 },
    { PaasGoodsId: 26716, ArchitectureType: 0, CPU: 8, RAM: 32 },
    { PaasGoodsId: 17060, ArchitectureType: 1, CPU: 1, RAM: 2 },
    { PaasGoodsId: 6704, ArchitectureType: 1, CPU: 2, RAM: 4 },
    { PaasGoodsId: 6707, ArchitectureType: 1, CPU: 4, RAM: 8 },
    { PaasGoodsId: 6710, ArchitectureType: 1, CPU: 8, RAM: 16 },
    { PaasGoodsId: 6716, ArchitectureType: 1, CPU: 8, RAM: 32 },
  ],
  // Read-only instance specs of the seed's DescribeAvailableReadOnlyConfig sample.
  readOnlySpecs: [
    { PaasGoodsId: 15686, ArchitectureType: 1, CPU: 2, RAM: 4 },
    { PaasGoodsId: 15688, ArchitectureType: 1, CPU: 4, RAM: 8 },
    { PaasGoodsId: 15690, ArchitectureType: 1, CPU: 4, RAM: 16 },
    { PaasGoodsId: 15692, ArchitectureType: 1, CPU: 8, RAM: 16 },
    { PaasGoodsId: 15694, ArchitectureType: 1, CPU: 8, RAM: 32 },
    { PaasGoodsId: 15696, ArchitectureType: 1, CPU: 16, RAM: 64 },
  ],
  disks: [
    { DiskValue: 'ssd_disk', DiskName: 'SSD', BasicIops: '', DiskMin: 100, DiskMax: 2000, DiskMaxExpand: 2000, DiskStep: 100, DiskUnit: 'G' },
    { DiskValue: 'high_disk', DiskName: '性能型', BasicIops: '3000', DiskMin: 100, DiskMax: 2000, DiskMaxExpand: 2000, DiskStep: 100, DiskUnit: 'G' },
  ],
  networkLinks: [
    { LinkType: 'default_link', Name: '默认链路', DescDetail: '默认链路：实例在VDC内获得私网IP，适合对时延敏感的应用' },
  ],
  computeRoles: [{ ComputeType: 0, ComputeName: '通用型' }],
};
