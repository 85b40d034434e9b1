import type { ActionDef } from '../api/action.js';

export const describeRegions: ActionDef = {
  name: 'DescribeRegions',
  async handler({ svc }) {
    return {
      data: svc.config.catalog.regions.map((r) => ({
        CityId: r.CityId, CityName: r.CityName, IsSaling: r.IsSaling, RegionId: r.RegionId, RegionName: r.RegionName, SiteName: r.SiteName,
      })),
    };
  },
};
