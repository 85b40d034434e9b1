/**
 * The one mapping from provisioner capabilities to DescribeDBInstances' documented strings
 * (src/provisioner/capabilities.ts), the local provisioner's capabilities from what the host
 * allows, and the pure parts of its incarnation id (src/provisioner/local/proc.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enforcementFields, type ProvisionerCapabilities } from '../../src/provisioner/capabilities.js';
import { localCapabilities } from '../../src/provisioner/local/local-provisioner.js';
import { parseStartTicks } from '../../src/provisioner/local/proc.js';

const caps = (disk: ProvisionerCapabilities['disk'], compute: ProvisionerCapabilities['compute']): ProvisionerCapabilities => ({ disk, compute });
const HARD_DISK = { limit: 'hard' as const, growsOnline: true, mechanism: 'loop-xfs', detail: '' };
const MEASURED = { limit: 'measured' as const, growsOnline: true, mechanism: 'watch', detail: '' };

const FIELD_CASES: Array<{ name: string; caps: ProvisionerCapabilities; want: { LimitsEnforced: string; DiskLimitEnforced: string } }> = [
  { name: 'cgroup v2 and a loop volume', caps: caps(HARD_DISK, { limit: 'hard', mechanism: 'cgroup-v2', detail: '' }), want: { LimitsEnforced: 'cgroup-v2', DiskLimitEnforced: 'loop-xfs' } },
  { name: 'cgroup v1 and a loop volume', caps: caps(HARD_DISK, { limit: 'hard', mechanism: 'cgroup-v1', detail: '' }), want: { LimitsEnforced: 'cgroup-v1', DiskLimitEnforced: 'loop-xfs' } },
  { name: 'advisory and watched', caps: caps(MEASURED, { limit: 'advisory', mechanism: 'advisory', detail: '' }), want: { LimitsEnforced: 'advisory', DiskLimitEnforced: 'watch' } },
  { name: 'advisory wins over a mechanism name', caps: caps(MEASURED, { limit: 'advisory', mechanism: 'cgroup-v2', detail: '' }), want: { LimitsEnforced: 'advisory', DiskLimitEnforced: 'watch' } },
  { name: 'measured wins over a mechanism name', caps: caps({ ...MEASURED, mechanism: 'loop-xfs' }, { limit: 'hard', mechanism: 'cgroup-v2', detail: '' }), want: { LimitsEnforced: 'cgroup-v2', DiskLimitEnforced: 'watch' } },
  { name: 'hard disk, advisory compute', caps: caps(HARD_DISK, { limit: 'advisory', mechanism: 'advisory', detail: '' }), want: { LimitsEnforced: 'advisory', DiskLimitEnforced: 'loop-xfs' } },
  { name: 'a Kubernetes adapter names its own mechanisms', caps: caps({ ...HARD_DISK, mechanism: 'pvc' }, { limit: 'hard', mechanism: 'pod-resources', detail: '' }), want: { LimitsEnforced: 'pod-resources', DiskLimitEnforced: 'pvc' } },
];
for (const c of FIELD_CASES) {
  test(`enforcementFields: ${c.name}`, () => assert.deepEqual(enforcementFields(c.caps), c.want));
}

const LOCAL_CASES = [
  { volumes: 'loop-xfs', limits: 'cgroup-v2', want: { LimitsEnforced: 'cgroup-v2', DiskLimitEnforced: 'loop-xfs' }, disk: 'hard', compute: 'hard' },
  { volumes: 'loop-xfs', limits: 'cgroup-v1', want: { LimitsEnforced: 'cgroup-v1', DiskLimitEnforced: 'loop-xfs' }, disk: 'hard', compute: 'hard' },
  { volumes: 'watch', limits: 'cgroup-v2', want: { LimitsEnforced: 'cgroup-v2', DiskLimitEnforced: 'watch' }, disk: 'measured', compute: 'hard' },
  { volumes: 'watch', limits: 'advisory', want: { LimitsEnforced: 'advisory', DiskLimitEnforced: 'watch' }, disk: 'measured', compute: 'advisory' },
  { volumes: 'loop-xfs', limits: 'advisory', want: { LimitsEnforced: 'advisory', DiskLimitEnforced: 'loop-xfs' }, disk: 'hard', compute: 'advisory' },
] as const;
for (const c of LOCAL_CASES) {
  test(`localCapabilities(${c.volumes}, ${c.limits}): the documented strings come back`, () => {
    const got = localCapabilities(c.volumes, 'no loop devices here', c.limits);
    assert.equal(got.disk.limit, c.disk);
    assert.equal(got.compute.limit, c.compute);
    assert.deepEqual(enforcementFields(got), c.want);
    if (c.volumes === 'watch') assert.equal(got.disk.detail, 'no loop devices here', 'the reason reaches the operator');
  });
}

const STAT = (comm: string, start: string) => `4242 (${comm}) S 1 4242 4242 0 -1 4194560 300 0 0 0 5 3 0 0 20 0 1 0 ${start} 123456 789 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0`;
const TICK_CASES: Array<{ name: string; stat: string; want: number | undefined }> = [
  { name: 'plain name', stat: STAT('mariadbd', '1073820'), want: 1073820 },
  { name: 'name with spaces and parentheses', stat: STAT('a b) (c', '55'), want: 55 },
  { name: 'no closing parenthesis', stat: '4242 mariadbd S 1', want: undefined },
  { name: 'truncated', stat: '4242 (x) S 1 2 3', want: undefined },
  { name: 'not a number', stat: STAT('x', 'abc'), want: undefined },
];
for (const c of TICK_CASES) {
  test(`parseStartTicks: ${c.name}`, () => assert.equal(parseStartTicks(c.stat), c.want));
}
