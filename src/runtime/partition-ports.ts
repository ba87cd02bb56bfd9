import type { FlushBatch, PartitionDrain } from '../actors/flush-batch.js';
import type { LogBounds, PartitionFetcherSink } from '../kafka/partition-fetcher.js';
import type { RecordView } from '../kafka/record-batch-decoder.js';
import type { RouterEvent } from '../logplex/router-event.js';
import type { FlushSummary } from './protocol.js';

/**
 * The edges a `PartitionConsumer` talks through. The consumer owns the loop;
 * these ports own the pure logic (parser, aggregator) and the I/O (Redis), so
 * each side can be tested alone.
 *
 * The consumer and its flusher are generic over the record kind: `E` is the
 * parsed record the aggregator takes, `D` what its drain returns. The runtime
 * wires two kinds (worker-ports.ts):
 *
 *   kind      topic             parse                    aggregator            store
 *   router    ROUTER_TOPIC      scanRouterEvent          PartitionAggregator   flush
 *   platform  PLATFORM_TOPIC    parsePlatformEvent       PlatformAggregator    flushPlatform
 *                               + the app (platform-app.ts)
 *
 * Claim, fencing, backpressure, flush cadence, supervision and metrics are the
 * same code for both.
 */
export type RecordKindName = 'router' | 'platform';

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

/**
 * Fills `out` from one Kafka record, read in place in the fetched bytes: its value is
 * `buf[start, end)` (the original syslog line), its headers are in `view`
 * (`findRecordHeader(buf, view.headersStart, view.headersEnd, …)`); false if it is not
 * a line of this kind (counted as a parse failure).
 */
export type RecordParser<E = RouterEvent> = (
  buf: Buffer,
  start: number,
  end: number,
  view: RecordView,
  out: E,
) => boolean;

/**
 * What every kind's drain carries besides its deltas: the counts the flusher
 * publishes to the partition's counters and the watermark the store keeps.
 */
export interface DrainCounts {
  records?: number;
  overflowed: number;
  late: number;
  rejected?: number;
  /** well-formed records that carry nothing the actors keep (platform) */
  ignored?: number;
  /** records recorded under the unknown app `-` (platform: no app header, no DRAIN_TOKEN_APPS entry) */
  unknownApp?: number;
  watermarkMs?: number;
}

/** Where a batch sits in its partition and who owns it: added to a drain to make a flush batch. */
export interface BatchPosition {
  topic: string;
  partition: number;
  /** fencing epoch obtained when this owner claimed the partition */
  epoch: number;
  fromOffset: string;
  nextOffset: string;
}

/** The actors of one partition (pure: no I/O, no timers). */
export interface PartitionAggregatorPort<E = RouterEvent, D extends DrainCounts = PartitionDrain> {
  record(event: E): void;
  /** Everything recorded since the last drain, as deltas; the aggregator is empty afterwards. */
  drain(): D;
  /** actors holding state (routes, or dynos) */
  readonly activeRoutes: number;
  /** (actor, window) states held since the last drain: the size of the next flush */
  readonly openWindows: number;
}

export interface Claim {
  epoch: number;
  /** the stored next offset, or null if this partition was never flushed */
  nextOffset: string | null;
  /** the partition's event-time watermark at the last flush (ms), so late-data decisions survive a restart */
  watermarkMs: number | null;
}

/** Builds the actors of one partition, restored to the claimed watermark. */
export type AggregatorFactory<E = RouterEvent, D extends DrainCounts = PartitionDrain> = (
  claim: Claim,
) => PartitionAggregatorPort<E, D>;

/** The effectively-once store (Redis): claim a partition, flush atomically, skip retention gaps. */
export interface PartitionStorePort<B = FlushBatch> {
  claim(topic: string, partition: number): Promise<Claim>;
  /**
   * Applies the batch and advances the stored offset in one atomic step.
   * Throws RM_ERR_FLUSH_FENCED (a newer owner claimed the partition),
   * RM_ERR_FLUSH_OFFSET_MISMATCH (the batch does not start at the stored offset),
   * or a retryable error when Redis is unavailable.
   */
  flush(batch: B): Promise<unknown>;
  /** Moves the stored offset from `from` to `to` (records deleted by Kafka retention). */
  advance(topic: string, partition: number, epoch: number, from: string, to: string): Promise<void>;
}

/**
 * One record kind, as a partition consumer needs it: a reused event, its parser,
 * its actors, its store, and the per-flush summary sent to main for Prometheus.
 */
export interface RecordKind<E, D extends DrainCounts> {
  name: RecordKindName;
  createEvent(): E;
  parse: RecordParser<E>;
  createAggregator: AggregatorFactory<E, D>;
  store: PartitionStorePort<D & BatchPosition>;
  /** what main learns of a stored batch (route or dyno samples); optional so tests can leave it out */
  summarize?: (batch: D & BatchPosition, limit: number) => FlushSummary;
}
