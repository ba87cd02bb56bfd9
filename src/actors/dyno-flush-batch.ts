/**
 * What the dyno actors of one platform partition hand to the store at each flush:
 * one delta per (resolution, window, app, dyno) recorded into since the previous
 * flush. Sums and counts are added; maxima kept as maxima; a "last" value is
 * replaced by one whose event time is the same or later (`mergeDynoDelta`), so
 * deltas of one window flushed in several pieces merge to what one flush would
 * have written. See docs/dyno-metrics.md.
 *
 * Memory is in MB (2^20 bytes, as log-runtime-metrics writes it); load is the
 * 1-minute load average. A field with no samples is 0, and its `…LastMs` is -1.
 */
export interface DynoWindowDelta {
  resolutionSeconds: number;
  /** epoch seconds, a multiple of resolutionSeconds */
  windowStart: number;
  app: string;
  /** `web` (the dyno name without `.N`); bounded, used as a Prometheus label */
  processType: string;
  /** `web.1`; not a Prometheus label (unbounded over time: `run.4821`) */
  dyno: string;
  /** memory samples in the window (each carries total and RSS) */
  memorySamples: number;
  memoryTotalSumMb: number;
  memoryTotalMaxMb: number;
  memoryTotalLastMb: number;
  memoryRssSumMb: number;
  memoryRssMaxMb: number;
  memoryRssLastMb: number;
  memorySwapMaxMb: number;
  memorySwapLastMb: number;
  /** the quota of the last sample that carried one; 0 if none did */
  memoryQuotaMb: number;
  /** event time (ms) of the sample the `…Last` memory fields come from; -1 without samples */
  memoryLastMs: number;
  loadSamples: number;
  load1mSum: number;
  load1mMax: number;
  load1mLast: number;
  loadLastMs: number;
  /** `R14`, `R10`, `L10`, `restart` (state changed to starting), `crash` (state changed to crashed) → count */
  events: Record<string, number>;
}

/** What `PlatformAggregator.drain()` returns. */
export interface PlatformDrain {
  deltas: DynoWindowDelta[];
  /** records aggregated into a window (overflowed ones included) */
  records: number;
  /** records of dynos beyond the per-app cap, aggregated under the app's `overflow` dyno */
  overflowed: number;
  /** well-formed records that carry nothing the actors keep (`Restarting`, app output, exits) */
  ignored: number;
  /** records older than watermark − allowed lateness */
  late: number;
  /** records with an unusable timestamp (not positive, or too far in the future) */
  rejected: number;
  /** the partition's watermark (ms), stored with the offsets like the router partitions' */
  watermarkMs: number;
}

/**
 * One flush of one platform partition, as FlushBatch is for router partitions:
 * `{ ...aggregator.drain(), topic, partition, epoch, fromOffset, nextOffset }`.
 */
export interface PlatformFlushBatch extends PlatformDrain {
  topic: string;
  partition: number;
  epoch: number;
  fromOffset: string;
  nextOffset: string;
}

export function emptyDynoDelta(
  resolutionSeconds: number,
  windowStart: number,
  app: string,
  processType: string,
  dyno: string,
): DynoWindowDelta {
  return {
    resolutionSeconds,
    windowStart,
    app,
    processType,
    dyno,
    memorySamples: 0,
    memoryTotalSumMb: 0,
    memoryTotalMaxMb: 0,
    memoryTotalLastMb: 0,
    memoryRssSumMb: 0,
    memoryRssMaxMb: 0,
    memoryRssLastMb: 0,
    memorySwapMaxMb: 0,
    memorySwapLastMb: 0,
    memoryQuotaMb: 0,
    memoryLastMs: -1,
    loadSamples: 0,
    load1mSum: 0,
    load1mMax: 0,
    load1mLast: 0,
    loadLastMs: -1,
    events: {},
  };
}

/**
 * Adds `d` (a later flush of the same window, app and dyno) into `into`: what the
 * store does per window, and what the read side does across partitions. Order
 * matters only for ties of "last": the delta merged later wins, as the later record
 * does within a window.
 */
export function mergeDynoDelta(into: DynoWindowDelta, d: DynoWindowDelta): DynoWindowDelta {
  if (d.memorySamples > 0) {
    into.memoryTotalSumMb += d.memoryTotalSumMb;
    into.memoryRssSumMb += d.memoryRssSumMb;
    if (into.memorySamples === 0 || d.memoryTotalMaxMb > into.memoryTotalMaxMb)
      into.memoryTotalMaxMb = d.memoryTotalMaxMb;
    if (into.memorySamples === 0 || d.memoryRssMaxMb > into.memoryRssMaxMb)
      into.memoryRssMaxMb = d.memoryRssMaxMb;
    if (into.memorySamples === 0 || d.memorySwapMaxMb > into.memorySwapMaxMb)
      into.memorySwapMaxMb = d.memorySwapMaxMb;
    into.memorySamples += d.memorySamples;
    if (d.memoryLastMs >= into.memoryLastMs) {
      into.memoryLastMs = d.memoryLastMs;
      into.memoryTotalLastMb = d.memoryTotalLastMb;
      into.memoryRssLastMb = d.memoryRssLastMb;
      into.memorySwapLastMb = d.memorySwapLastMb;
      if (d.memoryQuotaMb > 0) into.memoryQuotaMb = d.memoryQuotaMb;
    }
  }
  if (d.loadSamples > 0) {
    into.load1mSum += d.load1mSum;
    if (into.loadSamples === 0 || d.load1mMax > into.load1mMax) into.load1mMax = d.load1mMax;
    into.loadSamples += d.loadSamples;
    if (d.loadLastMs >= into.loadLastMs) {
      into.loadLastMs = d.loadLastMs;
      into.load1mLast = d.load1mLast;
    }
  }
  for (const code in d.events) into.events[code] = (into.events[code] ?? 0) + d.events[code]!;
  return into;
}
