/** Parameter declarations and shapes shared by several actions (pure data). */
import type { Shape } from './types.js';

export const INSTANCE_UUID = {
  type: 'string', required: true, maxLen: 64, desc: 'the instance (DescribeDBInstances lists them)', example: '7b1f3c2e-5a4d-4e8b-9c1a-2f3e4d5c6b7a',
} as const;

export const INSTANCE_NAME = { type: 'text', required: true, minLen: 1, maxLen: 64, desc: 'a name for the instance (free text)', example: 'shop' } as const;

/** MariaDB names: 1–64 characters of the Basic Multilingual Plane (docs/accounts.md "Names"). */
export const ENGINE_NAME = { minLen: 1, maxLen: 64, engineName: true } as const;

export const ACCOUNT_NAME = { type: 'string', required: true, ...ENGINE_NAME, desc: 'the account (user) name', example: 'app' } as const;

export const DISK_TYPE = {
  type: 'string', required: true, maxLen: 64, desc: 'the disk type', example: 'ssd_disk', range: 'a DiskValue of DescribeAvailableDBConfig AttachDisk',
} as const;

export const SERVICE_PORT = {
  type: 'integer', min: 1024, max: 65535, desc: 'the port MariaDB listens on (default 3306)', example: '3306', range: '1024–65535 except 9100 and 9101',
} as const;

/** UTC times of requests, `YYYY-MM-DD HH:MM:SS` (docs/api.md). */
export const API_TIME = {
  type: 'string', required: true, maxLen: 32, range: 'YYYY-MM-DD HH:MM:SS, a real UTC instant', desc: 'UTC time', example: '2026-01-01 00:00:00',
} as const;

export const TIME_ZONES = [
  '-12:00', '-11:00', '-10:00', '-09:00', '-08:00', '-07:00', '-06:00', '-05:00', '-04:00', '-03:00', '-02:00', '-01:00',
  '+00:00', '+01:00', '+02:00', '+03:00', '+04:00', '+05:00', '+05:30', '+06:00', '+07:00', '+08:00', '+09:00', '+10:00',
  '+11:00', '+12:00', '+13:00',
] as const;

/** Privilege levels of ModifyDbPrivilege (src/accounts/privileges.ts PRIVILEGE_LEVELS has the lists). */
export const PRIVILEGE_LEVEL_NAMES = ['ReadWrite', 'DMLOnly', 'ReadOnly', 'DDLOnly'] as const;

/** Metric keys of spec §4.21, typo `mysql_network_trffice` included (src/metrics/definitions.ts). */
export const METRIC_KEYS = ['mysql_cpu_usage', 'mysql_mem_usage', 'mysql_space_usage', 'mysql_network_trffice', 'mysql_sessions', 'mysql_slow_queries'] as const;

export const EMPTY = {} as const satisfies Shape;
export const INSTANCES_UUID = { InstancesUuid: ['string'] } as const satisfies Shape;

export const ATTACH_DISK = {
  BasicIops: 'string', DiskMax: 'number', DiskMaxExpand: 'number', DiskMin: 'number', DiskName: 'string', DiskStep: 'number', DiskUnit: 'string', DiskValue: 'string',
} as const satisfies Shape;
export const CPU_RAM = { CPU: 'number', Name: 'string', PaasGoodsId: 'number', RAM: 'number' } as const satisfies Shape;
