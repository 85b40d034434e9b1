import { implement } from '../api/contract-params.js';
import { DescribeRegions } from '../contract/catalog.js';

export const describeRegions = implement(DescribeRegions, async ({ svc }, a) => {
  return {
    data: svc.config.catalog.regions.map((r) => ({
      CityId: r.CityId, CityName: r.CityName, IsSaling: r.IsSaling, RegionId: r.RegionId, RegionName: r.RegionName, SiteName: r.SiteName,
    })),
  };
});
