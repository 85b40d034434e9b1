/** Pure: "did you mean …?" for a mistyped action or parameter name. */

/** Edit distance (insert, delete, substitute, swap of neighbours), case ignored. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/**
 * The closest of `candidates` to `word`, or undefined when none is close: at most a third of the
 * word's length in edits (at least 1), or one that equals it ignoring case, or contains it.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (!best || d < best.d) best = { c, d };
  }
  if (!best) return undefined;
  if (best.d <= Math.max(1, Math.floor(word.length / 3))) return best.c;
  const lower = word.toLowerCase();
  return lower.length >= 4 ? candidates.find((c) => c.toLowerCase().includes(lower)) : undefined;
}

/** ` (did you mean X?)` or ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c ? `; did you mean ${c}?` : '';
}
