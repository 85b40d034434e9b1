/**
 * RegularizeTemporaryDBInstances (spec §4.29): a RUNNING temporary instance becomes a regular one —
 * listed by DescribeDBInstances, with its own backups, archive and metrics — keeping its endpoint.
 * Sync: `Data: null`, TaskId `""`.
 */
import { implement } from '../api/contract-params.js';
import { RegularizeTemporaryDBInstances } from '../contract/recovery.js';
import { inUse } from '../api/errors.js';
import { InstanceStatus } from '../instances/status.js';
import { temporaryOf } from './recovery-params.js';

export const regularizeTemporaryDbInstances = implement(RegularizeTemporaryDBInstances, async ({ svc, tenantId, log }, a) => {
    const { source, temp } = await temporaryOf(svc, tenantId, a.InstanceUuid, a.TemporaryInstanceUuid);
    if (temp.status !== InstanceStatus.RUNNING) throw inUse(`temporary instance ${temp.uuid} is ${temp.status}; it can be regularized once it is RUNNING`);
    await svc.store.recovery.regularize(temp.uuid, svc.clock.now());
    log.info({ source: source.uuid, instance: temp.uuid }, 'temporary instance regularized');
    return { data: null };
});
