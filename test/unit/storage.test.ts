/** Pure logic of disk limits (docs/storage.md): volume plans, mountinfo/xfs_info parsing, the disk guard's decisions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountInfo, parseXfsDataBytes, planVolume, type VolumeObservation } from '../../src/provisioner/local/volumes.js';
import { decideDiskGuard, usedPercent, type DiskGuardObservation } from '../../src/reconciler/disk-decide.js';
import { validateStorage, DEFAULT_STORAGE } from '../../src/config/config.js';

const G = 1024 ** 3;
const none: VolumeObservation = { plainDirInUse: false };

const planCases: Array<{ name: string; obs: VolumeObservation; want: number; mode?: 'loop-xfs' | 'watch'; kind: string; steps: string[] }> = [
  { name: 'new node: make the image and mount it', obs: none, want: 100 * G, kind: 'loop-xfs', steps: ['create-image', 'mount', 'direct-io'] },
  { name: 'new node on a host without loop mounts: watched', obs: none, want: 100 * G, mode: 'watch', kind: 'watch', steps: [] },
  { name: 'a plain folder already holding data stays watched (never mount over data)', obs: { plainDirInUse: true }, want: 100 * G, kind: 'watch', steps: [] },
  { name: 'mounted at the right size: nothing', obs: { imageBytes: 100 * G, device: '/dev/loop3', deviceBytes: 100 * G, fsBytes: 100 * G, plainDirInUse: false }, want: 100 * G, kind: 'loop-xfs', steps: [] },
  { name: 'mounted, larger wanted: grow online', obs: { imageBytes: 100 * G, device: '/dev/loop3', deviceBytes: 100 * G, fsBytes: 100 * G, plainDirInUse: false }, want: 200 * G, kind: 'loop-xfs', steps: ['grow-image', 'refresh-device', 'grow-fs'] },
  { name: 'mounted without direct I/O (older openrds): switch it on', obs: { imageBytes: 100 * G, device: '/dev/loop3', deviceBytes: 100 * G, fsBytes: 100 * G, directIo: false, plainDirInUse: false }, want: 100 * G, kind: 'loop-xfs', steps: ['direct-io'] },
  { name: 'smaller wanted: images never shrink', obs: { imageBytes: 200 * G, device: '/dev/loop3', deviceBytes: 200 * G, fsBytes: 200 * G, plainDirInUse: false }, want: 100 * G, kind: 'loop-xfs', steps: [] },
  { name: 'crash after the image grew: refresh the device and grow the filesystem', obs: { imageBytes: 200 * G, device: '/dev/loop3', deviceBytes: 100 * G, fsBytes: 100 * G, plainDirInUse: false }, want: 200 * G, kind: 'loop-xfs', steps: ['refresh-device', 'grow-fs'] },
  { name: 'crash after the device was refreshed: grow the filesystem', obs: { imageBytes: 200 * G, device: '/dev/loop3', deviceBytes: 200 * G, fsBytes: 100 * G, plainDirInUse: false }, want: 200 * G, kind: 'loop-xfs', steps: ['grow-fs'] },
  { name: 'image there, not mounted (host restarted): mount, and grow the fs to the image', obs: { imageBytes: 100 * G, plainDirInUse: false }, want: 100 * G, kind: 'loop-xfs', steps: ['mount', 'direct-io', 'grow-fs'] },
  { name: 'not mounted and larger wanted: grow the image, mount, grow the fs', obs: { imageBytes: 100 * G, plainDirInUse: false }, want: 300 * G, kind: 'loop-xfs', steps: ['grow-image', 'mount', 'direct-io', 'grow-fs'] },
  { name: 'an image is used even on a host now set to watch', obs: { imageBytes: 100 * G, plainDirInUse: false }, want: 100 * G, mode: 'watch', kind: 'loop-xfs', steps: ['mount', 'direct-io', 'grow-fs'] },
];
for (const c of planCases) {
  test(`planVolume: ${c.name}`, () => {
    assert.deepEqual(planVolume(c.obs, c.want, c.mode ?? 'loop-xfs'), { kind: c.kind, steps: c.steps });
  });
}

test('parseMountInfo: mount point → source, octal escapes decoded, other lines ignored', () => {
  const text = [
    '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '812 22 7:3 / /tmp/h/nodes/n1/disk rw,noatime shared:400 - xfs /dev/loop3 rw,attr2,inode64',
    '813 22 7:4 / /tmp/with\\040space/disk rw - xfs /dev/loop4 rw',
    'garbage',
  ].join('\n');
  const m = parseMountInfo(text);
  assert.equal(m.get('/tmp/h/nodes/n1/disk'), '/dev/loop3');
  assert.equal(m.get('/tmp/with space/disk'), '/dev/loop4');
  assert.equal(m.get('/'), '/dev/vda');
  assert.equal(m.size, 3);
});

test('parseXfsDataBytes: data section size from xfs_info', () => {
  const info = `meta-data=/dev/loop0 isize=512 agcount=4, agsize=25600 blks
data     =                       bsize=4096   blocks=102400, imaxpct=25
log      =internal log           bsize=4096   blocks=16384, version=2`;
  assert.equal(parseXfsDataBytes(info), 4096 * 102400);
  assert.equal(parseXfsDataBytes('nothing here'), undefined);
});

const T = { readOnlyAtPercent: 95, writableBelowPercent: 90 };
const base: DiskGuardObservation = { percent: 50, held: false, busy: false, lastPercent: 50 };
const guardCases: Array<{ name: string; o: Partial<DiskGuardObservation>; action?: string; record?: number }> = [
  { name: 'plenty of room: nothing', o: {} },
  { name: 'nothing measured: nothing, not even a record', o: { percent: undefined, lastPercent: null } },
  { name: 'first measurement is recorded', o: { lastPercent: null }, record: 50 },
  { name: 'a change below 0.1 point is not recorded', o: { percent: 50.04 } },
  { name: 'a change of 0.1 point is recorded', o: { percent: 50.1 }, record: 50.1 },
  { name: 'at the threshold: hold', o: { percent: 95, lastPercent: 95 }, action: 'hold' },
  { name: 'above it while busy: still hold (blocking writes is always safe)', o: { percent: 97, lastPercent: 97, busy: true }, action: 'hold' },
  { name: 'just below the threshold: nothing', o: { percent: 94.9, lastPercent: 94.9 } },
  { name: 'held, between the thresholds, writer read-only: nothing (hysteresis)', o: { percent: 92, lastPercent: 92, held: true, writableNodeReadOnly: true } },
  { name: 'held, writer writable again (restart/failover): reassert', o: { percent: 96, lastPercent: 96, held: true, writableNodeReadOnly: false }, action: 'reassert' },
  { name: 'held, writer not read (read-only instance): nothing', o: { percent: 96, lastPercent: 96, held: true } },
  { name: 'held, below the lower threshold: release', o: { percent: 47, lastPercent: 47, held: true, writableNodeReadOnly: true }, action: 'release' },
  { name: 'held, below it but a task runs: wait', o: { percent: 47, lastPercent: 47, held: true, busy: true } },
  { name: 'held, writable again while busy: wait for the task', o: { percent: 96, lastPercent: 96, held: true, busy: true, writableNodeReadOnly: false } },
];
for (const c of guardCases) {
  test(`decideDiskGuard: ${c.name}`, () => {
    const d = decideDiskGuard({ ...base, ...c.o }, T);
    assert.equal(d.action, c.action);
    assert.equal(d.record, c.record);
  });
}

test('usedPercent is bounded and safe for a zero total', () => {
  assert.equal(usedPercent(50, 100), 50);
  assert.equal(usedPercent(150, 100), 100);
  assert.equal(usedPercent(5, 0), 0);
});

test('validateStorage: defaults pass, each bad field is named', () => {
  assert.deepEqual(validateStorage(DEFAULT_STORAGE), []);
  const bad = validateStorage({ volumes: 'nfs' as any, gbBytes: 5, readOnlyAtPercent: 120, writableBelowPercent: 99, guardIntervalMs: 10 });
  for (const f of ['volumes', 'gbBytes', 'readOnlyAtPercent', 'guardIntervalMs']) assert.ok(bad.some((e) => e.startsWith(f)), f);
  assert.ok(validateStorage({ ...DEFAULT_STORAGE, writableBelowPercent: 96 }).some((e) => e.startsWith('writableBelowPercent')));
});
