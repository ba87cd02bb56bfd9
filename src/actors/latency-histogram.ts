import { build, type JsHistogram } from 'hdr-histogram-js';

/**
 * The one histogram configuration used to record service and connect times, and
 * to decode them at read time (same digits ⇒ a stored bucket decodes to the same
 * bucket, so merged percentiles equal those of one big recording histogram).
 *
 * Chosen by measurement (bench/actors-histogram.ts, values 1..30000 ms and 0..5 ms):
 *
 *   candidate   record ns  service B  connect B  both    sparse encode
 *   js/32/d2    ~85        ~4.0 KB    ~2.1 KB    ~6.1 KB  cheap (counts readable)
 *   js/32/d3    ~95        ~12 KB     ~9 KB      ~21 KB   over budget
 *   wasm/32/d2  ~20        ~8.5 KB    small      ~8.6 KB  needs destroy(); counts not
 *                                                         readable ⇒ only the deflate
 *                                                         encoding (~200 µs) is possible
 *
 * - 2 significant digits: values 0..255 ms are exact, above that a bucket is at
 *   most 1/128 (< 1%) of its value wide. Good enough for p50/p95/p99 of request
 *   latencies; 3 digits would triple the memory for no decision-relevant gain.
 * - JS, not WASM: WASM records ~4× faster, but its histograms must be destroyed
 *   by hand (a leak if an actor is dropped on an error path) and it cannot expose
 *   its counts, which forces the deflate encoding, ~20× slower at drain time.
 * - 32-bit counts: a 16-bit bucket overflows silently past 32767 counts, which one
 *   hot route reaches within a single catch-up flush.
 * - autoResize from the smallest size: the connect histogram (0..5 ms) stays at
 *   one bucket (1 KB of counts); the service histogram grows to what it sees.
 * - lowestDiscernibleValue 1: 0 ms is recordable (connect=0ms is the common case).
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
