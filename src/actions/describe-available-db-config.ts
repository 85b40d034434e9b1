import { implement } from '../api/contract-params.js';
import { DescribeAvailableDBConfig } from '../contract/catalog.js';
import { invalidParam } from '../api/errors.js';
import { findRegion } from '../catalog/catalog.js';
import { majorMinor } from './versions.js';
import { presentAttachDisk, presentCpuRam } from './present.js';

export const describeAvailableDbConfig = implement(DescribeAvailableDBConfig, async ({ svc }, a) => {
  const regionId = a.RegionId;
  if (!findRegion(svc.config.catalog, regionId)) throw invalidParam('RegionId', `unknown region ${regionId}; DescribeRegions lists them`);
  const c = svc.config.catalog;
  return {
    data: {
      ProductName: 'mysql',
      RegionId: regionId,
      Products: [{
        Version: majorMinor(svc.engineVersion),
        Architectures: c.architectures.map((a) => ({
          ArchitectureName: a.ArchitectureName,
          ArchitectureType: a.ArchitectureType,
          SubProductName: a.SubProductName,
          EnginesType: [],
          NetworkLinks: c.networkLinks.map((l) => ({ DescDetail: l.DescDetail, LinkType: l.LinkType, Name: l.Name })),
          ComputeRoles: c.computeRoles.map((r) => ({
            ComputeName: r.ComputeName,
            ComputeType: r.ComputeType,
            Standards: {
              AttachDisk: c.disks.map(presentAttachDisk),
              CpuRam: c.specs.filter((s) => s.ArchitectureType === a.ArchitectureType).map(presentCpuRam),
            },
          })),
        })),
      }],
    },
  };
});
