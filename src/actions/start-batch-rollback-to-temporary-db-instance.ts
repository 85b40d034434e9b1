/**
 * StartBatchRollbackToTemporaryDBInstance (spec §4.27): a temporary instance restored to exactly
 * SelectTime (src/tasks/definitions/restore-to-temporary.ts, docs/recovery.md). A single node with
 * the source's CPU, RAM and disk, even when the source is HA; not listed by DescribeDBInstances until
 * it is regularized. The row and its task are written in one transaction.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { implement } from '../api/contract-params.js';
import { StartBatchRollbackToTemporaryDBInstance } from '../contract/recovery.js';
import { ApiError, invalidParam } from '../api/errors.js';
import { ARCHITECTURES } from '../catalog/catalog.js';
import { InstanceStatus } from '../instances/status.js';
import { gatherHost, hostUse } from '../network/host-addresses.js';
import { findPipe, pickFreeIp } from '../network/network.js';
import { baseFor } from '../recovery/window.js';
import { windowOf } from '../recovery/point-in-time.js';
import { randomId } from '../security/secrets.js';
import { IpExhaustedError } from '../store/store.js';
import { RESTORE_TO_TEMPORARY_TASK, type RestoreToTemporaryParams } from '../tasks/definitions/restore-to-temporary.js';
import { newTaskRow } from '../tasks/new-task.js';
import { apiTime, parseApiTime } from './present.js';
import { sourceInstance } from './recovery-params.js';

// The contract reads and checks the parameters (src/contract/recovery.ts); the handler keeps the dynamic rules.
export const startBatchRollbackToTemporaryDbInstance = implement(StartBatchRollbackToTemporaryDBInstance, async ({ svc, tenantId, log }, a) => {
    const { InstanceUuid: uuid, SelectTime: selectText, TemporaryInstanceName: name } = a;
    const selectTime = parseApiTime(selectText);
    if (selectTime === undefined) throw invalidParam('SelectTime', `${JSON.stringify(selectText)} is not a time YYYY-MM-DD HH:MM:SS (UTC, like every API time)`);
    const source = await sourceInstance(svc, tenantId, uuid);
    if (source.status === InstanceStatus.DELETING || source.status === InstanceStatus.CREATING) throw new ApiError('ResourceInUse', `instance ${uuid} is ${source.status}`);
    const w = await windowOf(svc, source.uuid, tenantId);
    if (!w.ok) throw invalidParam('SelectTime', `instance ${uuid} has no restore window yet: ${w.why}`);
    if (selectTime < w.left || selectTime > w.right) {
      throw invalidParam('SelectTime', `${selectText} is outside the restore window ${apiTime(w.left)} – ${apiTime(w.right)} (UTC; DescribeRollbackRangeTime)`);
    }
    const base = baseFor(w, selectTime);
    if (!base) throw invalidParam('SelectTime', `no full backup finished at or before ${selectText}`);
    const siblings = await svc.store.recovery.listTemporaries(source.uuid);
    if (siblings.some((t) => t.name === name)) throw invalidParam('TemporaryInstanceName', `instance ${uuid} already has a temporary instance named ${name}`);
    const { pipe } = findPipe(svc.config.networks, source.vdc_id, source.pipe_id);
    if (!pipe) throw invalidParam('InstanceUuid', `the network ${source.pipe_id} of instance ${uuid} is not configured any more`);
    // The basic spec with the source's CPU and RAM (an HA source's PaasGoodsId is an HA one).
    const spec = svc.config.catalog.specs.find((s) => s.ArchitectureType === ARCHITECTURES.basic && s.CPU === source.cpu && s.RAM === source.ram_gb);
    const now = svc.clock.now();
    const tempUuid = randomUUID();
    const params: RestoreToTemporaryParams = { sourceUuid: source.uuid, backupId: base.id, timeline: w.timeline, selectTime };
    const task = newTaskRow({ tenantId, instanceUuid: tempUuid, type: RESTORE_TO_TEMPORARY_TASK, now, params });
    let created;
    try {
      const host = hostUse(await gatherHost(svc), source.port);
      created = await svc.store.createInstances([{
        instance: {
          uuid: tempUuid, tenant_id: tenantId, name, region_id: source.region_id, vdc_id: source.vdc_id, pipe_id: source.pipe_id,
          paas_goods_id: spec?.PaasGoodsId ?? source.paas_goods_id, architecture: ARCHITECTURES.basic, cpu: source.cpu, ram_gb: source.ram_gb,
          disk_type: source.disk_type, disk_gb: source.disk_gb, port: source.port, time_zone: source.time_zone, status: InstanceStatus.CREATING,
          status_detail: `restoring ${uuid} to ${selectText} UTC`, version: svc.engineVersion, parent_uuid: null, created_at: now, updated_at: now,
          deleted_at: null, temp_source_uuid: source.uuid, recovery_time: selectTime,
        },
        nodes: [{
          id: randomId('n', 5), instance_uuid: tempUuid, role: 'primary', ip: 'instance', port: source.port, server_id: randomInt(1, 2 ** 31),
          desired: 'running', incarnation: null, last_seen_at: null, created_at: now, host_id: svc.config.hostId,
        }],
        task,
        accounts: [],
      }], (used) => pickFreeIp(pipe.Cidr, used, host.used));
    } catch (e) {
      if (e instanceof IpExhaustedError) throw new ApiError('InvalidParameter', `invalid parameter InstanceUuid: network ${source.pipe_id} has no free address left for a temporary instance`);
      throw e;
    }
    svc.kickTasks();
    log.info({ source: uuid, temporary: created[0]!.uuid, selectTime: selectText, base: base.id, taskId: task.id }, 'restore to a temporary instance started');
    return { data: {}, taskId: task.id, message: '任务已下发,请等待执行' };
});
