/** Instance actions: create, describe, delete (spec §4.3–§4.4, §4.7), read-only instances (§4.19–§4.20), spec changes (§4.5–§4.6). */
import { ATTACH_DISK, CPU_RAM, DISK_TYPE, EMPTY, INSTANCE_NAME, INSTANCE_UUID, INSTANCES_UUID, SERVICE_PORT, TIME_ZONES } from './common.js';
import { defineAction } from './types.js';

/** At most this many instances per CreateDBInstance / CreateReadOnlyDBInstance. */
export const MAX_AMOUNT = 3;

const RO_GROUP = {
  ServiceId: 'string', ServiceName: 'string', Status: 'string', Message: 'string', Progress: 'number', Ip: 'string', Port: 'number',
  Cpu: 'number', Ram: 'number', CreateTime: 'string', InpaasId: 'string', Locked: 'string', ResourceId: 'string', SvcType: 'string',
} as const;

export const INSTANCE_SHAPE = {
  InstanceUuid: 'string', InstanceName: 'string', Status: 'string', StatusStr: 'string', StatusDetail: 'string', IP: 'string', Port: 'number',
  Cpu: 'number', Ram: 'number', Disks: 'number', DiskType: 'string', DiskUsedPercent: 'number|null', DiskReadOnly: 'boolean',
  PaasGoodsId: 'number', ArchitectureType: 'number', RegionId: 'string', DisplayName: 'string', VdcId: 'string', VdcName: 'string',
  BasePipeId: 'string', LinkType: 'string', LinkTypeStr: 'string', SubProductName: 'string', SubProductKey: 'string', Version: 'string',
  TimeZone: 'string', CreatedTime: 'string', ResourceId: 'string', ProjectName: 'string', Tags: ['unknown'], MasterInfo: 'string',
  RelationService: 'unknown', CloneServices: ['unknown'], RoGroups: [RO_GROUP],
  HaSemiSync: 'string?', HaFailoverCount: 'number?', HaSwitchoverCount: 'number?', HaLastFailoverTime: 'string?', HaRejoinCount: 'number?', HaRejoinFullCopyCount: 'number?',
  ReplicationState: 'string?', ReplicationReason: 'string?', ReplicationIoRunning: 'boolean|null?', ReplicationSqlRunning: 'boolean|null?',
  ReplicationSecondsBehind: 'number|null?', ReplicationObservedTime: 'string?', ReplicationNodeId: 'string?',
  LimitsEnforced: 'string', DiskLimitEnforced: 'string',
} as const;

export const CreateDBInstance = defineAction({
  name: 'CreateDBInstance', group: 'instances', spec: '§4.3', wait: 'instances-running',
  summary: 'create basic or HA instances (an HA PaasGoodsId makes a primary and a semi-sync standby)',
  params: {
    RegionId: { type: 'string', required: true, maxLen: 64, desc: 'the region', example: 'CN_Beijing_A', range: 'a RegionId of DescribeRegions, on sale' },
    VdcId: { type: 'string', required: true, maxLen: 64, desc: 'the VDC (`openrds networks list`)', example: 'vdc-default' },
    BasePipeId: { type: 'string', required: true, maxLen: 64, desc: 'the network of the VDC the instance gets its IP from', example: 'pipe-default' },
    InstanceName: INSTANCE_NAME,
    PaasGoodsId: { type: 'integer', required: true, desc: 'the spec (CPU, RAM, basic or HA)', example: '27060', range: 'a PaasGoodsId of DescribeAvailableDBConfig' },
    DiskType: DISK_TYPE,
    DiskValue: { type: 'integer', required: true, desc: 'disk size in GB', example: '100', range: 'DiskMin–DiskMax of the DiskType, a multiple of DiskStep' },
    Password: { type: 'string', desc: 'password of the root (Super) account; none: no account', example: 'Shop-Pass1', range: 'the password policy (docs/accounts.md)' },
    Amount: { type: 'integer', min: 1, max: MAX_AMOUNT, desc: 'how many instances (default 1)', example: '1' },
    TimeZone: { type: 'string', oneOf: TIME_ZONES, desc: "the instance's time zone (default: the region's)", example: '+08:00' },
    ServicePort: SERVICE_PORT,
    SubjectId: { type: 'integer', min: 0, desc: 'billing subject (accepted, unused)', example: '0' },
  },
  response: INSTANCES_UUID,
});

export const DescribeDBInstances = defineAction({
  name: 'DescribeDBInstances', group: 'instances', spec: '§4.4', idempotent: true,
  summary: 'list instances, with filters',
  params: {
    InstanceUuid: { ...INSTANCE_UUID, required: false, desc: 'only this instance (exact; none → ResourceNotFound)' },
    InstanceName: { type: 'string', maxLen: 64, desc: 'name substring (ASCII case ignored)', example: 'shop' },
    IP: { type: 'string', maxLen: 64, desc: 'IP substring', example: '127.10.0.' },
    TagName: { type: 'string', maxLen: 64, desc: 'tag (openrds has no tags: matches nothing)', example: 'prod' },
  },
  response: [INSTANCE_SHAPE],
});

export const DeleteDBInstance = defineAction({
  name: 'DeleteDBInstance', group: 'instances', spec: '§4.7', wait: 'instance-deleted',
  summary: 'delete an instance (from RUNNING or ERROR; an HA primary after its read-only instances)',
  params: { InstanceUuid: INSTANCE_UUID },
  response: EMPTY,
});

export const DescribeAvailableReadOnlyConfig = defineAction({
  name: 'DescribeAvailableReadOnlyConfig', group: 'read-only', spec: '§4.19', idempotent: true,
  summary: 'the read-only specs and disks an HA primary allows',
  params: { InstanceUuid: { ...INSTANCE_UUID, desc: 'the HA primary' } },
  response: {
    ArchitectureName: 'string', SubProductName: 'string', Version: 'string',
    ComputeRoles: [{ ComputeName: 'string', ComputeType: 'number', Standards: { AttachDisk: [ATTACH_DISK], CpuRam: [CPU_RAM] } }],
  },
});

export const CreateReadOnlyDBInstance = defineAction({
  name: 'CreateReadOnlyDBInstance', group: 'read-only', spec: '§4.20', wait: 'instances-running',
  summary: 'add read-only instances to an HA primary',
  params: {
    InstanceUuid: { ...INSTANCE_UUID, desc: 'the HA primary' },
    InstanceName: INSTANCE_NAME,
    PaasGoodsId: { type: 'integer', required: true, desc: 'the read-only spec', example: '15686', range: 'a CpuRam of DescribeAvailableReadOnlyConfig' },
    DiskType: DISK_TYPE,
    DiskValue: { type: 'integer', required: true, desc: 'disk size in GB', example: '100', range: "at least the primary's disk, DiskMin–DiskMax, a multiple of DiskStep" },
    Amount: { type: 'integer', min: 1, max: MAX_AMOUNT, desc: 'how many read-only instances (default 1)', example: '1' },
    ServicePort: SERVICE_PORT,
    TestGroupId: { type: 'integer', min: 0, desc: 'accepted, unused', example: '0' },
    SubjectId: { type: 'integer', min: 0, desc: 'billing subject (accepted, unused)', example: '0' },
  },
  response: INSTANCES_UUID,
});

export const DescribeModifiableDBSpec = defineAction({
  name: 'DescribeModifiableDBSpec', group: 'specs', spec: '§4.5', idempotent: true,
  summary: 'the specs and disk sizes an instance can move to',
  params: { InstanceUuid: INSTANCE_UUID },
  response: {
    AttachDisk: [ATTACH_DISK],
    CpuRam: [{ CPU: 'number', Name: 'string', N: 'string', PaasGoodsId: 'number', RAM: 'number' }],
    ProductName: 'string', RegionId: 'string',
  },
});

export const ModifyDBInstanceSpec = defineAction({
  name: 'ModifyDBInstanceSpec', group: 'specs', spec: '§4.6', wait: 'instance-running',
  summary: 'change the CPU/RAM spec and/or grow the disk',
  params: {
    InstanceUuid: INSTANCE_UUID,
    PaasGoodsId: { type: 'integer', desc: 'the new spec', example: '26704', range: 'a CpuRam of DescribeModifiableDBSpec' },
    DiskType: { ...DISK_TYPE, required: false, desc: "the instance's own disk type (with DiskValue)" },
    DiskValue: { type: 'integer', desc: 'GB to add (with DiskType)', example: '50', range: 'a multiple of DiskStep, the total at most DiskMax' },
  },
  response: EMPTY,
});
