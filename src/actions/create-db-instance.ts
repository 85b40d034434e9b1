/**
 * CreateDBInstance (spec §4.3): validates every parameter, records the instances (CREATING),
 * their nodes, their tasks and the initial account in one transaction, then answers at once.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { ActionDef } from '../api/action.js';
import { ApiError, invalidParam } from '../api/errors.js';
import type { ParamReader } from '../api/validate.js';
import { findDisk, findRegion, findSpec, ARCHITECTURES } from '../catalog/catalog.js';
import { passwordProblem } from '../accounts/policy.js';
import { InstanceStatus } from '../instances/status.js';
import { findPipe, vdcServesRegion } from '../network/network.js';
import { nativePasswordHash, randomId } from '../security/secrets.js';
import type { Services } from '../services.js';
import { IpExhaustedError } from '../store/store.js';
import { planNodeAddresses } from '../network/host-addresses.js';
import { newTaskRow } from '../tasks/new-task.js';

export const TIME_ZONES = [
  '-12:00', '-11:00', '-10:00', '-09:00', '-08:00', '-07:00', '-06:00', '-05:00', '-04:00', '-03:00', '-02:00', '-01:00',
  '+00:00', '+01:00', '+02:00', '+03:00', '+04:00', '+05:00', '+05:30', '+06:00', '+07:00', '+08:00', '+09:00', '+10:00',
  '+11:00', '+12:00', '+13:00',
] as const;

export const MAX_AMOUNT = 3;
/** InstanceName: free text (src/api/validate.ts freeTextProblem), 1–64 characters. */
export const INSTANCE_NAME = { minLen: 1, maxLen: 64 };

export function readServicePort(p: ParamReader): number {
  const port = p.int('ServicePort', { min: 1024, max: 65535 }) ?? 3306;
  if (port === 9100 || port === 9101) throw invalidParam('ServicePort', '9100 and 9101 are reserved');
  return port;
}

export function readDiskValue(svc: Services, diskType: string, p: ParamReader): number {
  const disk = findDisk(svc.config.catalog, diskType)!;
  const v = p.int('DiskValue', { required: true, min: disk.DiskMin, max: disk.DiskMax });
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
    server_id: randomInt(1, 2 ** 31), desired: 'running', incarnation: null, last_seen_at: null, created_at: now,
  });
  return ha ? [row('primary'), row('standby')] : [row('primary')];
}

export const createDbInstance: ActionDef = {
  name: 'CreateDBInstance',
  async handler({ svc, tenantId, log }, p) {
    const c = svc.config.catalog;
    const regionId = p.str('RegionId', { required: true, maxLen: 64 });
    const region = findRegion(c, regionId);
    if (!region) throw invalidParam('RegionId', `unknown region ${regionId}; DescribeRegions lists them`);
    if (region.IsSaling !== 1) throw invalidParam('RegionId', `region ${regionId} is not on sale`);
    const vdcId = p.str('VdcId', { required: true, maxLen: 64 });
    const pipeId = p.str('BasePipeId', { required: true, maxLen: 64 });
    const { vdc, pipe } = findPipe(svc.config.networks, vdcId, pipeId);
    if (!vdc) throw invalidParam('VdcId', `unknown VDC ${vdcId}; \`openrds networks list\` shows them`);
    if (!vdcServesRegion(vdc, regionId)) throw invalidParam('VdcId', `VDC ${vdcId} is not in region ${regionId}`);
    if (!pipe) throw invalidParam('BasePipeId', `VDC ${vdcId} has no network ${pipeId}`);
    const name = p.text('InstanceName', { required: true, ...INSTANCE_NAME });
    const goodsId = p.int('PaasGoodsId', { required: true });
    const spec = findSpec(c, goodsId);
    if (!spec) throw invalidParam('PaasGoodsId', `unknown PaasGoodsId ${goodsId}; DescribeAvailableDBConfig lists them`);
    const diskType = p.str('DiskType', { required: true, oneOf: c.disks.map((d) => d.DiskValue) });
    const diskGb = readDiskValue(svc, diskType, p);
    const password = p.str('Password');
    if (password !== undefined) {
      const why = passwordProblem(password);
      if (why) throw invalidParam('Password', why);
    }
    const amount = p.int('Amount', { min: 1, max: MAX_AMOUNT }) ?? 1;
    const timeZone = p.str('TimeZone', { oneOf: TIME_ZONES }) ?? region.TimeZone;
    const port = readServicePort(p);
    p.int('SubjectId', { min: 0 });
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
      const pick = await planNodeAddresses(svc, pipe.Cidr, port, 'ServicePort');
      created = await svc.store.createInstances(items, pick);
    } catch (e) {
      if (e instanceof IpExhaustedError) throw new ApiError('InvalidParameter', `invalid parameter BasePipeId: network ${pipeId} has no free address left`);
      throw e;
    }
    svc.kickTasks();
    log.info({ instances: created.map((i) => ({ uuid: i.uuid, ip: i.ip })), taskId: groupId }, 'instances created');
    return { data: { InstancesUuid: created.map((i) => i.uuid) }, taskId: groupId };
  },
};
