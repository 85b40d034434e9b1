import type { ActionDef } from '../api/action.js';
import { notFound } from '../api/errors.js';
import { presentInstance } from './present.js';

/** Filters: InstanceUuid exact, InstanceName and IP substrings, all combined with AND (spec §4.4). */
export const describeDbInstances: ActionDef = {
  name: 'DescribeDBInstances',
  async handler({ svc, tenantId }, p) {
    const uuid = p.str('InstanceUuid', { maxLen: 64 });
    const name = p.str('InstanceName', { maxLen: 64 });
    const ip = p.str('IP', { maxLen: 64 });
    const tag = p.str('TagName', { maxLen: 64 });
    const rows = await svc.store.listInstances(tenantId, { uuid, name, ip });
    // Instances carry no tags in openrds, so a TagName filter matches nothing.
    const matched = tag === undefined ? rows : [];
    if (uuid !== undefined && matched.length === 0) throw notFound('instance', uuid);
    return { data: matched.map((i) => presentInstance(svc.config.catalog, svc.config.networks, i)) };
  },
};
