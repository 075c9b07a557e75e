/** Random choices for the commands that return random elements (HRANDFIELD, SRANDMEMBER, ...). */

/** A uniformly random item of a non-empty array. */
export function pick<T>(a: readonly T[]): T {
  return a[Math.floor(Math.random() * a.length)];
}

/**
 * `count` distinct indices of [0, n) chosen uniformly at random, in random order, for
 * 0 <= count <= n: a partial Fisher-Yates shuffle when count is a good part of n, else random
 * indices drawn until `count` distinct ones came up (O(count), no array of n).
 */
export function sampleIndices(n: number, count: number): number[] {
  if (count * 3 > n) {
    const x = Array.from({ length: n }, (_, i) => i);
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
  while (seen.size < count) seen.add(Math.floor(Math.random() * n));
  return [...seen];
}

/** `count` distinct items of `a` chosen uniformly at random, in random order. */
export function sampleDistinct<T>(a: readonly T[], count: number): T[] {
  return sampleIndices(a.length, count).map((i) => a[i]);
}
