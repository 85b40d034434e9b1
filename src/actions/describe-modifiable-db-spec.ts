/**
 * DescribeModifiableDBSpec (spec §4.5): the specs this instance can move to (same architecture,
 * up and down; read-only instances: never below their primary; a primary: never above its read-only
 * instances), with both `Name` and `N`, and the
 * instance's own disk type with the rules that still apply (src/instances/spec-plan.ts).
 */
import { implement } from '../api/contract-params.js';
import { DescribeModifiableDBSpec } from '../contract/instances.js';
import { notFound } from '../api/errors.js';
import { architecture, findDisk } from '../catalog/catalog.js';
import { modifiableDisk, modifiableSpecs } from '../instances/spec-plan.js';
import { presentAttachDisk, presentCpuRam } from './present.js';

export const describeModifiableDbSpec = implement(DescribeModifiableDBSpec, async ({ svc, tenantId }, a) => {
  const uuid = a.InstanceUuid;
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  const c = svc.config.catalog;
  const parent = inst.parent_uuid ? await svc.store.getInstanceAnyTenant(inst.parent_uuid) : undefined;
  const children = inst.parent_uuid ? [] : await svc.store.listReadOnlyChildren(inst.uuid);
  const disk = findDisk(c, inst.disk_type);
  return {
    data: {
      AttachDisk: disk ? [presentAttachDisk(modifiableDisk(disk, inst, children))] : [],
      CpuRam: modifiableSpecs(c, inst, parent, children).map((s) => {
        const x = presentCpuRam(s);
        return { CPU: x.CPU, Name: x.Name, N: x.Name, PaasGoodsId: x.PaasGoodsId, RAM: x.RAM };
      }),
      ProductName: inst.parent_uuid ? 'MySQL 只读实例' : architecture(c, Number(inst.architecture)).SubProductName,
      RegionId: inst.region_id,
    },
  };
});
