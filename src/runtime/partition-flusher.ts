import { isRoutemeterError } from '../errors/routemeter-error.js';
import { serializeError } from '../errors/serialize-error.js';
import type { Logger } from '../telemetry/logger.js';
import type {
  BatchPosition,
  DrainCounts,
  PartitionAggregatorPort,
  PartitionStorePort,
} from './partition-ports.js';
import type { PendingBytes } from './pending-bytes.js';
import type { FlushSummary, WorkerToMain } from './protocol.js';
import { decisionEvent } from './runtime-events.js';
import { decide, type Failure, type SupervisionPolicy } from './supervision-decider.js';
import { UnflushedAge } from './unflushed-age.js';
import { Field, type PartitionCounters } from './worker-metrics.js';

/**
 * The flush half of a partition consumer: drains the actors (route or dyno:
 * generic over the drain `D`, partition-ports.ts) into batches [from, next), queues them, and stores them in order, one at a
 * time, through the effectively-once store. What happens after a failed store is
 * the decider's call:
 *
 *   store.flush(batch)
 *     ok                      → dequeue, report `flushed` (main commits next to Kafka for lag tools)
 *     RM_ERR_FLUSH_FENCED     → decide(fenced)          → stop-partition ('fenced')
 *     error with canRetry     → decide(store-unavailable) → keep the batch, pause fetching,
 *                               retry after backoff(attempt)
 *     error without canRetry  → decide(flush-rejected)  → stop-partition ('failed'): the
 *                               supervisor spends its restart budget and re-claims the
 *                               partition from the stored offset
 *
 * The fetch side (partition-consumer.ts) tells it where consumption is
 * (`position`) and how many record bytes each batch held.
 */
export interface PartitionFlusherOptions {
  topic: string;
  partition: number;
  /** how many routes per flush are reported to main for the capped per-route series */
  routeSampleLimit: number;
  policy: SupervisionPolicy;
}

export interface PartitionFlusherDeps<D extends DrainCounts> {
  store: PartitionStorePort<D & BatchPosition>;
  counters: PartitionCounters;
  post: (msg: WorkerToMain) => void;
  logger: Logger;
  /** the thread's pending-bytes budget, shared by its partitions */
  pending: PendingBytes;
  /** what main learns of a stored batch (route or dyno samples); optional so tests can leave it out */
  summarize?: (batch: D & BatchPosition, limit: number) => FlushSummary;
  /** stop fetching (a retryable failure: keep memory bounded while the store is away) */
  pauseFetching: () => void;
  /** the decider said stop-partition */
  stopPartition: (reason: 'fenced' | 'failed', error: unknown) => void;
  /** injectable clock and timer, for tests */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => void;
}

interface QueuedBatch<B> {
  batch: B;
  /** record bytes the batch covers, released from `pending` once stored */
  bytes: number;
}

export class PartitionFlusher<D extends DrainCounts = DrainCounts> {
  private epoch = 0;
  private aggregator: PartitionAggregatorPort<unknown, D> | null = null;
  /** offset up to which records have been drained into `queue` */
  private drainedUpTo = 0;
  /** offset stored by the last successful flush */
  private storedUpTo = 0;
  /** record bytes consumed since the last drain */
  private undrainedBytes = 0;
  private readonly queue: QueuedBatch<D & BatchPosition>[] = [];
  private readonly unflushed = new UnflushedAge();
  private flushing: Promise<boolean> | null = null;
  private attempts = 0;
  private retryAt = 0;
  /** false once the partition stops: no timer-driven retries after that */
  private retrying = true;
  private stopped = false;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => void;

  constructor(
    private readonly opts: PartitionFlusherOptions,
    private readonly deps: PartitionFlusherDeps<D>,
  ) {
    this.now = deps.now ?? Date.now;
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
  }

  /** After a claim: the epoch to fence with, the aggregator to drain, the offset stored. */
  begin(epoch: number, aggregator: PartitionAggregatorPort<never, D>, storedOffset: number): void {
    this.epoch = epoch;
    this.aggregator = aggregator as PartitionAggregatorPort<unknown, D>;
    this.drainedUpTo = storedOffset;
    this.storedUpTo = storedOffset;
    this.deps.counters.set(this.opts.partition, Field.lastFlushMs, this.now());
    this.deps.counters.set(this.opts.partition, Field.oldestUnflushedMs, 0);
  }

  /** Offset stored by the last successful flush. */
  get stored(): number {
    return this.storedUpTo;
  }

  get hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /** True when records up to `position` are all drained and stored. */
  isCaughtUp(position: number): boolean {
    return this.queue.length === 0 && position <= this.drainedUpTo;
  }

  /**
   * The fetch side consumed `bytes` of record values (the batch is already in the
   * aggregator); `firstTimestampMs` is the Kafka timestamp of its first record, for
   * `routemeter_oldest_unflushed_age_seconds`.
   */
  noteConsumed(bytes: number, firstTimestampMs = 0): void {
    this.undrainedBytes += bytes;
    this.deps.pending.add(bytes);
    this.unflushed.consumed(firstTimestampMs);
    this.deps.counters.set(this.opts.partition, Field.oldestUnflushedMs, this.unflushed.oldestMs);
  }

  /** No more timer-driven retries (the partition is stopping); explicit `flush()` calls still work. */
  stopRetrying(): void {
    this.retrying = false;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Drains what is pending up to `position` and stores every queued batch, in order.
   * Serialized (a call during a flush joins it); true when everything drained is
   * stored; never rejects. `force` ignores the retry backoff (the final flush).
   */
  flush(position: number, force = false): Promise<boolean> {
    if (this.flushing) return this.flushing;
    if (this.stopped) return Promise.resolve(false);
    // After a failure, timer-driven flushes wait for the backoff instead of hammering Redis.
    if (!force && this.now() < this.retryAt) return Promise.resolve(false);
    this.flushing = this.flushQueue(position).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private drainIntoQueue(position: number): void {
    if (position <= this.drainedUpTo || !this.aggregator) return;
    this.queue.push({
      batch: {
        ...this.aggregator.drain(),
        topic: this.opts.topic,
        partition: this.opts.partition,
        epoch: this.epoch,
        fromOffset: String(this.drainedUpTo),
        nextOffset: String(position),
      },
      bytes: this.undrainedBytes,
    });
    this.undrainedBytes = 0;
    this.drainedUpTo = position;
    this.unflushed.drained();
  }

  private async flushQueue(position: number): Promise<boolean> {
    this.drainIntoQueue(position);
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const started = process.hrtime.bigint();
      try {
        await this.deps.store.flush(head.batch);
      } catch (err) {
        this.onFailure(err, position);
        return false;
      }
      this.attempts = 0;
      this.retryAt = 0;
      this.queue.shift();
      this.unflushed.stored();
      this.deps.counters.set(this.opts.partition, Field.oldestUnflushedMs, this.unflushed.oldestMs);
      this.deps.pending.release(head.bytes);
      this.onStored(head.batch, Number(process.hrtime.bigint() - started) / 1e9);
    }
    // Everything drained is stored: the partition is as fresh as a flush can make it.
    this.deps.counters.set(this.opts.partition, Field.lastFlushMs, this.now());
    return true;
  }

  private onFailure(err: unknown, position: number): void {
    const { topic, partition } = this.opts;
    const { counters, post, logger } = this.deps;
    counters.add(partition, Field.flushFailures, 1);
    post({ code: 'flush-failed', topic, partition, error: serializeError(err) });
    const code = isRoutemeterError(err) ? err.code : String((err as { code?: unknown })?.code ?? 'UNKNOWN');
    // canRetry is read here, where the retry is decided. Errors that are not ours
    // (a socket error ioredis did not wrap) are treated as an unavailable store.
    const canRetry = isRoutemeterError(err) ? err.canRetry : true;
    let failure: Failure;
    if (isRoutemeterError(err, 'RM_ERR_FLUSH_FENCED')) failure = { kind: 'fenced' };
    else if (canRetry) failure = { kind: 'store-unavailable', attempt: ++this.attempts };
    else failure = { kind: 'flush-rejected', code };
    const directive = decide(failure, this.opts.policy);
    decisionEvent(logger, { topic, partition, epoch: this.epoch, position, err }, failure, directive);
    post({ code: 'decision', topic, partition, failure, directive });
    switch (directive.action) {
      case 'retry':
        // Backpressure: stop fetching while the store is away, so memory stays bounded.
        this.deps.pauseFetching();
        this.retryAt = this.now() + directive.delayMs;
        if (this.retrying) this.setTimer(() => void this.flush(position), directive.delayMs);
        return;
      case 'stop-partition':
        this.stopped = true;
        if (failure.kind === 'fenced') counters.set(partition, Field.fenced, 1);
        this.deps.stopPartition(failure.kind === 'fenced' ? 'fenced' : 'failed', err);
        return;
      default:
        // No other directive applies to a flush; stop rather than loop.
        this.stopped = true;
        this.deps.stopPartition('failed', err);
    }
  }

  private onStored(batch: D & BatchPosition, seconds: number): void {
    const { topic, partition } = this.opts;
    const { counters, post, logger } = this.deps;
    this.storedUpTo = Number(batch.nextOffset);
    counters.add(partition, Field.flushes, 1);
    counters.set(partition, Field.flushed, this.storedUpTo);
    if (batch.records) counters.add(partition, Field.aggregated, batch.records);
    if (batch.overflowed > 0) counters.add(partition, Field.overflowed, batch.overflowed);
    if (batch.ignored) counters.add(partition, Field.ignored, batch.ignored);
    if (batch.unknownApp) counters.add(partition, Field.unknownApp, batch.unknownApp);
    if (batch.late > 0) counters.add(partition, Field.late, batch.late);
    if (batch.rejected) {
      counters.add(partition, Field.rejected, batch.rejected);
      logger.warn(
        {
          topic,
          partition,
          rejected: batch.rejected,
          fromOffset: batch.fromOffset,
          nextOffset: batch.nextOffset,
        },
        'records dropped: unusable event time (not positive, or too far ahead of the clock)',
      );
    }
    const summary = this.deps.summarize?.(batch, this.opts.routeSampleLimit) ?? { routes: [] };
    post({
      code: 'flushed',
      topic,
      partition,
      nextOffset: batch.nextOffset,
      records: batch.records ?? 0,
      durationSeconds: seconds,
      ...summary,
    });
  }

  /** Gives back what was never stored (the partition stopped): the next owner re-reads it. */
  releaseUnstored(): void {
    let bytes = this.undrainedBytes;
    for (const q of this.queue) bytes += q.bytes;
    this.deps.pending.release(bytes);
    this.undrainedBytes = 0;
    this.queue.length = 0;
  }
}
