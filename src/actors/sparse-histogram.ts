import type { Histogram, JsHistogram } from 'hdr-histogram-js';

/**
 * HDR histogram deltas in a WindowDelta, as numbers: the non-empty buckets as a
 * flat array of `value, count` pairs, ascending by value; `[]` when empty.
 *
 *   [0, 41, 1, 12, 3, 1, 27, 2, 1536, 1]     (0 ms × 41, 1 ms × 12, … 1536 ms × 1)
 *
 * `value` is the lowest value of the bucket (`valueFromIndex`), so recording it
 * again (`recordValueWithCount`) into a histogram with the same significant digits
 * lands in the same bucket: decode → merge → percentile is exact with respect to
 * the recording histogram, and two deltas merge as two sorted lists.
 *
 * The pairs go as they are from the actors through the flush: the Redis sink
 * writes them as a MessagePack array of the same numbers (sinks/redis/packed-values.ts),
 * and the per-route Prometheus samples read them directly (runtime/route-samples.ts).
 * Nothing on the flush path formats or parses text.
 *
 * Why not `encodeIntoCompressedBase64`: it deflates a full counts array. On a
 * 1-second delta the sparse pairs are several times cheaper to produce (see
 * bench/actors-histogram.ts) and mergeable without zlib.
 */
export type SparseHistogram = number[];

export function encodeSparseHistogram(h: JsHistogram): SparseHistogram {
  if (h.totalCount === 0) return [];
  // Pairs go to a reused scratch first, then out in one array of the exact size: a
  // catch-up drain encodes thousands of histograms, and growing each array by push
  // allocated it two or three times over.
  const out = scratch;
  let n = 0;
  // Stop at the bucket holding the max instead of scanning the whole counts array...
  const last = Math.min(h.countsArrayLength - 1, countsIndexOf(h, h.maxValue));
  const half = h.subBucketHalfCount;
  const halfMagnitude = h.subBucketHalfCountMagnitude;
  const fast = h.unitMagnitude === 0;
  // ...and start at the bucket holding the lowest non-zero value (0 ms has bucket 0 to itself)
  const zeros = h.getCountAtIndex(0);
  if (zeros > 0) {
    out[n++] = h.valueFromIndex(0);
    out[n++] = zeros;
  }
  const min = h.minNonZeroValue;
  const first = min > h.maxValue ? last + 1 : Math.max(1, countsIndexOf(h, min));
  for (let i = first; i <= last; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    // valueFromIndex without Math.pow: bucket = i / half − 1, sub-bucket in its top half
    const bucket = (i >>> halfMagnitude) - 1;
    const value =
      !fast || bucket > 22 ? h.valueFromIndex(i) : bucket <= 0 ? i : ((i & (half - 1)) + half) << bucket;
    out[n++] = value;
    out[n++] = count;
  }
  return out.slice(0, n);
}

/** encodeSparseHistogram's scratch (one thread runs one encode at a time); grows to the widest histogram seen */
const scratch: number[] = [];

function countsIndexOf(h: JsHistogram, value: number): number {
  // `countsArrayIndex` is not part of the published typings; go through the public pieces.
  const bucket = h.getBucketIndex(value);
  const subBucket = h.getSubBucketIndex(value, bucket);
  return (bucket + 1) * h.subBucketHalfCount + (subBucket - h.subBucketHalfCount);
}

/** Sum of the counts. */
export function sparseTotal(pairs: SparseHistogram): number {
  let total = 0;
  for (let i = 1; i < pairs.length; i += 2) total += pairs[i]!;
  return total;
}

/** Adds the buckets into `target` (same digits for an exact round trip); returns the count added. */
export function decodeSparseHistogramInto(pairs: SparseHistogram, target: Histogram): number {
  let total = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const count = pairs[i + 1]!;
    if (count > 0) target.recordValueWithCount(pairs[i]!, count);
    total += count;
  }
  return total;
}

/** Merges two deltas (the operation the flush script performs in Redis). */
export function mergeSparseHistograms(a: SparseHistogram, b: SparseHistogram): SparseHistogram {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
    } else if (i >= a.length || b[j]! < a[i]!) {
      out.push(b[j]!, b[j + 1]!);
      j += 2;
    } else {
      out.push(a[i]!, a[i + 1]! + b[j + 1]!);
      i += 2;
      j += 2;
    }
  }
  return out;
}

/**
 * The sum of `n` deltas (`lists[0..n)`), as adding their histograms and encoding
 * the result would give it: one pass over their pairs, picking the lowest head
 * value each step (a roll-up has a handful of short windows, and a short window a
 * handful of buckets, so scanning the heads beats a heap and a full counts array).
 * Returns an input as it is when it is the only non-empty one (deltas are never
 * mutated). `heads` is scratch of length ≥ n, reused across calls.
 */
export function sumSparseHistograms(
  lists: readonly SparseHistogram[],
  n: number = lists.length,
  heads: number[] = new Array<number>(n),
): SparseHistogram {
  let nonEmpty = 0;
  let only: SparseHistogram = EMPTY;
  let pairs = 0;
  for (let k = 0; k < n; k++) {
    const list = lists[k]!;
    heads[k] = 0;
    if (list.length === 0) continue;
    nonEmpty++;
    only = list;
    pairs += list.length;
  }
  if (nonEmpty === 0) return [];
  if (nonEmpty === 1) return only;
  if (n === 2) return mergeSparseHistograms(lists[0]!, lists[1]!);
  const out: number[] = [];
  for (;;) {
    let min = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const list = lists[k]!;
      const h = heads[k]!;
      if (h < list.length && list[h]! < min) min = list[h]!;
    }
    if (min === Number.POSITIVE_INFINITY) break;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const list = lists[k]!;
      const h = heads[k]!;
      if (h < list.length && list[h] === min) {
        count += list[h + 1]!;
        heads[k] = h + 2;
      }
    }
    out.push(min, count);
    if (out.length === pairs) break; // every pair was distinct: nothing left
  }
  return out;
}

const EMPTY: SparseHistogram = [];

/**
 * Quantiles (percent, ascending) of a delta: the lowest bucket value at which
 * the cumulative count reaches q% of the total (HDR's definition); 0 when empty.
 */
export function sparseQuantiles(pairs: SparseHistogram, percents: number[]): number[] {
  const total = sparseTotal(pairs);
  return percents.map((q) => {
    if (total === 0) return 0;
    const target = Math.max(1, Math.ceil((q / 100) * total));
    let cum = 0;
    for (let k = 0; k + 1 < pairs.length; k += 2) {
      cum += pairs[k + 1]!;
      if (cum >= target) return pairs[k]!;
    }
    return pairs[pairs.length - 2]!;
  });
}

/**
 * Adds a delta's counts into fixed upper bounds (`le`, ascending, same unit as
 * the values): `into[k]` gets the counts of buckets whose value is ≤ bounds[k]
 * and > bounds[k-1]; `into[bounds.length]` gets the rest (+Inf). Not cumulative.
 * A bucket is placed by its lowest value, so a value a little above a bound
 * but in the same HDR bucket (2 significant digits: within 1%) counts below it.
 */
export function addToFixedBuckets(pairs: SparseHistogram, bounds: readonly number[], into: number[]): void {
  let k = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const value = pairs[i]!;
    while (k < bounds.length && value > bounds[k]!) k++;
    into[k]! += pairs[i + 1]!;
  }
}
