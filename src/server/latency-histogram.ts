/**
 * Per-command latency distribution for INFO latencystats, with the bucket layout of the
 * HdrHistogram Redis 7.0 keeps per command (values in nanoseconds from 1 ns to 1 s, two
 * significant figures), so a percentile is reported as the same bucket bound Redis reports:
 * 1000 ns is counted in [1000, 1003] and shown as 1.003 µs.
 *
 * Layout: 256 sub-buckets; bucket 0 counts 0..255 in steps of 1, and each further bucket
 * covers twice the range of the previous one with its upper 128 sub-buckets.
 */
const MIN_VALUE = 1;
const MAX_VALUE = 1_000_000_000;
const SUB_BUCKET_HALF_MAGNITUDE = 7;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE; // 128
const SUB_BUCKET_COUNT = SUB_BUCKET_HALF * 2; // 256
const SUB_BUCKET_MASK = SUB_BUCKET_COUNT - 1;
/** buckets until 256 << n exceeds MAX_VALUE */
const BUCKETS = 23;
const COUNTS = (BUCKETS + 1) * SUB_BUCKET_HALF;

function bucketIndex(v: number): number {
  // bits needed for v (at least 8), minus the sub-bucket magnitude + 1
  return 32 - Math.clz32(v | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_MAGNITUDE + 1);
}

function countsIndex(v: number): number {
  const b = bucketIndex(v);
  const sub = v >>> b;
  return ((b + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (sub - SUB_BUCKET_HALF);
}

/** the lowest value counted at index i */
function valueAtIndex(i: number): number {
  let b = (i >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (i & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (b < 0) {
    sub -= SUB_BUCKET_HALF;
    b = 0;
  }
  return sub * 2 ** b;
}

function lowestEquivalent(v: number): number {
  const b = bucketIndex(v);
  return (v >>> b) * 2 ** b;
}

function highestEquivalent(v: number): number {
  const b = bucketIndex(v);
  const sub = v >>> b;
  const range = 2 ** (sub >= SUB_BUCKET_COUNT ? b + 1 : b);
  return lowestEquivalent(v) + range - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS);
  private total = 0;

  /** Counts a command that took `usec` microseconds. */
  record(usec: number): void {
    let ns = usec * 1000;
    if (ns < MIN_VALUE) ns = MIN_VALUE;
    else if (ns > MAX_VALUE) ns = MAX_VALUE;
    this.counts[countsIndex(ns)]++;
    this.total++;
  }

  /** hdr_value_at_percentile, in nanoseconds. */
  valueAtPercentile(p: number): number {
    const want = Math.max(1, Math.floor(((p < 100 ? p : 100) / 100) * this.total + 0.5));
    let seen = 0;
    let v = 0;
    for (let i = 0; i < COUNTS; i++) {
      seen += this.counts[i];
      if (seen >= want) {
        v = valueAtIndex(i);
        break;
      }
    }
    return p === 0 ? lowestEquivalent(v) : highestEquivalent(v);
  }
}

/** `%f` with trailing zeros (and a bare point) trimmed: 50 -> "50", 99.9 -> "99.9". */
export function formatPercentile(p: number): string {
  return p.toFixed(6).replace(/\.?0+$/, '');
}

/** One INFO latencystats value: `p50=1.003,p99=2.007,p99.9=3.007`. */
export function percentilesLine(h: LatencyHistogram, percentiles: readonly number[]): string {
  return percentiles.map((p) => `p${formatPercentile(p)}=${(h.valueAtPercentile(p) / 1000).toFixed(3)}`).join(',');
}
