/** DescribeTemporaryDBInstances (spec §4.28): the temporary instances restored from an instance, not yet regularized. */
import { implement } from '../api/contract-params.js';
import { DescribeTemporaryDBInstances } from '../contract/recovery.js';
import { presentTemporary, progressOf, sourceInstance } from './recovery-params.js';

export const describeTemporaryDbInstances = implement(DescribeTemporaryDBInstances, async ({ svc, tenantId }, a) => {
    const source = await sourceInstance(svc, tenantId, a.InstanceUuid);
    const data = [];
    for (const t of await svc.store.recovery.listTemporaries(source.uuid)) data.push(presentTemporary(t, await progressOf(svc, t)));
    return { data };
});
