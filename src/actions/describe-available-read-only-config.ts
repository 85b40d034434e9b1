import { implement } from '../api/contract-params.js';
import { DescribeAvailableReadOnlyConfig } from '../contract/instances.js';
import { majorMinor } from './versions.js';
import { presentAttachDisk, presentCpuRam } from './present.js';
import { allowedReadOnlySpecs, readOnlyParent } from './read-only.js';

/** Specs a read-only instance of this HA primary may have: at least the primary's CPU, RAM and disk. */
export const describeAvailableReadOnlyConfig = implement(DescribeAvailableReadOnlyConfig, async ({ svc, tenantId }, a) => {
  const uuid = a.InstanceUuid;
  const primary = await readOnlyParent(svc, tenantId, uuid);
  const c = svc.config.catalog;
  return {
    message: '获取只读规格列表成功。',
    data: {
      ArchitectureName: '主从',
      SubProductName: 'MySQL 只读实例',
      Version: majorMinor(svc.engineVersion),
      ComputeRoles: c.computeRoles.map((r) => ({
        ComputeName: r.ComputeName,
        ComputeType: r.ComputeType,
        Standards: {
          AttachDisk: c.disks.map((d) => presentAttachDisk({ ...d, DiskMin: Math.max(d.DiskMin, Number(primary.disk_gb)) })),
          CpuRam: allowedReadOnlySpecs(svc, primary).map(presentCpuRam),
        },
      })),
    },
  };
});
