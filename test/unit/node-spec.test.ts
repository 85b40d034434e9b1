/** nodeSpec: what a node's config is rendered from, decided from the store's instance and node rows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeSpec } from '../../src/instances/nodes.js';
import type { Instance, Node } from '../../src/store/store.js';

const INST = { uuid: 'i-1', architecture: 0, parent_uuid: null, cpu: 1, ram_gb: 2, disk_gb: 100, disk_type: 'ssd_disk', time_zone: '+08:00', disk_read_only: 0 } as unknown as Instance;
const NODE = { id: 'n-1', server_id: 7, ip: '127.0.0.2', port: 3306, role: 'primary' } as unknown as Node;

const CASES: Array<{ name: string; inst?: Partial<Instance>; node?: Partial<Node>; rejoin?: boolean; archive?: boolean; want: Partial<ReturnType<typeof nodeSpec>> }> = [
  { name: 'basic primary: writable, default expiry, no rejoin option', want: { topology: 'none', readOnly: undefined, binlogExpireSeconds: undefined, rejoinAsStandby: undefined } },
  { name: 'disk guard holds the instance: starts read-only', inst: { disk_read_only: 1 } as Partial<Instance>, want: { readOnly: true } },
  { name: 'disk guard holds an HA standby: read-only too', inst: { architecture: 1, disk_read_only: 1 } as Partial<Instance>, node: { role: 'standby' }, want: { readOnly: true, rejoinAsStandby: true } },
  { name: 'HA standby with truncation on', inst: { architecture: 1 } as Partial<Instance>, node: { role: 'standby' }, want: { topology: 'ha', rejoinAsStandby: true } },
  { name: 'HA standby with truncation off', inst: { architecture: 1 } as Partial<Instance>, node: { role: 'standby' }, rejoin: false, want: { rejoinAsStandby: undefined } },
  { name: 'HA primary never starts with the rejoin option', inst: { architecture: 1 } as Partial<Instance>, want: { rejoinAsStandby: undefined } },
  { name: 'archive on: time-based expiry off', archive: true, want: { binlogExpireSeconds: 0 } },
  { name: 'archive on, read-only instance: not archived, default expiry', inst: { parent_uuid: 'i-0' } as Partial<Instance>, node: { role: 'replica' }, archive: true, want: { topology: 'readonly', binlogExpireSeconds: undefined } },
];

for (const c of CASES) {
  test(`nodeSpec: ${c.name}`, () => {
    const s = nodeSpec({ ...INST, ...c.inst } as Instance, { ...NODE, ...c.node } as Node, {}, 1000, c.rejoin ?? true, c.archive ?? false);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual((s as any)[k], v, k);
    assert.equal(s.serverId, 7);
  });
}
