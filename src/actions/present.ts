/** Presenters: store rows → the exact shapes and JSON types of spec §4 (ints stay ints). */
import { architecture, type Catalog, type DiskType, type Spec, specName } from '../catalog/catalog.js';
import { findRegion } from '../catalog/catalog.js';
import { STATUS_STR, type InstanceStatus } from '../instances/status.js';
import type { Vdc } from '../network/network.js';
import type { Instance } from '../store/store.js';
import { parseHaState } from '../ha/ha-state.js';
import { parseReplicationRecord, readRecord } from '../ha/replication-record.js';

/** API time strings: `YYYY-MM-DD HH:MM:SS`, always UTC (docs/api.md). */
export function apiTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(Number(ms)).toISOString().slice(0, 19).replace('T', ' ');
}

/** Inverse of apiTime: `YYYY-MM-DD HH:MM:SS` (UTC) → epoch ms, or undefined when malformed or not a real date. */
export function parseApiTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return apiTime(ms) === s.trim() ? ms : undefined;
}

export function presentAttachDisk(d: DiskType) {
  return {
    BasicIops: d.BasicIops, DiskMax: d.DiskMax, DiskMaxExpand: d.DiskMaxExpand, DiskMin: d.DiskMin,
    DiskName: d.DiskName, DiskStep: d.DiskStep, DiskUnit: d.DiskUnit, DiskValue: d.DiskValue,
  };
}

export function presentCpuRam(s: Spec) {
  return { CPU: s.CPU, Name: specName(s), PaasGoodsId: s.PaasGoodsId, RAM: s.RAM };
}

/**
 * openrds extensions for HA primaries: whether acknowledged commits are known to be on the standby
 * (semi-sync ON) or not (ASYNC: a failover could lose them, so none is done automatically).
 */
function haFields(i: Instance) {
  if (Number(i.architecture) !== 1 || i.parent_uuid) return {};
  const ha = parseHaState(i.ha_state);
  const last = ha.failovers?.at(-1);
  return {
    HaSemiSync: ha.semiSync === undefined ? 'UNKNOWN' : ha.semiSync ? 'ON' : 'ASYNC',
    HaFailoverCount: ha.failovers?.length ?? 0,
    HaSwitchoverCount: ha.switchovers ?? 0,
    HaLastFailoverTime: last ? apiTime(last) : '',
    // Standby repairs, and how many of them needed a full copy of the primary (docs/ha.md "Rejoin after a failover").
    HaRejoinCount: ha.rejoins?.total ?? 0,
    HaRejoinFullCopyCount: ha.rejoins?.fullCopies ?? 0,
  };
}

/**
 * openrds extensions for HA primaries (their standby) and read-only instances (their node): the
 * replication state as last recorded by the control plane (docs/api.md, docs/ha.md
 * "Replication health"); basic instances have none.
 */
export function replicationFields(i: Instance, now: number) {
  if (Number(i.architecture) !== 1 && !i.parent_uuid) return {};
  const f = readRecord(parseReplicationRecord(i.replication), now);
  return { ...f, ReplicationObservedTime: apiTime(f.ReplicationObservedTime) };
}

/** A read-only instance as an item of its primary's RoGroups (spec §4.4); every field non-null. */
export function presentRoGroup(i: Instance, progress: number) {
  return {
    ServiceId: i.uuid,
    ServiceName: i.name,
    Status: i.status,
    Message: STATUS_STR[i.status as InstanceStatus] ?? i.status,
    Progress: Math.round(progress),
    Ip: i.ip,
    Port: Number(i.port),
    Cpu: Number(i.cpu),
    Ram: Number(i.ram_gb) * 1024,
    CreateTime: apiTime(i.created_at),
    InpaasId: i.uuid,
    Locked: '',
    ResourceId: i.uuid,
    SvcType: 'mysql-readonly',
  };
}

export function presentInstance(c: Catalog, vdcs: readonly Vdc[], i: Instance, roGroups: unknown[] = [], now = Date.now()) {
  const arch = architecture(c, i.architecture);
  const region = findRegion(c, i.region_id);
  const vdc = vdcs.find((v) => v.VdcId === i.vdc_id);
  const link = c.networkLinks[0];
  return {
    InstanceUuid: i.uuid,
    InstanceName: i.name,
    Status: i.status,
    StatusStr: STATUS_STR[i.status as InstanceStatus] ?? i.status,
    StatusDetail: i.status_detail,
    IP: i.ip,
    Port: Number(i.port),
    Cpu: Number(i.cpu),
    Ram: Number(i.ram_gb) * 1024,
    Disks: Number(i.disk_gb),
    DiskType: i.disk_type,
    // The disk guard (docs/storage.md): the fullest node's used share, and whether it holds the instance read-only.
    DiskUsedPercent: i.disk_used_pct === null || i.disk_used_pct === undefined ? null : Number(i.disk_used_pct),
    DiskReadOnly: Number(i.disk_read_only ?? 0) === 1,
    PaasGoodsId: Number(i.paas_goods_id),
    ArchitectureType: Number(i.architecture),
    RegionId: i.region_id,
    DisplayName: region?.DisplayName ?? i.region_id,
    VdcId: i.vdc_id,
    VdcName: vdc?.VdcName ?? '',
    BasePipeId: i.pipe_id,
    LinkType: link?.LinkType ?? 'default_link',
    LinkTypeStr: link?.Name ?? '默认链路',
    SubProductName: arch.SubProductName,
    SubProductKey: arch.SubProductKey,
    Version: i.version,
    TimeZone: i.time_zone,
    CreatedTime: apiTime(i.created_at),
    ResourceId: i.uuid,
    ProjectName: '默认项目',
    Tags: [],
    // For a read-only instance, the primary it replicates from (a string, as the SDK expects).
    MasterInfo: i.parent_uuid ?? '',
    RelationService: null,
    CloneServices: [],
    RoGroups: roGroups,
    ...haFields(i),
    ...replicationFields(i, now),
  };
}
