import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { FlushBatch } from '../actors/flush-batch.js';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { serializeError } from '../errors/serialize-error.js';
import { pinnedPartitionAssigner } from '../kafka/pinned-partition-assigner.js';
import { createRouterEvent } from '../logplex/router-event.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import type {
  AggregatorFactory,
  PartitionAggregatorPort,
  PartitionStorePort,
  RecordParser,
} from './partition-ports.js';
import type { RouteSample, WorkerToMain } from './protocol.js';
import { backoffDelay, DEFAULT_POLICY } from './supervision-decider.js';
import { UnflushedAge } from './unflushed-age.js';
import { Field, type PartitionCounters } from './worker-metrics.js';

/**
 * One Kafka partition, consumed by its own kafkajs consumer, inside a worker
 * thread. The life of a partition here:
 *
 *   claim (Redis: epoch += 1, read next offset)
 *     │
 *     ▼
 *   seek to next ──► eachBatch: parse → aggregator.record   (hot path, no I/O)
 *                        │
 *      every flushIntervalMs, or when pending ≥ maxPendingRecords
 *                        ▼
 *   drain deltas → FlushBatch [from, next) → Redis (one atomic Lua step:
 *   epoch check, offset check, apply aggregates, next := batch.next)
 *                        │
 *          ok ──► report `flushed` (main commits the offset to Kafka for lag tools)
 *          fenced ──► stop: a newer owner has the partition
 *          Redis down ──► keep the batch, pause fetching when too much is pending, retry
 *
 * kafkajs has no `assign()`, so the consumer joins a private group of its own
 * (`<group>.p<partition>`) whose assigner hands it exactly this
 * partition; offsets live in Redis, never in that group. See docs/partition-ownership.md.
 */
export interface PartitionConsumerOptions {
  topic: string;
  partition: number;
  groupPrefix: string;
  instanceId: string;
  flushIntervalMs: number;
  maxPendingRecords: number;
  shutdownTimeoutMs: number;
  /** how many routes per flush are reported to main for the capped per-route series */
  routeSampleLimit: number;
}

export interface PartitionConsumerDeps {
  kafka: Kafka;
  admin: Admin;
  store: PartitionStorePort;
  createAggregator: AggregatorFactory;
  parse: RecordParser;
  counters: PartitionCounters;
  post: (msg: WorkerToMain) => void;
  logger: Logger;
  /** per-route summary of a drained batch; optional so tests can leave it out */
  sampleRoutes?: (batch: FlushBatch, limit: number) => RouteSample[];
}

/** (route, window) states per flush above which a flush starts early: one Lua step stays well under 100 ms */
const MAX_OPEN_WINDOWS = 4000;

/** How much a partition consumer fetches at once (bench/consume.ts fetches the same way). */
export const FETCH_SETTINGS = {
  maxWaitTimeInMs: 250,
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBytes: 8 * 1024 * 1024,
} as const;

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class PartitionConsumer {
  private state: State = 'idle';
  private consumer: Consumer | null = null;
  private epoch = 0;
  /** next offset to process (1 + last processed record) */
  private position = 0;
  /** offset up to which records have been drained into `queue` */
  private drainedUpTo = 0;
  /** offset stored in Redis (the last successful flush's next) */
  private flushedUpTo = 0;
  /** drained batches not yet stored, oldest first */
  private readonly queue: FlushBatch[] = [];
  private paused = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<boolean> | null = null;
  private flushAttempts = 0;
  private retryAt = 0;
  private lastFailureLogMs = 0;
  private readonly event = createRouterEvent();
  private aggregator: PartitionAggregatorPort | null = null;
  private readonly unflushed = new UnflushedAge();

  constructor(
    private readonly opts: PartitionConsumerOptions,
    private readonly deps: PartitionConsumerDeps,
  ) {}

  get isFenced(): boolean {
    return this.deps.counters.get(this.opts.partition, Field.fenced) === 1;
  }

  async start(): Promise<void> {
    const { topic, partition } = this.opts;
    const { counters, logger } = this.deps;
    this.state = 'starting';
    counters.set(partition, Field.fenced, 0);
    counters.set(partition, Field.paused, 0);
    const claim = await this.retryUntilStopped('claim', () => this.deps.store.claim(topic, partition));
    if (claim === undefined) return;
    this.epoch = claim.epoch;
    this.aggregator = this.deps.createAggregator(claim);

    // Where to start: the stored next offset, clamped to what Kafka still has.
    const offsets = await this.retryUntilStopped('offsets', () => this.deps.admin.fetchTopicOffsets(topic));
    if (offsets === undefined) return;
    const bounds = offsets.find((o) => o.partition === partition);
    const low = Number(bounds?.low ?? 0);
    let start = claim.nextOffset === null ? low : Number(claim.nextOffset);
    if (claim.nextOffset !== null && start < low) {
      // Kafka's retention deleted records we never aggregated: say so, count them, move on.
      logger.warn({ topic, partition, stored: start, low }, 'stored offset is below the log start; skipping');
      await this.deps.store.advance(topic, partition, this.epoch, String(start), String(low));
      counters.add(partition, Field.skippedByRetention, low - start);
      start = low;
    }
    this.position = start;
    this.drainedUpTo = start;
    this.flushedUpTo = start;
    counters.set(partition, Field.position, start);
    counters.set(partition, Field.flushed, start);
    counters.set(partition, Field.highWatermark, Number(bounds?.high ?? start));
    counters.set(partition, Field.owned, 1);
    counters.set(partition, Field.lastFlushMs, Date.now());
    counters.set(partition, Field.oldestUnflushedMs, 0);

    const consumer = this.deps.kafka.consumer({
      // A fixed name per partition, so that on Heroku's multi-tenant plans the
      // groups can be created up front (kafka:consumer-groups:create). Two owners
      // overlapping during a rebalance share the group, and the pinned assigner
      // lets only one of them fetch.
      groupId: `${this.opts.groupPrefix}.p${partition}`,
      rebalanceTimeout: 20_000,
      partitionAssigners: [pinnedPartitionAssigner(topic, partition)],
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      ...FETCH_SETTINGS,
    });
    if (this.state !== 'starting') return;
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Nothing is committed to Kafka from here (Redis holds the offsets), but the
      // batch must be resolved: kafkajs re-fetches an unresolved batch forever.
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // seek after run(): kafkajs applies it to the next fetch. A fetch that raced
    // ahead of it is harmless: records below `position` are skipped in onBatch.
    consumer.seek({ topic, partition, offset: String(start) });
    if (this.state !== 'starting') return; // stop() arrived meanwhile and owns the teardown
    this.state = 'running';
    this.flushTimer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.deps.post({ code: 'partition-started', topic, partition, epoch: this.epoch, offset: String(start) });
    logger.info({ topic, partition, epoch: this.epoch, offset: start }, 'partition started');
  }

  /** The hot path: parse and record each record; counters are published once per batch. */
  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    if (this.state !== 'running' && this.state !== 'starting') return;
    const { partition } = this.opts;
    const { parse, counters } = this.deps;
    const aggregator = this.aggregator!;
    const event = this.event;
    let records = 0;
    let bytes = 0;
    let failures = 0;
    let position = this.position;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset < position) continue;
      const value = message.value;
      if (records === 0) this.unflushed.consumed(Number(message.timestamp));
      records++;
      if (value === null) {
        failures++;
      } else {
        bytes += value.length;
        if (parse(value, event)) aggregator.record(event);
        else failures++;
      }
      position = offset + 1;
    }
    // Control records (transaction markers) have offsets but no messages.
    const last = Number(batch.lastOffset());
    if (Number.isFinite(last) && last + 1 > position && batch.messages.length > 0) position = last + 1;
    this.position = position;
    counters.add(partition, Field.records, records);
    counters.add(partition, Field.bytes, bytes);
    if (failures > 0) {
      counters.add(partition, Field.parseFailures, failures);
      // Explained in the log, at most every 10 s per partition (never per record).
      const now = Date.now();
      if (now - this.lastFailureLogMs >= 10_000) {
        this.lastFailureLogMs = now;
        this.deps.logger.warn(
          { topic: this.opts.topic, partition, skipped: failures, firstOffset: batch.firstOffset() },
          'records skipped: not router lines this runtime can aggregate (no timestamp, host, method or path)',
        );
      }
    }
    counters.set(partition, Field.position, position);
    counters.set(partition, Field.highWatermark, Number(batch.highWatermark));
    counters.set(partition, Field.activeRoutes, aggregator.activeRoutes);
    counters.set(partition, Field.oldestUnflushedMs, this.unflushed.oldestMs);

    if (position - this.flushedUpTo >= this.opts.maxPendingRecords) {
      this.pause();
      void this.flush();
    } else if (aggregator.openWindows >= MAX_OPEN_WINDOWS) {
      // Keep each atomic flush small enough not to stall Redis (docs/redis-keys.md).
      void this.flush();
    }
  }

  private pause(): void {
    if (this.paused || !this.consumer) return;
    this.paused = true;
    this.consumer.pause([{ topic: this.opts.topic, partitions: [this.opts.partition] }]);
    this.deps.counters.set(this.opts.partition, Field.paused, 1);
  }

  private resume(): void {
    if (!this.paused || !this.consumer) return;
    this.paused = false;
    this.consumer.resume([{ topic: this.opts.topic, partitions: [this.opts.partition] }]);
    this.deps.counters.set(this.opts.partition, Field.paused, 0);
  }

  /** Drains what is pending and stores every queued batch, in order. Serialized; never rejects. */
  flush(): Promise<boolean> {
    if (this.flushing) return this.flushing;
    // After a failure, the interval timer waits for the backoff instead of hammering Redis.
    if (Date.now() < this.retryAt && this.state === 'running') return Promise.resolve(false);
    this.flushing = this.flushQueue().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private drainIntoQueue(): void {
    if (this.position <= this.drainedUpTo || !this.aggregator) return;
    this.queue.push({
      ...this.aggregator.drain(),
      topic: this.opts.topic,
      partition: this.opts.partition,
      epoch: this.epoch,
      fromOffset: String(this.drainedUpTo),
      nextOffset: String(this.position),
    });
    this.drainedUpTo = this.position;
    this.unflushed.drained();
  }

  /** Stores queued batches in order; true when everything drained so far is stored. Never throws. */
  private async flushQueue(): Promise<boolean> {
    const { topic, partition } = this.opts;
    const { store, counters, post, logger } = this.deps;
    if (this.isFenced) return false;
    this.drainIntoQueue();
    while (this.queue.length > 0) {
      const batch = this.queue[0]!;
      const started = process.hrtime.bigint();
      try {
        await store.flush(batch);
      } catch (err) {
        counters.add(partition, Field.flushFailures, 1);
        post({ code: 'flush-failed', topic, partition, error: serializeError(err) });
        if (isRoutemeterError(err, 'RM_ERR_FLUSH_FENCED')) {
          logger.warn(
            { topic, partition, epoch: this.epoch },
            'flush fenced: a newer owner claimed the partition',
          );
          counters.set(partition, Field.fenced, 1);
          void this.stop('fenced');
          return false;
        }
        this.flushAttempts++;
        if (isRoutemeterError(err, 'RM_ERR_FLUSH_OFFSET_MISMATCH')) {
          // Our view of the partition disagrees with the store: nothing we hold can be
          // applied safely. Give the partition up; the supervisor re-claims it from the
          // stored offset.
          logger.error({ topic, partition, err }, 'flush rejected: offset mismatch; restarting partition');
          void this.stop('failed', err);
          return false;
        }
        logger.warn(
          { topic, partition, attempt: this.flushAttempts, err: (err as Error).message },
          'flush failed; keeping the batch and retrying',
        );
        // Backpressure: stop fetching while Redis is away, so memory stays bounded.
        this.pause();
        if (this.state === 'running') {
          const delay = backoffDelay(DEFAULT_POLICY, this.flushAttempts);
          this.retryAt = Date.now() + delay;
          setTimeout(() => void this.flush(), delay).unref();
        }
        return false;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.flushAttempts = 0;
      this.queue.shift();
      this.unflushed.stored();
      counters.set(partition, Field.oldestUnflushedMs, this.unflushed.oldestMs);
      this.flushedUpTo = Number(batch.nextOffset);
      counters.add(partition, Field.flushes, 1);
      counters.set(partition, Field.flushed, this.flushedUpTo);
      if (batch.overflowed > 0) counters.add(partition, Field.overflowed, batch.overflowed);
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
      post({
        code: 'flushed',
        topic,
        partition,
        nextOffset: batch.nextOffset,
        records: batch.records ?? 0,
        durationSeconds: seconds,
        routes: this.deps.sampleRoutes ? this.deps.sampleRoutes(batch, this.opts.routeSampleLimit) : [],
      });
    }
    if (this.paused && this.position - this.flushedUpTo < this.opts.maxPendingRecords / 2) this.resume();
    // Everything drained is stored: the partition is as fresh as a flush can make it.
    counters.set(partition, Field.lastFlushMs, Date.now());
    return true;
  }

  /**
   * Stops fetching, then (unless fenced) flushes what was consumed, within the
   * shutdown budget. Anything not flushed is simply not acknowledged: the next
   * owner re-reads it from the stored offset.
   */
  async stop(reason: 'revoked' | 'fenced' | 'shutdown' | 'failed', error?: unknown): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const { topic, partition } = this.opts;
    const { counters, post, logger } = this.deps;
    this.state = 'stopping';
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    const deadline = Date.now() + this.opts.shutdownTimeoutMs;
    try {
      await withTimeout(this.consumer?.stop() ?? Promise.resolve(), this.opts.shutdownTimeoutMs);
    } catch (err) {
      logger.warn({ topic, partition, err: (err as Error).message }, 'consumer stop failed');
    }
    if (reason !== 'fenced' && reason !== 'failed') {
      // Final flush: retry until it lands or the budget runs out.
      while (this.queue.length > 0 || this.position > this.drainedUpTo) {
        if (this.isFenced || Date.now() >= deadline) break;
        let stored = false;
        try {
          stored = await withTimeout(this.flush(), Math.max(1, deadline - Date.now()));
        } catch {
          // the flush outlived the budget
        }
        if (!stored) await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
      }
    }
    try {
      await withTimeout(this.consumer?.disconnect() ?? Promise.resolve(), 5000);
    } catch (err) {
      logger.warn({ topic, partition, err: (err as Error).message }, 'consumer disconnect failed');
    }
    this.state = 'stopped';
    counters.set(partition, Field.owned, 0);
    counters.set(partition, Field.paused, 0);
    const unflushed = this.queue.length > 0 || this.position > this.drainedUpTo;
    if (unflushed && reason !== 'fenced') {
      logger.warn(
        { topic, partition, flushed: this.flushedUpTo, position: this.position },
        'stopped with unflushed records; the next owner re-reads them',
      );
    }
    post({
      code: 'partition-stopped',
      topic,
      partition,
      reason: this.isFenced ? 'fenced' : reason,
      nextOffset: String(this.flushedUpTo),
      ...(error === undefined ? {} : { error: serializeError(error) }),
    });
    logger.info({ topic, partition, reason, flushed: this.flushedUpTo }, 'partition stopped');
  }

  private async retryUntilStopped<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.state !== 'starting') return undefined;
      try {
        return await fn();
      } catch (err) {
        this.deps.logger.warn(
          { topic: this.opts.topic, partition: this.opts.partition, attempt, err: (err as Error).message },
          `${what} failed; retrying`,
        );
        await sleep(backoffDelay(DEFAULT_POLICY, attempt));
      }
    }
  }
}
