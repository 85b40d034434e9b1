/** DescribeTemporaryDBInstances (spec §4.28): the temporary instances restored from an instance, not yet regularized. */
import { implement } from '../api/contract-params.js';
import { DescribeTemporaryDBInstances } from '../contract/recovery.js';
import { presentTemporary, progressOf, sourceInstance, UUID_PARAM } from './recovery-params.js';

// The contract validates first (src/contract/recovery.ts); the reads below keep the handler's own rules.
export const describeTemporaryDbInstances = implement(DescribeTemporaryDBInstances, async ({ svc, tenantId }, _a, p) => {
    const uuid = p.str('InstanceUuid', UUID_PARAM);
    const source = await sourceInstance(svc, tenantId, uuid);
    const data = [];
    for (const t of await svc.store.recovery.listTemporaries(source.uuid)) data.push(presentTemporary(t, await progressOf(svc, t)));
    return { data };
});
