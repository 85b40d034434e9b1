/** decidePairRepair: what a resumed restart step repairs in an HA pair before it goes on (src/instances/resume-nodes.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePairRepair, type PairFacts, type PairNodeFacts, type PairRepair } from '../../src/instances/resume-nodes.js';

const P = '127.1.1.2:3306';
const S = '127.1.1.3:3306';

class PairBuilder {
  private f: PairFacts = {
    primary: { id: 'p', role: 'primary', addr: P, readOnly: false, pointed: undefined },
    standbys: [{ id: 's', role: 'standby', addr: S, readOnly: true, pointed: true }],
    endpointTarget: P,
    diskReadOnly: false,
    started: [],
  };
  primary(o: Partial<PairNodeFacts>): this { Object.assign(this.f.primary, o); return this; }
  standby(o: Partial<PairNodeFacts>): this { Object.assign(this.f.standbys[0]!, o); return this; }
  endpoint(t: string | undefined): this { this.f.endpointTarget = t; return this; }
  diskFull(): this { this.f.diskReadOnly = true; return this; }
  started(...ids: string[]): this { this.f.started = ids; return this; }
  build(): PairFacts { return structuredClone(this.f); }
}
const pair = () => new PairBuilder();
const fence = (nodeId: string): PairRepair => ({ kind: 'fence', nodeId });
const point = (nodeId: string): PairRepair => ({ kind: 'point-endpoint', nodeId });
const writable = (nodeId: string): PairRepair => ({ kind: 'writable', nodeId });
const replicate = (nodeId: string): PairRepair => ({ kind: 'replicate', nodeId });
const wait = (nodeId: string): PairRepair => ({ kind: 'wait-replicating', nodeId });
const refresh: PairRepair = { kind: 'refresh-configs' };

const CASES: Array<{ name: string; facts: PairFacts; want: PairRepair[] }> = [
  { name: 'healthy pair: nothing (only reads)', facts: pair().build(), want: [] },
  { name: 'standby stopped by the step and started again: wait for it', facts: pair().started('s').build(), want: [wait('s')] },
  { name: 'standby started, replication not up yet (already pointed): still only wait', facts: pair().started('s').standby({ pointed: true }).build(), want: [wait('s')] },
  { name: 'primary demoted, switchover not handed over: writable again', facts: pair().primary({ readOnly: true }).build(), want: [writable('p'), refresh] },
  { name: 'demoted primary but the disk guard holds it read-only: left read-only', facts: pair().primary({ readOnly: true }).diskFull().build(), want: [] },
  {
    name: 'standby promoted in the engine before the store knew: fenced, repointed, waited',
    facts: pair().primary({ readOnly: true }).standby({ readOnly: false, pointed: false }).build(),
    want: [fence('s'), writable('p'), replicate('s'), wait('s'), refresh],
  },
  {
    name: 'roles swapped in the store, endpoint not moved yet, old primary not repointed',
    facts: pair().primary({ id: 'n2', addr: S, readOnly: false }).standby({ id: 'n1', addr: P, readOnly: true, pointed: false }).endpoint(P).build(),
    want: [point('n2'), replicate('n1'), wait('n1'), refresh],
  },
  {
    name: 'endpoint moved, old primary not repointed yet',
    facts: pair().primary({ id: 'n2', addr: S }).standby({ id: 'n1', addr: P, pointed: false }).endpoint(S).build(),
    want: [replicate('n1'), wait('n1'), refresh],
  },
  { name: 'endpoint missing: made for the primary', facts: pair().endpoint(undefined).build(), want: [point('p'), refresh] },
  { name: 'standby replicating from a wrong source: repointed', facts: pair().standby({ pointed: false }).build(), want: [replicate('s'), wait('s'), refresh] },
  { name: 'standby source unknown (could not be asked): repointed and waited', facts: pair().standby({ pointed: undefined }).build(), want: [replicate('s'), wait('s'), refresh] },
  { name: 'read_only unknown (no answer): not fenced, not made writable', facts: pair().primary({ readOnly: undefined }).standby({ readOnly: undefined }).build(), want: [] },
  {
    name: 'both writable, endpoint at the store primary: fence the other, nothing else but its source',
    facts: pair().standby({ readOnly: false, pointed: false }).build(),
    want: [fence('s'), replicate('s'), wait('s'), refresh],
  },
];

for (const c of CASES) {
  test(`decidePairRepair: ${c.name}`, () => {
    assert.deepEqual(decidePairRepair(c.facts), c.want);
  });
}

test('decidePairRepair: never leaves two writable nodes (every plan fences a writable standby before anything else)', () => {
  for (const c of CASES) {
    const plan = decidePairRepair(c.facts);
    const writers = c.facts.standbys.filter((s) => s.readOnly === false).map((s) => s.id);
    for (const id of writers) assert.deepEqual(plan[writers.indexOf(id)], fence(id), c.name);
  }
});
