/**
 * DescribeDBParameter (spec §4.22): the curated parameters (docs/parameters.md) with the value
 * the primary runs right now (SHOW GLOBAL VARIABLES), not what the store holds. Every field is
 * a string.
 */
import { implement } from '../api/contract-params.js';
import { DescribeDBParameter } from '../contract/parameters.js';
import { notFound } from '../api/errors.js';
import { readFromEngine, readTarget } from '../accounts/lookup.js';

export const describeDbParameter = implement(DescribeDBParameter, async ({ svc, tenantId }, a) => {
  const uuid = a.InstanceUuid;
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  const catalog = svc.engine.parameters;
  const list = catalog.list();
  const live = await readFromEngine(inst, async () => svc.engine.readVariables(await readTarget(svc, inst), list.map((x) => x.name)));
  const spec = { cpu: inst.cpu, ramGb: inst.ram_gb, diskType: inst.disk_type };
  return {
    data: {
      Parameters: list.map((x) => ({
        Name: x.name,
        CurrentValue: live[x.name] ?? '',
        DefaultValue: catalog.defaultValue(x.name, spec),
        Description: x.description,
        IsModify: String(x.modifiable),
        IsRestart: String(x.restart),
        CheckingCode: catalog.checkingCode(x.name, spec),
      })),
    },
  };
});
