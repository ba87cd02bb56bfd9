import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import type { PartitionDrain } from '../actors/flush-batch.js';
import type { PartitionSettings } from '../config/config.js';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { serializeError } from '../errors/serialize-error.js';
import { pinnedPartitionAssigner } from '../kafka/pinned-partition-assigner.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import { PartitionFlusher } from './partition-flusher.js';
import type { DrainCounts, PartitionAggregatorPort, RecordKind } from './partition-ports.js';
import { PendingBytes } from './pending-bytes.js';
import type { StopReason, WorkerToMain } from './protocol.js';
import { decisionEvent } from './runtime-events.js';
import { decide, type SupervisionPolicy } from './supervision-decider.js';
import { Field, type PartitionCounters } from './worker-metrics.js';

/**
 * One Kafka partition, consumed by its own kafkajs consumer, inside a worker
 * thread: the fetch lifecycle. Generic over the record kind (`kind`: router or
 * platform lines, partition-ports.ts): parser, actors and store come from it.
 * The flush half (queue, backoff, outcomes) is
 * partition-flusher.ts. The life of a partition here:
 *
 *   claim (Redis: epoch += 1, read next offset)
 *     │
 *     ▼
 *   seek to next ──► eachBatch: parse → aggregator.record   (hot path, no I/O)
 *                        │
 *      every flushIntervalMs, or when pending records or the thread's pending
 *      bytes pass their bound (fetching pauses), or too many open windows
 *                        ▼
 *   PartitionFlusher: drain deltas → FlushBatch [from, next) → Redis (one atomic
 *   Lua step: epoch check, offset check, apply aggregates, next := batch.next)
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
  /** group timeouts and fetch bounds (fetchMaxBytes already scaled for this thread) */
  settings: PartitionSettings;
  policy: SupervisionPolicy;
}

export interface PartitionConsumerDeps<E, D extends DrainCounts> {
  kafka: Kafka;
  admin: Admin;
  /** parser, actors, store and flush summary of this partition's records */
  kind: RecordKind<E, D>;
  counters: PartitionCounters;
  post: (msg: WorkerToMain) => void;
  logger: Logger;
  /** the thread's pending-bytes budget; a private one (the configured bound) if left out */
  pending?: PendingBytes;
}

/** How a partition consumer fetches (bench/support/consume-bare.ts fetches the same way). */
export function fetchSettings(
  settings: Pick<PartitionSettings, 'fetchMaxWaitMs' | 'fetchMaxBytes'>,
): Pick<ConsumerConfig, 'maxWaitTimeInMs' | 'maxBytesPerPartition' | 'maxBytes' | 'minBytes'> {
  // One partition per consumer: the consumer-wide bound equals the partition's, so
  // a fetch never holds more than fetchMaxBytes of (compressed) record batches.
  return {
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
    maxBytesPerPartition: settings.fetchMaxBytes,
    maxBytes: settings.fetchMaxBytes,
    minBytes: 1,
  };
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class PartitionConsumer<E = unknown, D extends DrainCounts = PartitionDrain> {
  private state: State = 'idle';
  private consumer: Consumer | null = null;
  private epoch = 0;
  /** next offset to process (1 + last processed record) */
  private position = 0;
  private paused = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFailureLogMs = 0;
  /** the start sequence in flight, so a stop waits for its current step instead of racing it */
  private starting: Promise<void> | null = null;
  private readonly event: E;
  private aggregator: PartitionAggregatorPort<E, D> | null = null;
  private readonly pending: PendingBytes;
  private readonly flusher: PartitionFlusher<D>;

  constructor(
    private readonly opts: PartitionConsumerOptions,
    private readonly deps: PartitionConsumerDeps<E, D>,
  ) {
    this.pending = deps.pending ?? new PendingBytes(opts.settings.maxPendingBytes);
    this.event = deps.kind.createEvent();
    this.flusher = new PartitionFlusher<D>(
      {
        topic: opts.topic,
        partition: opts.partition,
        routeSampleLimit: opts.routeSampleLimit,
        policy: opts.policy,
      },
      {
        store: deps.kind.store,
        counters: deps.counters,
        post: deps.post,
        logger: deps.logger,
        pending: this.pending,
        summarize: deps.kind.summarize,
        pauseFetching: () => this.pause(),
        stopPartition: (reason, error) => void this.stop(reason, error),
      },
    );
  }

  get isFenced(): boolean {
    return this.deps.counters.get(this.opts.partition, Field.fenced) === 1;
  }

  /**
   * Claims the partition and starts fetching. Rejects only when the start itself
   * failed (the caller reports `start-failed`); a stop during the start makes it
   * return quietly.
   */
  start(): Promise<void> {
    this.state = 'starting';
    this.starting = this.startSteps();
    return this.starting;
  }

  /** Still starting? A stop() that arrived meanwhile owns the teardown. */
  private get startCancelled(): boolean {
    return this.state !== 'starting';
  }

  private async startSteps(): Promise<void> {
    const { topic, partition, settings } = this.opts;
    const { counters, logger } = this.deps;
    counters.set(partition, Field.fenced, 0);
    counters.set(partition, Field.paused, 0);
    const claim = await this.retryWhileStarting('claim', () => this.deps.kind.store.claim(topic, partition));
    if (claim === undefined) return;
    this.epoch = claim.epoch;
    this.aggregator = this.deps.kind.createAggregator(claim);

    // Where to start: the stored next offset, clamped to what Kafka still has.
    const offsets = await this.retryWhileStarting('offsets', () => this.deps.admin.fetchTopicOffsets(topic));
    if (offsets === undefined) return;
    const bounds = offsets.find((o) => o.partition === partition);
    const low = Number(bounds?.low ?? 0);
    let start = claim.nextOffset === null ? low : Number(claim.nextOffset);
    if (claim.nextOffset !== null && start < low) {
      // Kafka's retention deleted records we never aggregated: say so, count them, move on.
      logger.warn({ topic, partition, stored: start, low }, 'stored offset is below the log start; skipping');
      await this.deps.kind.store.advance(topic, partition, this.epoch, String(start), String(low));
      counters.add(partition, Field.skippedByRetention, low - start);
      start = low;
    }
    if (this.startCancelled) return;
    this.position = start;
    this.flusher.begin(this.epoch, this.aggregator, start);
    counters.set(partition, Field.position, start);
    counters.set(partition, Field.flushed, start);
    counters.set(partition, Field.highWatermark, Number(bounds?.high ?? start));
    counters.set(partition, Field.owned, 1);

    const consumer = this.deps.kafka.consumer({
      // A fixed name per partition, so that on Heroku's multi-tenant plans the
      // groups can be created up front (kafka:consumer-groups:create). Two owners
      // overlapping during a rebalance share the group, and the pinned assigner
      // lets only one of them fetch.
      groupId: `${this.opts.groupPrefix}.p${partition}`,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      partitionAssigners: [pinnedPartitionAssigner(topic, partition)],
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      ...fetchSettings(settings),
    });
    this.consumer = consumer;
    await consumer.connect();
    if (this.startCancelled) return;
    await consumer.subscribe({ topic, fromBeginning: true });
    if (this.startCancelled) return;
    await consumer.run({
      // Nothing is committed to Kafka from here (Redis holds the offsets), but the
      // batch must be resolved: kafkajs re-fetches an unresolved batch forever.
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // A stop that arrived while run() was joining has stopped the consumer:
    // seek() on it would throw "Consumer group was not initialized".
    if (this.startCancelled) return;
    // seek after run(): kafkajs applies it to the next fetch. A fetch that raced
    // ahead of it is harmless: records below `position` are skipped in onBatch.
    consumer.seek({ topic, partition, offset: String(start) });
    this.state = 'running';
    this.flushTimer = setInterval(() => void this.tick(), this.opts.flushIntervalMs);
    this.deps.post({ code: 'partition-started', topic, partition, epoch: this.epoch, offset: String(start) });
    logger.info({ topic, partition, epoch: this.epoch, offset: start }, 'partition started');
  }

  /** The hot path: parse and record each record; counters are published once per batch. */
  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    if (this.state !== 'running' && this.state !== 'starting') return;
    const { partition } = this.opts;
    const { counters } = this.deps;
    const { parse } = this.deps.kind;
    const aggregator = this.aggregator!;
    const event = this.event;
    let records = 0;
    let bytes = 0;
    let failures = 0;
    let position = this.position;
    let firstTimestampMs = 0;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset < position) continue;
      const value = message.value;
      if (records === 0) firstTimestampMs = Number(message.timestamp);
      records++;
      if (value === null) {
        failures++;
      } else {
        bytes += value.length;
        if (parse(value, message.headers, event)) aggregator.record(event);
        else failures++;
      }
      position = offset + 1;
    }
    // Control records (transaction markers) have offsets but no messages.
    const last = Number(batch.lastOffset());
    if (Number.isFinite(last) && last + 1 > position && batch.messages.length > 0) position = last + 1;
    this.position = position;
    this.flusher.noteConsumed(bytes, firstTimestampMs);
    counters.add(partition, Field.records, records);
    counters.add(partition, Field.bytes, bytes);
    if (failures > 0) this.onBadRecords(failures, batch.firstOffset());
    counters.set(partition, Field.position, position);
    counters.set(partition, Field.highWatermark, Number(batch.highWatermark));
    counters.set(partition, Field.activeRoutes, aggregator.activeRoutes);

    if (this.overPendingBound()) {
      this.pause();
      void this.flush();
    } else if (aggregator.openWindows >= this.opts.settings.maxOpenWindows) {
      // Keep each atomic flush small enough not to stall Redis (docs/redis-keys.md).
      void this.flush();
    }
  }

  /** Bad records are counted per batch and explained (and decided) at most every badRecordLogIntervalMs. */
  private onBadRecords(failures: number, firstOffset: string | null): void {
    const { topic, partition, policy, settings } = this.opts;
    this.deps.counters.add(partition, Field.parseFailures, failures);
    const now = Date.now();
    if (now - this.lastFailureLogMs < settings.badRecordLogIntervalMs) return;
    this.lastFailureLogMs = now;
    const failure = { kind: 'bad-record' } as const;
    const directive = decide(failure, policy);
    decisionEvent(
      this.deps.logger,
      {
        topic,
        partition,
        skipped: failures,
        firstOffset,
        why:
          this.deps.kind.name === 'router'
            ? 'not router lines this runtime can aggregate (no timestamp, host, method or path)'
            : 'not syslog lines with a header and a timestamp',
      },
      failure,
      directive,
    );
    this.deps.post({ code: 'decision', topic, partition, failure, directive });
  }

  /** This partition's unflushed records, or the thread's unflushed bytes, past their bound. */
  private overPendingBound(): boolean {
    return this.position - this.flusher.stored >= this.opts.maxPendingRecords || this.pending.over;
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

  /** The flush timer: store what is pending, then resume fetching once both bounds are well clear. */
  private async tick(): Promise<void> {
    const stored = await this.flush();
    if (
      stored &&
      this.paused &&
      this.state === 'running' &&
      this.position - this.flusher.stored < this.opts.maxPendingRecords / 2 &&
      this.pending.underResumeMark
    ) {
      this.resume();
    }
  }

  /** Drains what is pending and stores every queued batch, in order. Serialized; never rejects. */
  flush(): Promise<boolean> {
    if (this.isFenced) return Promise.resolve(false);
    return this.flusher.flush(this.position);
  }

  /**
   * Stops fetching, then (unless fenced or failed) flushes what was consumed,
   * within the shutdown budget. Anything not flushed is simply not acknowledged:
   * the next owner re-reads it from the stored offset.
   */
  async stop(reason: StopReason, error?: unknown): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const { topic, partition, settings } = this.opts;
    const { counters, post, logger } = this.deps;
    const wasStarting = this.state === 'starting' || this.state === 'idle';
    this.state = 'stopping';
    this.flusher.stopRetrying();
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    const deadline = Date.now() + this.opts.shutdownTimeoutMs;
    // Let the start's current step finish (it sees the stop and returns) before
    // the consumer is stopped under it.
    if (wasStarting && this.starting) {
      await withTimeout(
        this.starting.catch(() => {}),
        this.opts.shutdownTimeoutMs,
      ).catch(() => {});
    }
    try {
      await withTimeout(this.consumer?.stop() ?? Promise.resolve(), Math.max(1, deadline - Date.now()));
    } catch (err) {
      logger.warn({ topic, partition, err: (err as Error).message }, 'consumer stop failed');
    }
    if (reason === 'revoked' || reason === 'shutdown') {
      // Final flush: retry until it lands or the budget runs out.
      while (!this.flusher.isCaughtUp(this.position)) {
        if (this.isFenced || this.flusher.isStopped || Date.now() >= deadline) break;
        let stored = false;
        try {
          stored = await withTimeout(
            this.flusher.flush(this.position, true),
            Math.max(1, deadline - Date.now()),
          );
        } catch {
          // the flush outlived the budget
        }
        if (!stored) await sleep(Math.min(settings.finalFlushRetryMs, Math.max(0, deadline - Date.now())));
      }
    }
    try {
      await withTimeout(this.consumer?.disconnect() ?? Promise.resolve(), settings.disconnectTimeoutMs);
    } catch (err) {
      logger.warn({ topic, partition, err: (err as Error).message }, 'consumer disconnect failed');
    }
    this.state = 'stopped';
    counters.set(partition, Field.owned, 0);
    counters.set(partition, Field.paused, 0);
    const unflushed = !this.flusher.isCaughtUp(this.position);
    this.flusher.releaseUnstored();
    if (unflushed && reason !== 'fenced') {
      logger.warn(
        { topic, partition, flushed: this.flusher.stored, position: this.position },
        'stopped with unflushed records; the next owner re-reads them',
      );
    }
    post({
      code: 'partition-stopped',
      topic,
      partition,
      reason: this.isFenced ? 'fenced' : reason,
      nextOffset: String(this.flusher.stored),
      ...(error === undefined ? {} : { error: serializeError(error) }),
    });
    logger.info({ topic, partition, reason, flushed: this.flusher.stored }, 'partition stopped');
  }

  /**
   * A start step against the store or Kafka's admin: retried with the policy's
   * backoff while its errors may pass (canRetry), until a stop arrives; an error
   * that will not pass rejects the start.
   */
  private async retryWhileStarting<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    const { topic, partition, policy } = this.opts;
    for (let attempt = 1; ; attempt++) {
      if (this.startCancelled) return undefined;
      try {
        return await fn();
      } catch (err) {
        if (isRoutemeterError(err) && !err.canRetry) throw err;
        const failure = { kind: 'store-unavailable', attempt } as const;
        const directive = decide(failure, policy);
        decisionEvent(
          this.deps.logger,
          { topic, partition, step: what, err: (err as Error).message },
          failure,
          directive,
        );
        this.deps.post({ code: 'decision', topic, partition, failure, directive });
        await sleep(directive.action === 'retry' ? directive.delayMs : policy.backoffMaxMs);
      }
    }
  }
}
