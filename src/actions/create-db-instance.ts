/**
 * CreateDBInstance (spec §4.3): validates every parameter, records the instances (CREATING),
 * their nodes, their tasks and the initial account in one transaction, then answers at once.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { implement } from '../api/contract-params.js';
import { CreateDBInstance, MAX_AMOUNT } from '../contract/instances.js';
import { ApiError, invalidParam } from '../api/errors.js';
import { checkInt, checkStr } from '../api/validate.js';
import { findDisk, findRegion, findSpec, ARCHITECTURES } from '../catalog/catalog.js';
import { passwordProblem } from '../accounts/policy.js';
import { InstanceStatus } from '../instances/status.js';
import { findPipe, pickFreeIp, vdcServesRegion } from '../network/network.js';
import { nativePasswordHash, randomId } from '../security/secrets.js';
import type { Services } from '../services.js';
import { IpExhaustedError } from '../store/store.js';
import { gatherHost, hostUse, wildcardMessage } from '../network/host-addresses.js';
import { newTaskRow } from '../tasks/new-task.js';

export { TIME_ZONES } from '../contract/common.js';
export { MAX_AMOUNT };

/** ServicePort (the contract checked its range): default 3306, the exporter ports reserved. */
export function servicePort(given: number | undefined): number {
  const port = given ?? 3306;
  if (port === 9100 || port === 9101) throw invalidParam('ServicePort', '9100 and 9101 are reserved');
  return port;
}

/** A DiskType of the catalog (the contract checked the length only: the list is configuration). */
export function checkDiskType(svc: Services, diskType: string): string {
  return checkStr('DiskType', diskType, { oneOf: svc.config.catalog.disks.map((d) => d.DiskValue) });
}

export function checkDiskValue(svc: Services, diskType: string, v: number): number {
  const disk = findDisk(svc.config.catalog, diskType)!;
  checkInt('DiskValue', v, { min: disk.DiskMin, max: disk.DiskMax });
  if (v % disk.DiskStep !== 0) throw invalidParam('DiskValue', `must be a multiple of ${disk.DiskStep}`);
  return v;
}

/**
 * Basic: one node listening on the instance's own IP. HA: a primary and a standby with IPs of
 * their own; the instance's IP becomes the endpoint that follows the primary.
 */
export function nodeRows(uuid: string, ha: boolean, port: number, now: number) {
  const row = (role: string) => ({
    id: randomId('n', 5), instance_uuid: uuid, role, ip: ha ? ('pool' as const) : ('instance' as const), port,
    server_id: randomInt(1, 2 ** 31), desired: 'running', pid: null, last_seen_at: null, created_at: now,
  });
  return ha ? [row('primary'), row('standby')] : [row('primary')];
}

export const createDbInstance = implement(CreateDBInstance, async ({ svc, tenantId, log }, a) => {
  const c = svc.config.catalog;
  const regionId = a.RegionId;
  const region = findRegion(c, regionId);
  if (!region) throw invalidParam('RegionId', `unknown region ${regionId}; DescribeRegions lists them`);
  if (region.IsSaling !== 1) throw invalidParam('RegionId', `region ${regionId} is not on sale`);
  const { VdcId: vdcId, BasePipeId: pipeId } = a;
  const { vdc, pipe } = findPipe(svc.config.networks, vdcId, pipeId);
  if (!vdc) throw invalidParam('VdcId', `unknown VDC ${vdcId}; \`openrds networks list\` shows them`);
  if (!vdcServesRegion(vdc, regionId)) throw invalidParam('VdcId', `VDC ${vdcId} is not in region ${regionId}`);
  if (!pipe) throw invalidParam('BasePipeId', `VDC ${vdcId} has no network ${pipeId}`);
  const name = a.InstanceName;
  const goodsId = a.PaasGoodsId;
  const spec = findSpec(c, goodsId);
  if (!spec) throw invalidParam('PaasGoodsId', `unknown PaasGoodsId ${goodsId}; DescribeAvailableDBConfig lists them`);
  const diskType = checkDiskType(svc, a.DiskType);
  const diskGb = checkDiskValue(svc, diskType, a.DiskValue);
  const password = a.Password;
  if (password !== undefined) {
    const why = passwordProblem(password);
    if (why) throw invalidParam('Password', why);
  }
  const amount = a.Amount ?? 1;
  const timeZone = a.TimeZone ?? region.TimeZone;
  const port = servicePort(a.ServicePort);
  const now = svc.clock.now();
  const groupId = randomUUID();
  const items = Array.from({ length: amount }, (_, k) => {
    const uuid = randomUUID();
    const taskId = amount === 1 ? groupId : randomUUID();
    return {
      instance: {
        uuid, tenant_id: tenantId, name, region_id: regionId, vdc_id: vdcId, pipe_id: pipeId, paas_goods_id: goodsId,
        architecture: spec.ArchitectureType, cpu: spec.CPU, ram_gb: spec.RAM, disk_type: diskType, disk_gb: diskGb,
        port, time_zone: timeZone, status: InstanceStatus.CREATING, status_detail: '', version: svc.engineVersion,
        parent_uuid: null, created_at: now + k, updated_at: now, deleted_at: null,
      },
      nodes: nodeRows(uuid, spec.ArchitectureType === ARCHITECTURES.ha, port, now),
      task: newTaskRow({ id: taskId, groupId, tenantId, instanceUuid: uuid, type: 'CreateDBInstance', now }),
      accounts: password === undefined ? [] : [{
        instance_uuid: uuid, name: 'root', type: 'Super', description: 'created by CreateDBInstance', password_hash: nativePasswordHash(password),
        status: 'processing', created_at: now,
      }],
    };
  });
  let created;
  try {
    const host = hostUse(await gatherHost(svc), port);
    if (host.wildcard) throw new ApiError('InvalidParameter', wildcardMessage('ServicePort', host.wildcard));
    created = await svc.store.createInstances(items, (used) => pickFreeIp(pipe.Cidr, used, host.used));
  } catch (e) {
    if (e instanceof IpExhaustedError) throw new ApiError('InvalidParameter', `invalid parameter BasePipeId: network ${pipeId} has no free address left`);
    throw e;
  }
  svc.kickTasks();
  log.info({ instances: created.map((i) => ({ uuid: i.uuid, ip: i.ip })), taskId: groupId }, 'instances created');
  return { data: { InstancesUuid: created.map((i) => i.uuid) }, taskId: groupId };
});
