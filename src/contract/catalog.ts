/** The catalog actions (spec §4.1–§4.2). */
import { ATTACH_DISK, CPU_RAM } from './common.js';
import { defineAction } from './types.js';

export const DescribeRegions = defineAction({
  name: 'DescribeRegions', group: 'catalog', spec: '§4.1', idempotent: true,
  summary: 'list the regions',
  params: {},
  response: [{ CityId: 'string', CityName: 'string', IsSaling: 'number', RegionId: 'string', RegionName: 'string', SiteName: 'string' }],
});

export const DescribeAvailableDBConfig = defineAction({
  name: 'DescribeAvailableDBConfig', group: 'catalog', spec: '§4.2', idempotent: true,
  summary: 'the specs (PaasGoodsId) and disks a region offers',
  params: {
    RegionId: { type: 'string', required: true, maxLen: 64, desc: 'the region', example: 'CN_Beijing_A', range: 'a RegionId of DescribeRegions' },
  },
  response: {
    ProductName: 'string', RegionId: 'string',
    Products: [{
      Version: 'string',
      Architectures: [{
        ArchitectureName: 'string', ArchitectureType: 'number', SubProductName: 'string', EnginesType: ['unknown'],
        NetworkLinks: [{ DescDetail: 'string', LinkType: 'string', Name: 'string' }],
        ComputeRoles: [{ ComputeName: 'string', ComputeType: 'number', Standards: { AttachDisk: [ATTACH_DISK], CpuRam: [CPU_RAM] } }],
      }],
    }],
  },
});
