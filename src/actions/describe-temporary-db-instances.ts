/** DescribeTemporaryDBInstances (spec §4.28): the temporary instances restored from an instance, not yet regularized. */
import type { ActionDef } from '../api/action.js';
import { presentTemporary, progressOf, sourceInstance, UUID_PARAM } from './recovery-params.js';

export const describeTemporaryDbInstances: ActionDef = {
  name: 'DescribeTemporaryDBInstances',
  async handler({ svc, tenantId }, p) {
    const uuid = p.str('InstanceUuid', UUID_PARAM);
    const source = await sourceInstance(svc, tenantId, uuid);
    const data = [];
    for (const t of await svc.store.recovery.listTemporaries(source.uuid)) data.push(presentTemporary(t, await progressOf(svc, t)));
    return { data };
  },
};
