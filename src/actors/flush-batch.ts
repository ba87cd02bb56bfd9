/**
 * What a partition's route actors hand to the Redis sink at each flush: the
 * deltas accumulated since the previous flush, one entry per
 * (resolution, window, app, route). Counters are deltas (added with HINCRBY);
 * histograms are encoded HDR deltas (hdr-histogram-js `encodeIntoCompressedBase64`)
 * so that they merge across partitions, flushes, windows and processes.
 *
 * Offsets: the batch covers the partition's records [fromOffset, nextOffset).
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
  /** exact sum of service ms over `count` requests that had a service time */
  serviceSumMs: number;
  /** number of requests with a service time (the average's denominator) */
  serviceCount: number;
  serviceMaxMs: number;
  connectSumMs: number;
  bytes: number;
  /** counts by status class: index 0 = 1xx … 4 = 5xx; index 5 = missing/other */
  statusClasses: [number, number, number, number, number, number];
  /** error status codes (>= 400) and router error codes (H12, …), e.g. { "503": 4, "H12": 3 } */
  codes: Record<string, number>;
  /** encoded HDR histogram of service ms (delta since last flush) */
  serviceHistogram: string;
  /** encoded HDR histogram of connect ms (delta since last flush) */
  connectHistogram: string;
}

export interface FlushBatch {
  topic: string;
  partition: number;
  /** fencing epoch obtained when this owner claimed the partition */
  epoch: number;
  fromOffset: string;
  nextOffset: string;
  deltas: WindowDelta[];
  /** records that went to the per-app overflow route during this batch */
  overflowed: number;
  /** records dropped as too late during this batch */
  late: number;
}
