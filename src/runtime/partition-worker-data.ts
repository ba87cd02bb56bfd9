import type { Config } from '../config/config.js';

/** What the supervisor hands a worker thread at spawn (`workerData`; structured-cloned). */
export interface PartitionWorkerData {
  config: Config;
  /** router partitions' counters (and the worker rows: heartbeat, heap) */
  metricsBuffer: SharedArrayBuffer;
  /** platform partitions' counters, the same layout (worker rows unused) */
  platformMetricsBuffer: SharedArrayBuffer;
  maxPartitions: number;
  workerId: number;
  /**
   * Share (0 < s ≤ 1) of FETCH_MAX_BYTES and MAX_PENDING_BYTES this thread uses:
   * 1 normally, halved by the supervision decider after each out-of-memory exit.
   */
  fetchScale: number;
}
