/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, and total (inclusive)
 * time by function, top N each. Usage: node --import tsx bench/cpuprofile-top.ts FILE [N] [FROM_S-TO_S]
 * FROM_S-TO_S keeps only the samples taken that many seconds after the profile started (for
 * example the idle phase of bench:density, whose log gives its wall-clock times).
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const topN = Number(process.argv[3] ?? 30);
const win = process.argv[4]?.split('-').map((x) => Number(x) * 1e6);
if (win) {
  // Sample i is taken at the sum of timeDeltas[0..i]; keep those inside the window.
  let t = 0;
  const keep = prof.timeDeltas.map((d) => ((t += d), t >= win[0]! && t < win[1]!));
  prof.samples = prof.samples.filter((_, i) => keep[i]);
  prof.timeDeltas = prof.timeDeltas.filter((_, i) => keep[i]);
}
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const short = (u: string) => u.replace(/^file:\/\//, '').replace(/^.*node_modules\//, 'nm/').replace(/^.*\/main\//, '');
const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const incl = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  self.set(key(n), (self.get(key(n)) ?? 0) + us);
  const f = short(n.callFrame.url).replace(/^nm\/([^/]+(\/[^/]+)?)\/.*$/, 'nm/$1') || `(${n.callFrame.functionName})`;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n## ${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, topN)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  }
};
show('self time by function', self);
show('self time by file / package', byFile);
show('inclusive time by function', incl);
