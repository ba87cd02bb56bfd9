import { build, type JsHistogram } from 'hdr-histogram-js';
import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * The one histogram configuration used to record service and connect times, and
 * to decode them at read time (same digits ⇒ a stored bucket decodes to the same
 * bucket, so merged percentiles equal those of one big recording histogram).
 *
 * Chosen by measurement (bench/actors-histogram.ts, values 1..30000 ms and 0..5 ms;
 * shared 2-core VM, so read the ratios rather than the absolute numbers):
 *
 *   candidate                 record ns   service B  connect B  both     notes
 *   js/32/d2 recordValue      ~60-110     ~4.0 KB    ~2.0 KB    ~6.0 KB
 *   js/32/d2 recordLatency    ~14-17      same       same       same     ← chosen
 *   js/32/d3                  ~75-160     ~12.4 KB   ~9.2 KB    ~21.6 KB over budget
 *   js/16/d2                  ~65-170     ~2.5 KB    ~1.5 KB    ~4.1 KB  overflows at 32767
 *   wasm/32/d2                ~20-28      ~8.5 KB    small      ~8.6 KB  destroy(); no counts
 *
 * - 2 significant digits: values 0..255 ms are exact, above that a bucket is at
 *   most 1/128 (< 1%) of its value wide. Good enough for p50/p95/p99 of request
 *   latencies; 3 digits would triple the memory for no decision-relevant gain.
 * - JS, not WASM: WASM's recordValue is ~4× faster than JS's, but its histograms
 *   must be destroyed by hand (a leak if an actor is dropped on an error path) and
 *   it cannot expose its counts, which forces the deflate encoding at drain time;
 *   JS with `recordLatency` below records faster than WASM anyway.
 * - 32-bit counts: a 16-bit bucket overflows silently past 32767 counts, which one
 *   hot route reaches within a single catch-up flush.
 * - autoResize from the smallest size: the connect histogram (0..5 ms) stays at
 *   one bucket (1 KB of counts); the service histogram grows to what it sees.
 * - lowestDiscernibleValue 1: 0 ms is recordable (connect=0ms is the common case).
 * - `recordLatency` instead of `recordValue` on the hot path: same buckets, same
 *   totals, but the index comes from Math.clz32 instead of Math.log2/Math.pow,
 *   several times cheaper (bench/actors-histogram.ts prints both).
 */
export const HISTOGRAM_SIGNIFICANT_DIGITS = 2;

/** Values above this are clamped: a day-long "request" is a websocket, not a latency to chart. */
export const MAX_RECORDED_MS = 24 * 3600 * 1000;

export function createLatencyHistogram(): JsHistogram {
  return build({
    bitBucketSize: 32,
    numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    autoResize: true,
    useWebAssembly: false,
  }) as JsHistogram;
}

// The bucket layout of that configuration, read from a real histogram so that the
// fast path below can never disagree with the library about it.
const layout = createLatencyHistogram();
const SUB_BUCKET_COUNT = layout.subBucketCount;
const SUB_BUCKET_HALF_COUNT = layout.subBucketHalfCount;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = layout.subBucketHalfCountMagnitude;
if (layout.unitMagnitude !== 0)
  throw new RoutemeterError('RM_ERR_INTERNAL', 'recordLatency assumes lowestDiscernibleValue 1');

/**
 * `h.recordValue(value)` for a histogram made by createLatencyHistogram, through
 * the library's public per-index API: integer values below 2^30 take a
 * clz32-based index (identical to HDR's countsArrayIndex for unitMagnitude 0);
 * anything else, and values that need the counts array to grow, go through
 * `recordValue` itself.
 */
export function recordLatency(h: JsHistogram, value: number): void {
  if (value >= 0 && value < 0x4000_0000 && (value | 0) === value) {
    let index = value;
    if (value >= SUB_BUCKET_COUNT) {
      const bucket = 31 - Math.clz32(value) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
      index = (bucket + 1) * SUB_BUCKET_HALF_COUNT + ((value >>> bucket) - SUB_BUCKET_HALF_COUNT);
    }
    if (index < h.countsArrayLength) {
      h.incrementCountAtIndex(index);
      h.updateMinAndMax(value);
      h.incrementTotalCount();
      return;
    }
  }
  h.recordValue(value);
}
