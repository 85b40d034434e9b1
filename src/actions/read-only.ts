/** Rules shared by the read-only instance actions (spec §4.19–§4.20). */
import { notFound, unsupported } from '../api/errors.js';
import type { Spec } from '../catalog/catalog.js';
import type { Services } from '../services.js';
import type { Instance } from '../store/store.js';

/** Only an HA primary can have read-only instances. */
export async function readOnlyParent(svc: Services, tenantId: string, uuid: string): Promise<Instance> {
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (inst.parent_uuid) throw unsupported(`instance ${uuid} is itself a read-only instance; read-only instances hang off an HA primary`);
  if (Number(inst.architecture) !== 1) throw unsupported(`instance ${uuid} is a basic (ArchitectureType 0) instance; only HA primaries can have read-only instances`);
  return inst;
}

/** Read-only specs at least as large as the primary (both CPU and RAM). */
export function allowedReadOnlySpecs(svc: Services, primary: Instance): Spec[] {
  return svc.config.catalog.readOnlySpecs.filter((s) => s.CPU >= primary.cpu && s.RAM >= primary.ram_gb);
}
