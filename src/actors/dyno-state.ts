import type { DynoWindowDelta } from './dyno-flush-batch.js';

/**
 * The latest sample of one dyno. One rule, used wherever samples meet: by the flush (the
 * `{p}dyn:{t:P}:{app}` hash, sinks/redis), the query across partitions, the runtime's
 * per-flush dyno samples and its Prometheus gauges.
 */
export interface DynoState {
  /** -1 when no memory sample was seen */
  memoryLastMs: number;
  memoryTotalMb: number;
  memoryRssMb: number;
  memorySwapMb: number;
  /** 0 when no sample carried a quota */
  memoryQuotaMb: number;
  /** -1 when no load sample was seen */
  loadLastMs: number;
  load1m: number;
}

export function emptyDynoState(): DynoState {
  return {
    memoryLastMs: -1,
    memoryTotalMb: 0,
    memoryRssMb: 0,
    memorySwapMb: 0,
    memoryQuotaMb: 0,
    loadLastMs: -1,
    load1m: 0,
  };
}

/**
 * Moves `into` to the latest sample `d` carries, by the rules of `mergeDynoDelta` ("last"
 * replaced when the other's time is the same or later; a quota only by a positive one).
 * The flush script applies the same rule against the stored state; the reader across partitions.
 */
export function advanceDynoState(into: DynoState, d: DynoWindowDelta | DynoState): DynoState {
  if ('memorySamples' in d) {
    if (d.memorySamples > 0 && d.memoryLastMs >= into.memoryLastMs) {
      into.memoryLastMs = d.memoryLastMs;
      into.memoryTotalMb = d.memoryTotalLastMb;
      into.memoryRssMb = d.memoryRssLastMb;
      into.memorySwapMb = d.memorySwapLastMb;
      if (d.memoryQuotaMb > 0) into.memoryQuotaMb = d.memoryQuotaMb;
    }
    if (d.loadSamples > 0 && d.loadLastMs >= into.loadLastMs) {
      into.loadLastMs = d.loadLastMs;
      into.load1m = d.load1mLast;
    }
    return into;
  }
  if (d.memoryLastMs >= 0 && d.memoryLastMs >= into.memoryLastMs) {
    into.memoryLastMs = d.memoryLastMs;
    into.memoryTotalMb = d.memoryTotalMb;
    into.memoryRssMb = d.memoryRssMb;
    into.memorySwapMb = d.memorySwapMb;
    if (d.memoryQuotaMb > 0) into.memoryQuotaMb = d.memoryQuotaMb;
  }
  if (d.loadLastMs >= 0 && d.loadLastMs >= into.loadLastMs) {
    into.loadLastMs = d.loadLastMs;
    into.load1m = d.load1m;
  }
  return into;
}
