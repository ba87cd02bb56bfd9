import type { Histogram, JsHistogram } from 'hdr-histogram-js';

/**
 * The encoding routemeter stores for HDR histogram deltas: the non-empty buckets
 * as `value:count` pairs, ascending by value, joined by commas.
 *
 *   "0:41,1:12,3:1,27:2,1536:1"
 *
 * `value` is the lowest value of the bucket (`valueFromIndex`), so recording it
 * again (`recordValueWithCount`) into a histogram with the same significant digits
 * lands in the same bucket: decode → merge → percentile is exact with respect to
 * the recording histogram. Merging two encodings is a merge of two sorted lists,
 * which the Redis flush script does in Lua, so one field per route and window
 * holds the merged histogram (see docs/redis-keys.md).
 *
 * Why not `encodeIntoCompressedBase64`: it deflates a full counts array. On a
 * 1-second delta the sparse text is several times cheaper to produce (see
 * bench/actors-histogram.ts), stays readable in redis-cli, and can be merged in
 * Lua without zlib. The empty histogram encodes as ''.
 */
export function encodeSparseHistogram(h: JsHistogram): string {
  if (h.totalCount === 0) return '';
  // Stop at the bucket holding the max instead of scanning the whole counts array.
  const last = Math.min(h.countsArrayLength - 1, countsIndexOf(h, h.maxValue));
  let out = '';
  for (let i = 0; i <= last; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    if (out.length > 0) out += ',';
    out += h.valueFromIndex(i) + ':' + count;
  }
  return out;
}

function countsIndexOf(h: JsHistogram, value: number): number {
  // `countsArrayIndex` is not part of the published typings; go through the
  // public pieces it is made of.
  const bucket = h.getBucketIndex(value);
  const subBucket = h.getSubBucketIndex(value, bucket);
  const bucketBaseIndex = (bucket + 1) * h.subBucketHalfCount;
  return bucketBaseIndex + (subBucket - h.subBucketHalfCount);
}

/**
 * Adds the buckets of an encoding into `target` (any histogram; same digits for an
 * exact round trip). A scanner, not split/regex, as queries decode thousands of them.
 * Throws on malformed text rather than silently recording garbage.
 */
export function decodeSparseHistogramInto(text: string, target: Histogram): number {
  let total = 0;
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
    if (digits === 0 || c !== 58 /* : */) throw new Error(`bad sparse histogram at ${i}: ${text.slice(0, 40)}`);
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
    if (count > 0) target.recordValueWithCount(value, count);
    total += count;
    i++;
  }
  return total;
}

/**
 * Merges two encodings into one (the same operation as the Lua flush script;
 * used for tests and for combining deltas without a histogram at hand).
 */
export function mergeSparseHistograms(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  const pa = parsePairs(a);
  const pb = parsePairs(b);
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

function parsePairs(text: string): number[] {
  const out: number[] = [];
  for (const pair of text.split(',')) {
    const k = pair.indexOf(':');
    out.push(Number(pair.slice(0, k)), Number(pair.slice(k + 1)));
  }
  return out;
}
