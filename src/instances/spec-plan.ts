/**
 * Spec changes (spec §4.5–§4.6, docs/engine-config.md "Spec changes"): which specs and disk sizes an
 * instance may move to, and the validation of a ModifyDBInstanceSpec request. Pure functions.
 */
import type { Catalog, DiskType, Spec } from '../catalog/catalog.js';
import type { Instance } from '../store/store.js';

type Inst = Pick<Instance, 'architecture' | 'parent_uuid' | 'paas_goods_id' | 'cpu' | 'ram_gb' | 'disk_type' | 'disk_gb'>;
type Parent = Pick<Instance, 'cpu' | 'ram_gb'>;
/** A read-only instance of the instance being changed: the primary may never outgrow it. */
type Child = Pick<Instance, 'uuid' | 'cpu' | 'ram_gb' | 'disk_gb'>;

/** The smallest CPU, RAM and disk among the read-only instances, or undefined without any. */
function smallestChild(children: readonly Child[]): { cpu: number; ramGb: number; diskGb: number; by: Record<'cpu' | 'ram' | 'disk', string> } | undefined {
  if (children.length === 0) return undefined;
  const pick = (f: (c: Child) => number) => children.reduce((a, b) => (f(b) < f(a) ? b : a));
  const cpu = pick((c) => Number(c.cpu));
  const ram = pick((c) => Number(c.ram_gb));
  const disk = pick((c) => Number(c.disk_gb));
  return { cpu: Number(cpu.cpu), ramGb: Number(ram.ram_gb), diskGb: Number(disk.disk_gb), by: { cpu: cpu.uuid, ram: ram.uuid, disk: disk.uuid } };
}

/**
 * Specs the instance can be changed to, up and down, its current one excluded: the specs of its own
 * architecture; for a read-only instance, the read-only specs at least as large as its primary;
 * for a primary with read-only instances, none larger than the smallest of them.
 */
export function modifiableSpecs(c: Catalog, inst: Inst, parent?: Parent, children: readonly Child[] = []): Spec[] {
  const small = smallestChild(children);
  const pool = inst.parent_uuid
    ? c.readOnlySpecs.filter((s) => !parent || (s.CPU >= Number(parent.cpu) && s.RAM >= Number(parent.ram_gb)))
    : c.specs.filter((s) => s.ArchitectureType === Number(inst.architecture) && (!small || (s.CPU <= small.cpu && s.RAM <= small.ramGb)));
  return pool.filter((s) => s.PaasGoodsId !== Number(inst.paas_goods_id));
}

/**
 * The instance's own disk type with the rules that still apply, in total GB: DiskMin is the smallest
 * size it can grow to (current + one step), DiskMax the catalog maximum, DiskMaxExpand how many GB
 * can still be added. At the maximum, DiskMin = DiskMax = the current size and DiskMaxExpand 0.
 */
export function modifiableDisk(d: DiskType, inst: Pick<Instance, 'disk_gb'>, children: readonly Child[] = []): DiskType {
  const cur = Number(inst.disk_gb);
  // A primary's disk may not outgrow its read-only instances' (they hold the same data).
  const cap = Math.min(d.DiskMax, smallestChild(children)?.diskGb ?? Infinity);
  const room = Math.max(0, cap - cur);
  const grow = Math.floor(room / d.DiskStep) * d.DiskStep;
  return { ...d, DiskMin: grow > 0 ? cur + d.DiskStep : cur, DiskMax: Math.max(d.DiskMax, cur), DiskMaxExpand: grow };
}

export interface SpecRequest {
  paasGoodsId?: number;
  diskType?: string;
  /** GB to add (spec §4.6: an increment). */
  diskValue?: number;
}

export interface SpecTarget {
  paasGoodsId: number;
  cpu: number;
  ramGb: number;
  diskGb: number;
}

export interface SpecPlan {
  before: SpecTarget;
  after: SpecTarget;
  /** CPU/RAM change: the nodes restart with the new config. */
  specChanged: boolean;
  /** Disk growth: online, no restart. */
  diskGrown: boolean;
}

export type SpecDecision =
  | { ok: true; plan: SpecPlan }
  | { ok: false; code: 'InvalidParameter' | 'UnsupportedOperation' | 'ArgMissing'; param: string; why: string };

const fail = (code: 'InvalidParameter' | 'UnsupportedOperation' | 'ArgMissing', param: string, why: string): SpecDecision => ({ ok: false, code, param, why });

/** Validates a ModifyDBInstanceSpec request against the catalog and the instance (spec §4.6). */
export function decideSpecChange(c: Catalog, inst: Inst, req: SpecRequest, parent?: Parent, children: readonly Child[] = []): SpecDecision {
  const small = smallestChild(children);
  const before: SpecTarget = { paasGoodsId: Number(inst.paas_goods_id), cpu: Number(inst.cpu), ramGb: Number(inst.ram_gb), diskGb: Number(inst.disk_gb) };
  const after = { ...before };
  if (req.paasGoodsId === undefined && req.diskType === undefined && req.diskValue === undefined) {
    return fail('ArgMissing', 'PaasGoodsId', 'give PaasGoodsId, or DiskType and DiskValue, or all three');
  }
  if (req.paasGoodsId !== undefined && req.paasGoodsId !== before.paasGoodsId) {
    const ro = !!inst.parent_uuid;
    const all = ro ? c.readOnlySpecs : c.specs;
    const spec = all.find((s) => s.PaasGoodsId === req.paasGoodsId);
    if (!spec) return fail('InvalidParameter', 'PaasGoodsId', `unknown ${ro ? 'read-only ' : ''}PaasGoodsId ${req.paasGoodsId}; DescribeModifiableDBSpec lists the allowed ones`);
    if (!ro && spec.ArchitectureType !== Number(inst.architecture)) {
      return fail('InvalidParameter', 'PaasGoodsId', `spec ${req.paasGoodsId} belongs to another architecture (${spec.ArchitectureType}); the architecture of an instance cannot change`);
    }
    if (ro && parent && (spec.CPU < Number(parent.cpu) || spec.RAM < Number(parent.ram_gb))) {
      return fail('InvalidParameter', 'PaasGoodsId', `a read-only instance may not be smaller than its primary (${parent.cpu}C${parent.ram_gb}G)`);
    }
    if (small && (spec.CPU > small.cpu || spec.RAM > small.ramGb)) {
      const who = spec.CPU > small.cpu ? small.by.cpu : small.by.ram;
      return fail('InvalidParameter', 'PaasGoodsId', `spec ${req.paasGoodsId} (${spec.CPU}C${spec.RAM}G) is larger than read-only instance ${who} (${small.cpu} CPU, ${small.ramGb} GB RAM at the least); a read-only instance may never be smaller than its primary: resize the read-only instances first`);
    }
    Object.assign(after, { paasGoodsId: spec.PaasGoodsId, cpu: spec.CPU, ramGb: spec.RAM });
  }
  if (req.diskType !== undefined || req.diskValue !== undefined) {
    if (req.diskType === undefined) return fail('ArgMissing', 'DiskType', 'DiskValue needs DiskType (the instance\'s own disk type)');
    if (req.diskValue === undefined) return fail('ArgMissing', 'DiskValue', 'DiskType needs DiskValue (the GB to add)');
    if (req.diskType !== inst.disk_type) return fail('InvalidParameter', 'DiskType', `must be the instance's disk type ${inst.disk_type}; the disk type cannot change`);
    const d = c.disks.find((x) => x.DiskValue === inst.disk_type);
    if (!d) return fail('InvalidParameter', 'DiskType', `disk type ${inst.disk_type} is no longer in the catalog`);
    if (req.diskValue <= 0) return fail('UnsupportedOperation', 'DiskValue', `DiskValue is the GB to add and must be positive; a disk cannot shrink (now ${before.diskGb} GB)`);
    if (req.diskValue % d.DiskStep !== 0) return fail('InvalidParameter', 'DiskValue', `must be a multiple of ${d.DiskStep} GB`);
    const total = before.diskGb + req.diskValue;
    if (total > d.DiskMax) return fail('InvalidParameter', 'DiskValue', `${before.diskGb} + ${req.diskValue} GB is above the maximum of ${d.DiskMax} GB`);
    if (small && total > small.diskGb) {
      return fail('InvalidParameter', 'DiskValue', `${total} GB is more than read-only instance ${small.by.disk} has (${small.diskGb} GB); grow the read-only instances' disks first`);
    }
    after.diskGb = total;
  }
  const specChanged = after.cpu !== before.cpu || after.ramGb !== before.ramGb || after.paasGoodsId !== before.paasGoodsId;
  const diskGrown = after.diskGb > before.diskGb;
  if (!specChanged && !diskGrown) return fail('InvalidParameter', 'PaasGoodsId', `the instance already has spec ${before.paasGoodsId}; nothing to change`);
  return { ok: true, plan: { before, after, specChanged, diskGrown } };
}

/** Engine variables that show a spec is in effect on a node (memoryPlan(), docs/engine-config.md). */
export const SPEC_VARIABLES = ['innodb_buffer_pool_size', 'max_connections', 'thread_cache_size'] as const;

/**
 * Which nodes still run with settings of another spec (so they must restart): a node whose live
 * value of a SPEC_VARIABLES entry differs from `expected` (the user's parameter when one is set,
 * else the memory plan of the target spec). A node that cannot be read is restarted too.
 */
export function decideSpecRestarts(
  expected: Readonly<Record<string, string>>,
  live: ReadonlyArray<{ nodeId: string; values: Readonly<Record<string, string>> | undefined }>,
  same: (name: string, a: string, b: string) => boolean,
): string[] {
  return live.filter((n) => !n.values || Object.entries(expected).some(([k, v]) => n.values![k] === undefined || !same(k, n.values![k]!, v))).map((n) => n.nodeId);
}
