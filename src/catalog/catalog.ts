/**
 * The sellable catalog: regions, specs (PaasGoodsId = architecture + CPU + RAM), disks and
 * network links. Defaults reproduce the seed (see defaults.ts); config.json may replace any part.
 */
export interface Region {
  RegionId: string;
  SiteName: string;
  CityName: string;
  RegionName: string;
  CityId: string;
  IsSaling: number;
  /** Default TimeZone of instances created here. */
  TimeZone: string;
  /** DisplayName of instances, e.g. 亚太地区-香港-可用区A. */
  DisplayName: string;
}

export const ARCHITECTURES = { basic: 0, ha: 1 } as const;
export type ArchitectureType = (typeof ARCHITECTURES)[keyof typeof ARCHITECTURES];

export interface Spec {
  PaasGoodsId: number;
  ArchitectureType: ArchitectureType;
  CPU: number;
  /** GB */
  RAM: number;
}

export interface DiskType {
  DiskValue: string;
  DiskName: string;
  BasicIops: string;
  DiskMin: number;
  DiskMax: number;
  DiskMaxExpand: number;
  DiskStep: number;
  DiskUnit: string;
}

export interface NetworkLink {
  LinkType: string;
  Name: string;
  DescDetail: string;
}

export interface ArchitectureInfo {
  ArchitectureType: ArchitectureType;
  ArchitectureName: string;
  SubProductName: string;
  /** SubProductKey / ProductType. */
  SubProductKey: string;
}

export interface Catalog {
  regions: Region[];
  architectures: ArchitectureInfo[];
  specs: Spec[];
  readOnlySpecs: Spec[];
  disks: DiskType[];
  networkLinks: NetworkLink[];
  computeRoles: { ComputeType: number; ComputeName: string }[];
}

export const specName = (s: Pick<Spec, 'CPU' | 'RAM'>) => `${s.CPU}C${s.RAM}G`;

export function findSpec(c: Catalog, id: number): Spec | undefined {
  return c.specs.find((s) => s.PaasGoodsId === id);
}

export function findRegion(c: Catalog, id: string): Region | undefined {
  return c.regions.find((r) => r.RegionId === id);
}

export function findDisk(c: Catalog, id: string): DiskType | undefined {
  return c.disks.find((d) => d.DiskValue === id);
}

export function architecture(c: Catalog, t: number): ArchitectureInfo {
  const a = c.architectures.find((x) => x.ArchitectureType === t);
  if (!a) throw new Error(`catalog has no architecture ${t}`);
  return a;
}

/** Checks a catalog (defaults or a config override) for the invariants the actions rely on. */
export function validateCatalog(c: Catalog): string[] {
  const errs: string[] = [];
  const ids = new Set<number>();
  for (const s of [...c.specs, ...c.readOnlySpecs]) {
    if (ids.has(s.PaasGoodsId)) errs.push(`duplicate PaasGoodsId ${s.PaasGoodsId}`);
    ids.add(s.PaasGoodsId);
    if (!c.architectures.some((a) => a.ArchitectureType === s.ArchitectureType)) errs.push(`spec ${s.PaasGoodsId}: unknown architecture`);
    if (!(s.CPU > 0 && s.RAM > 0)) errs.push(`spec ${s.PaasGoodsId}: CPU and RAM must be positive`);
  }
  for (const d of c.disks) {
    if (d.DiskMin <= 0 || d.DiskStep <= 0 || d.DiskMax < d.DiskMin) errs.push(`disk ${d.DiskValue}: bad limits`);
  }
  if (c.regions.length === 0) errs.push('no regions');
  return errs;
}
