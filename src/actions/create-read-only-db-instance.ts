/**
 * CreateReadOnlyDBInstance (spec §4.20): 1–3 replicas of an HA primary, each its own instance
 * with its own IP, listed at once (CREATING) in the primary's RoGroups and on their own.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, inUse, invalidParam } from '../api/errors.js';
import { findDisk } from '../catalog/catalog.js';
import { InstanceStatus } from '../instances/status.js';
import { findPipe } from '../network/network.js';
import { IpExhaustedError } from '../store/store.js';
import { planNodeAddresses } from '../network/host-addresses.js';
import { newTaskRow } from '../tasks/new-task.js';
import { checkDiskType, nodeRows, servicePort } from './create-db-instance.js';
import { implement } from '../api/contract-params.js';
import { CreateReadOnlyDBInstance } from '../contract/instances.js';
import { allowedReadOnlySpecs, readOnlyParent } from './read-only.js';

export const createReadOnlyDbInstance = implement(CreateReadOnlyDBInstance, async ({ svc, tenantId, log }, a) => {
  const { InstanceUuid: primaryUuid, InstanceName: name, PaasGoodsId: goodsId, DiskValue: diskGb } = a;
  const diskType = checkDiskType(svc, a.DiskType);
  const amount = a.Amount ?? 1;
  const port = servicePort(a.ServicePort);
  const primary = await readOnlyParent(svc, tenantId, primaryUuid);
  const spec = allowedReadOnlySpecs(svc, primary).find((s) => s.PaasGoodsId === goodsId);
  if (!spec) {
    const known = svc.config.catalog.readOnlySpecs.some((s) => s.PaasGoodsId === goodsId);
    throw invalidParam('PaasGoodsId', known
      ? `spec ${goodsId} is smaller than the primary (${primary.cpu}C${primary.ram_gb}G); DescribeAvailableReadOnlyConfig lists the allowed ones`
      : `unknown read-only PaasGoodsId ${goodsId}; DescribeAvailableReadOnlyConfig lists them`);
  }
  const disk = findDisk(svc.config.catalog, diskType)!;
  if (diskGb < Number(primary.disk_gb)) throw invalidParam('DiskValue', `must be at least the primary's disk, ${primary.disk_gb} GB`);
  if (diskGb < disk.DiskMin || diskGb > disk.DiskMax) throw invalidParam('DiskValue', `must be between ${disk.DiskMin} and ${disk.DiskMax}`);
  if (diskGb % disk.DiskStep !== 0) throw invalidParam('DiskValue', `must be a multiple of ${disk.DiskStep}`);
  if (primary.status !== InstanceStatus.RUNNING) throw inUse(`instance ${primaryUuid} is ${primary.status}; add read-only instances once it is RUNNING`);
  const { pipe } = findPipe(svc.config.networks, primary.vdc_id, primary.pipe_id);
  if (!pipe) throw new ApiError('InternalError', `the primary's network ${primary.pipe_id} is no longer configured`);

    const now = svc.clock.now();
    const groupId = randomUUID();
    const items = Array.from({ length: amount }, (_, k) => {
      const uuid = randomUUID();
      return {
        instance: {
          uuid, tenant_id: tenantId, name, region_id: primary.region_id, vdc_id: primary.vdc_id, pipe_id: primary.pipe_id, paas_goods_id: goodsId,
          architecture: 1, cpu: spec.CPU, ram_gb: spec.RAM, disk_type: diskType, disk_gb: diskGb, port, time_zone: primary.time_zone,
          status: InstanceStatus.CREATING, status_detail: '', version: svc.engineVersion, parent_uuid: primary.uuid,
          created_at: now + k, updated_at: now, deleted_at: null,
        },
        nodes: nodeRows(uuid, false, port, now, svc.config.hostId).map((n) => ({ ...n, role: 'replica' })),
        task: newTaskRow({ id: amount === 1 ? groupId : randomUUID(), groupId, tenantId, instanceUuid: uuid, type: 'CreateReadOnlyDBInstance', now }),
        accounts: [],
      };
    });
    let created;
    try {
      const pick = await planNodeAddresses(svc, pipe.Cidr, port, 'ServicePort');
      created = await svc.store.createInstances(items, pick);
    } catch (e) {
      if (e instanceof IpExhaustedError) throw invalidParam('InstanceUuid', `the primary's network ${primary.pipe_id} has no free address left`);
      throw e;
    }
    svc.kickTasks();
    log.info({ primary: primaryUuid, readOnly: created.map((i) => i.uuid), taskId: groupId }, 'read-only instances created');
    return { data: { InstancesUuid: created.map((i) => i.uuid) }, taskId: groupId };
});
