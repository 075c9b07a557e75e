/** Random choices for the commands that return random elements (HRANDFIELD, SRANDMEMBER, ...). */

/** A uniformly random item of a non-empty array. */
export function pick<T>(a: readonly T[]): T {
  return a[Math.floor(Math.random() * a.length)];
}

/**
 * `count` distinct items chosen uniformly at random, in random order, for
 * 0 <= count <= a.length. O(count): a partial Fisher-Yates shuffle of a copy when count is a
 * good part of the array, else random indices drawn until `count` distinct ones came up.
 */
export function sampleDistinct<T>(a: readonly T[], count: number): T[] {
  const n = a.length;
  if (count * 3 > n) {
    const x = a.slice();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (n - i));
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    x.length = count;
    return x;
  }
  const seen = new Set<number>();
  const out: T[] = [];
  while (out.length < count) {
    const i = Math.floor(Math.random() * n);
    if (seen.has(i)) continue;
    seen.add(i);
    out.push(a[i]);
  }
  return out;
}
