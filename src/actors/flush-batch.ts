import type { SparseHistogram } from './sparse-histogram.js';

/**
 * What a partition's route actors hand to the Redis sink at each flush: the
 * deltas accumulated since the previous flush, one entry per
 * (resolution, window, app, route). Counters are deltas (added with HINCRBY);
 * histograms are sparse HDR deltas (`sparse-histogram.ts`: value/count pairs as
 * numbers) that the flush script merges into one field per route and window.
 *
 * Offsets: the batch covers the partition's records [fromOffset, nextOffset).
 * See docs/windows.md (what a window holds) and docs/redis-keys.md (how it is stored).
 */
export interface WindowDelta {
  /** window length in seconds (the short resolution or the roll-up) */
  resolutionSeconds: number;
  /** window start, epoch seconds, a multiple of resolutionSeconds */
  windowStart: number;
  app: string;
  /** route template, e.g. "GET /users/:id" (method, space, templated path) */
  route: string;
  count: number;
  /** exact sum of service ms over the `serviceCount` requests that had a service time */
  serviceSumMs: number;
  /** number of requests with a service time (the average's denominator) */
  serviceCount: number;
  /** exact maximum service ms; 0 when serviceCount is 0 */
  serviceMaxMs: number;
  connectSumMs: number;
  /** number of requests with a connect time */
  connectCount: number;
  bytes: number;
  /** counts by status class: index 0 = 1xx … 4 = 5xx; index 5 = missing/other */
  statusClasses: [number, number, number, number, number, number];
  /** error status codes (>= 400) and router error codes (H12, …), e.g. { "503": 4, "H12": 3 } */
  codes: Record<string, number>;
  /** sparse HDR histogram of service ms, delta since last flush: [value, count, …] ascending (sparse-histogram.ts); [] when empty */
  serviceHistogram: SparseHistogram;
  /** sparse HDR histogram of connect ms, same encoding */
  connectHistogram: SparseHistogram;
}

/** What `PartitionAggregator.drain()` returns: everything recorded since the previous drain. */
export interface PartitionDrain {
  deltas: WindowDelta[];
  /** records aggregated (including those that went to the overflow route) */
  records: number;
  /** records that went to the per-app overflow route */
  overflowed: number;
  /** records dropped as older than watermark − allowed lateness */
  late: number;
  /** records dropped for an unusable timestamp (not a positive number, or too far in the future) */
  rejected: number;
  /**
   * the partition's watermark (max event time seen, ms) after this drain. Stored with
   * the offsets so that a restarted owner makes the same late decisions.
   */
  watermarkMs: number;
}

/**
 * One flush of one partition: a drain plus where it sits in the partition and who
 * owns it. Build it as `{ ...aggregator.drain(), topic, partition, epoch, fromOffset, nextOffset }`.
 *
 * `records`, `rejected` and `watermarkMs` are optional only so that a batch can be
 * built by hand (tests, tools); the runtime should always pass the drain through.
 * Without `watermarkMs` the stored watermark is left as it is, and a restarted
 * owner may then accept records the previous owner had dropped as late.
 */
export interface FlushBatch extends Omit<PartitionDrain, 'records' | 'rejected' | 'watermarkMs'> {
  records?: number;
  rejected?: number;
  watermarkMs?: number;
  topic: string;
  partition: number;
  /** fencing epoch obtained when this owner claimed the partition */
  epoch: number;
  /** first offset covered (decimal string, as kafkajs gives it) */
  fromOffset: string;
  /** offset of the next record after this batch: the last covered offset + 1 */
  nextOffset: string;
}
