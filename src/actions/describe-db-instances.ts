import { implement } from '../api/contract-params.js';
import { DescribeDBInstances } from '../contract/instances.js';
import { notFound } from '../api/errors.js';
import type { Services } from '../services.js';
import type { Instance } from '../store/store.js';
import { TASK_STEP_COUNT } from '../tasks/definitions/index.js';
import { presentInstance, presentRoGroup } from './present.js';
import { enforcementFields } from '../provisioner/capabilities.js';

/** 100 when idle; while a task runs, the share of its steps done. */
async function progressOf(svc: Services, i: Instance): Promise<number> {
  if (i.status === 'RUNNING') return 100;
  const t = await svc.store.activeTask(i.uuid);
  const total = t ? TASK_STEP_COUNT.get(t.type) : undefined;
  return t && total ? (100 * Number(t.step)) / total : 0;
}

/** Filters: InstanceUuid exact, InstanceName and IP substrings, all combined with AND (spec §4.4). */
export const describeDbInstances = implement(DescribeDBInstances, async ({ svc, tenantId }, a) => {
  const { InstanceUuid: uuid, InstanceName: name, IP: ip, TagName: tag } = a;
  // Temporary instances are listed by DescribeTemporaryDBInstances until they are regularized (docs/recovery.md).
  const rows = (await svc.store.listInstances(tenantId, { uuid, name, ip })).filter((i) => !i.temp_source_uuid);
  // Instances carry no tags in openrds, so a TagName filter matches nothing.
  const matched = tag === undefined ? rows : [];
  if (uuid !== undefined && matched.length === 0) throw notFound('instance', uuid);
  const data = [];
  for (const i of matched) {
    const children = i.parent_uuid || Number(i.architecture) !== 1 ? [] : await svc.store.listReadOnlyChildren(i.uuid);
    const roGroups = [];
    for (const ro of children) roGroups.push(presentRoGroup(ro, await progressOf(svc, ro)));
    // openrds extension: how the spec's CPU/RAM are enforced (docs/engine-config.md "Resource limits", docs/storage.md).
    data.push({ ...presentInstance(svc.config.catalog, svc.config.networks, i, roGroups, svc.clock.now()), ...enforcementFields(svc.provisioner.capabilities) });
  }
  return { data };
});
