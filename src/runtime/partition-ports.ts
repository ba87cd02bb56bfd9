import type { FlushBatch, PartitionDrain } from '../actors/flush-batch.js';
import type { LogBounds, PartitionFetcherSink } from '../kafka/partition-fetcher.js';
import type { RouterEvent } from '../logplex/router-event.js';

/**
 * The edges a `PartitionConsumer` talks through. The consumer owns the loop;
 * these ports own the pure logic (parser, aggregator) and the I/O (Redis), so
 * each side can be tested alone.
 */

/**
 * Fills `out` from one Kafka record value, `buf[start, end)` (the original syslog
 * line, read in place in the fetched bytes); false if it is not a router line.
 */
export type RecordParser = (buf: Buffer, start: number, end: number, out: RouterEvent) => boolean;

/** The fetch loop of one partition (kafka/partition-fetcher.ts; a fake in unit tests). */
export interface PartitionFetcherPort {
  /** log start offset and high watermark (ListOffsets); retryable errors say so (canRetry) */
  logBounds(): Promise<LogBounds>;
  start(offset: number): void;
  pause(): void;
  resume(): void;
  /** resolves once no fetch is in flight and the connection is closed */
  stop(): Promise<void>;
}

/** Builds the fetcher of one partition, fetching into `sink`. */
export type FetcherFactory = (
  topic: string,
  partition: number,
  sink: PartitionFetcherSink,
) => PartitionFetcherPort;

/** The route actors of one partition (pure: no I/O, no timers). */
export interface PartitionAggregatorPort {
  record(event: RouterEvent): void;
  /** Everything recorded since the last drain, as deltas; the aggregator is empty afterwards. */
  drain(): PartitionDrain;
  readonly activeRoutes: number;
  /** (route, window) states held since the last drain: the size of the next flush */
  readonly openWindows: number;
}

export interface Claim {
  epoch: number;
  /** the stored next offset, or null if this partition was never flushed */
  nextOffset: string | null;
  /** the partition's event-time watermark at the last flush (ms), so late-data decisions survive a restart */
  watermarkMs: number | null;
}

/** Builds the route actors of one partition, restored to the claimed watermark. */
export type AggregatorFactory = (claim: Claim) => PartitionAggregatorPort;

/** The effectively-once store (Redis): claim a partition, flush atomically, skip retention gaps. */
export interface PartitionStorePort {
  claim(topic: string, partition: number): Promise<Claim>;
  /**
   * Applies the batch and advances the stored offset in one atomic step.
   * Throws RM_ERR_FLUSH_FENCED (a newer owner claimed the partition),
   * RM_ERR_FLUSH_OFFSET_MISMATCH (the batch does not start at the stored offset),
   * or a retryable error when Redis is unavailable.
   */
  flush(batch: FlushBatch): Promise<unknown>;
  /** Moves the stored offset from `from` to `to` (records deleted by Kafka retention). */
  advance(topic: string, partition: number, epoch: number, from: string, to: string): Promise<void>;
}
