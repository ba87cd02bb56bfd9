import type { Histogram, JsHistogram } from 'hdr-histogram-js';

/**
 * The encoding of HDR histogram deltas in a WindowDelta: the non-empty buckets
 * as `value:count` pairs, ascending by value, joined by commas; '' when empty.
 *
 *   "0:41,1:12,3:1,27:2,1536:1"
 *
 * `value` is the lowest value of the bucket (`valueFromIndex`), so recording it
 * again (`recordValueWithCount`) into a histogram with the same significant digits
 * lands in the same bucket: decode → merge → percentile is exact with respect to
 * the recording histogram, and two encodings merge as two sorted lists.
 * The Redis sink stores the same pairs as MessagePack, which Lua merges faster
 * (sinks/redis/packed-values.ts).
 *
 * Why not `encodeIntoCompressedBase64`: it deflates a full counts array. On a
 * 1-second delta the sparse text is several times cheaper to produce (see
 * bench/actors-histogram.ts), readable in logs, and mergeable without zlib.
 */
export function encodeSparseHistogram(h: JsHistogram): string {
  if (h.totalCount === 0) return '';
  // Stop at the bucket holding the max instead of scanning the whole counts array.
  const last = Math.min(h.countsArrayLength - 1, countsIndexOf(h, h.maxValue));
  const half = h.subBucketHalfCount;
  const halfMagnitude = h.subBucketHalfCountMagnitude;
  const fast = h.unitMagnitude === 0;
  let out = '';
  for (let i = 0; i <= last; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    if (out.length > 0) out += ',';
    // valueFromIndex without Math.pow: bucket = i / half − 1, sub-bucket in its top half
    const bucket = (i >>> halfMagnitude) - 1;
    const value =
      !fast || bucket > 22 ? h.valueFromIndex(i) : bucket <= 0 ? i : ((i & (half - 1)) + half) << bucket;
    out += value + ':' + count;
  }
  return out;
}

function countsIndexOf(h: JsHistogram, value: number): number {
  // `countsArrayIndex` is not part of the published typings; go through the public pieces.
  const bucket = h.getBucketIndex(value);
  const subBucket = h.getSubBucketIndex(value, bucket);
  return (bucket + 1) * h.subBucketHalfCount + (subBucket - h.subBucketHalfCount);
}

/**
 * Calls `visit(value, count)` for each pair, in order. A scanner, not
 * split/regex; throws on malformed text rather than recording garbage.
 */
export function forEachSparseBucket(text: string, visit: (value: number, count: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    let value = 0;
    let digits = 0;
    let c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
      c = text.charCodeAt(++i);
    }
    if (digits === 0 || c !== 58 /* : */)
      throw new Error(`bad sparse histogram at ${i}: ${text.slice(0, 40)}`);
    c = text.charCodeAt(++i);
    let count = 0;
    digits = 0;
    while (c >= 48 && c <= 57) {
      count = count * 10 + (c - 48);
      digits++;
      c = text.charCodeAt(++i);
    }
    if (digits === 0 || (i < n && c !== 44) /* , */) {
      throw new Error(`bad sparse histogram at ${i}: ${text.slice(0, 40)}`);
    }
    visit(value, count);
    i++;
  }
}

/** Adds the buckets of an encoding into `target` (same digits for an exact round trip); returns the count added. */
export function decodeSparseHistogramInto(text: string, target: Histogram): number {
  let total = 0;
  forEachSparseBucket(text, (value, count) => {
    if (count > 0) target.recordValueWithCount(value, count);
    total += count;
  });
  return total;
}

/** Merges two encodings (the operation the flush script performs in Redis). */
export function mergeSparseHistograms(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  const pa: number[] = [];
  const pb: number[] = [];
  forEachSparseBucket(a, (v, c) => pa.push(v, c));
  forEachSparseBucket(b, (v, c) => pb.push(v, c));
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < pa.length || j < pb.length) {
    if (j >= pb.length || (i < pa.length && pa[i]! < pb[j]!)) {
      out.push(pa[i] + ':' + pa[i + 1]);
      i += 2;
    } else if (i >= pa.length || pb[j]! < pa[i]!) {
      out.push(pb[j] + ':' + pb[j + 1]);
      j += 2;
    } else {
      out.push(pa[i] + ':' + (pa[i + 1]! + pb[j + 1]!));
      i += 2;
      j += 2;
    }
  }
  return out.join(',');
}
