import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionDrain } from '../actors/flush-batch.js';
import type { PartitionSettings } from '../config/config.js';
import { isRoutemeterError, type RoutemeterError } from '../errors/routemeter-error.js';
import { serializeError } from '../errors/serialize-error.js';
import type {
  FetchedBatches,
  FetchOutcome,
  LogBounds,
  PartitionFetcherSink,
} from '../kafka/partition-fetcher.js';
import { type DecodeResult, RecordBatchDecoder, type RecordView } from '../kafka/record-batch-decoder.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import { PartitionFlusher } from './partition-flusher.js';
import type {
  DrainCounts,
  FetcherFactory,
  PartitionAggregatorPort,
  PartitionFetcherPort,
  RecordKind,
} from './partition-ports.js';
import { PendingBytes } from './pending-bytes.js';
import type { StopReason, WorkerToMain } from './protocol.js';
import { decisionEvent } from './runtime-events.js';
import { decide, type SupervisionPolicy } from './supervision-decider.js';
import { Field, type PartitionCounters } from './worker-metrics.js';

/**
 * One Kafka partition, fetched by its own partition fetcher (no consumer group),
 * inside a worker thread: the fetch lifecycle. Generic over the record kind (`kind`:
 * router or platform lines, partition-ports.ts): parser, actors and store come from it. The flush half (queue, backoff,
 * outcomes) is partition-flusher.ts. The life of a partition here:
 *
 *   claim (Redis: epoch += 1, read next offset)
 *     │
 *     ▼
 *   ListOffsets (log start, high watermark) → clamp the stored offset (retention gap)
 *     │
 *     ▼
 *   fetch loop from next ──► record batches → decoder → parse(buf, start, end) → aggregator.record
 *                        │                                        (hot path, no I/O, no Buffer per record)
 *      every flushIntervalMs, or when pending records or the thread's pending
 *      bytes pass their bound (fetching pauses), or too many open windows
 *                        ▼
 *   PartitionFlusher: drain deltas → FlushBatch [from, next) → Redis (one atomic
 *   Lua step: epoch check, offset check, apply aggregates, next := batch.next)
 *
 * The supervisor pins partitions and Redis holds the offsets, so no group is
 * joined here: see docs/partition-ownership.md.
 */
export interface PartitionConsumerOptions {
  topic: string;
  partition: number;
  flushIntervalMs: number;
  maxPendingRecords: number;
  shutdownTimeoutMs: number;
  /** how many routes per flush are reported to main for the capped per-route series */
  routeSampleLimit: number;
  /** fetch and memory bounds (fetchMaxBytes already scaled for this thread) */
  settings: PartitionSettings;
  policy: SupervisionPolicy;
}

export interface PartitionConsumerDeps<E, D extends DrainCounts> {
  createFetcher: FetcherFactory;
  /** parser, actors, store and flush summary of this partition's records */
  kind: RecordKind<E, D>;
  counters: PartitionCounters;
  post: (msg: WorkerToMain) => void;
  logger: Logger;
  /** the thread's pending-bytes budget; a private one (the configured bound) if left out */
  pending?: PendingBytes;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class PartitionConsumer<E = unknown, D extends DrainCounts = PartitionDrain>
  implements PartitionFetcherSink
{
  private state: State = 'idle';
  private fetcher: PartitionFetcherPort | null = null;
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
  /** the stored next offset as claimed, until the flusher has begun at the start offset */
  private claimedNext: string | null = null;
  private flusherBegun = false;
  private readonly pending: PendingBytes;
  private readonly flusher: PartitionFlusher<D>;
  private readonly decoder: RecordBatchDecoder;
  // The fetch being decoded: what onRecord accumulates, published once per fetch.
  private fetchRecords = 0;
  private fetchBytes = 0;
  private fetchFailures = 0;
  private fetchFirstFailure = -1;
  private fetchFirstTimestampMs = 0;

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
    this.decoder = new RecordBatchDecoder({
      onRecord: (buf, start, end, offset, timestampMs, view) =>
        this.onRecord(buf, start, end, offset, timestampMs, view),
    });
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
    const { topic, partition } = this.opts;
    const { counters, logger } = this.deps;
    counters.set(partition, Field.fenced, 0);
    counters.set(partition, Field.paused, 0);
    const claim = await this.retryWhileStarting('claim', () => this.deps.kind.store.claim(topic, partition));
    if (claim === undefined) return;
    this.epoch = claim.epoch;
    this.claimedNext = claim.nextOffset;
    this.aggregator = this.deps.kind.createAggregator(claim);

    const fetcher = this.deps.createFetcher(topic, partition, this);
    this.fetcher = fetcher;

    // Where to start: the stored next offset, clamped to what Kafka still has.
    const bounds = await this.retryWhileStarting('offsets', () => fetcher.logBounds());
    if (bounds === undefined) return;
    const { low, high } = bounds;
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
    this.flusherBegun = true;
    counters.set(partition, Field.position, start);
    counters.set(partition, Field.flushed, start);
    counters.set(partition, Field.highWatermark, high);
    counters.set(partition, Field.owned, 1);
    this.state = 'running';
    this.flushTimer = setInterval(() => void this.tick(), this.opts.flushIntervalMs);
    fetcher.start(start);
    this.deps.post({ code: 'partition-started', topic, partition, epoch: this.epoch, offset: String(start) });
    logger.info({ topic, partition, epoch: this.epoch, offset: start }, 'partition started');
  }

  /**
   * One fetch's complete record batches (PartitionFetcherSink): decoded in place,
   * each value parsed and recorded; counters are published once per fetch.
   */
  onRecords(fetched: FetchedBatches): FetchOutcome | Promise<FetchOutcome> {
    if (this.state !== 'running') return { nextOffset: fetched.fetchOffset, error: null };
    this.fetchRecords = 0;
    this.fetchBytes = 0;
    this.fetchFailures = 0;
    this.fetchFirstFailure = -1;
    this.fetchFirstTimestampMs = 0;
    const result = this.decoder.decodeSync({
      buf: fetched.buffer,
      start: fetched.start,
      end: fetched.end,
      fetchOffset: fetched.fetchOffset,
      abortedTransactions: fetched.abortedTransactions,
    });
    if (result.stopReason !== 'needs-async') return this.afterFetch(result, fetched.highWatermark);
    // A zstd batch: its codec is async; decoding goes on once it is inflated.
    return (async () => {
      let r = result;
      while (r.stopReason === 'needs-async') r = await this.decoder.resume();
      return this.afterFetch(r, fetched.highWatermark);
    })();
  }

  /** The hot path: one record's value, parsed in place and recorded. */
  private onRecord(
    buf: Buffer,
    start: number,
    end: number,
    offset: number,
    timestampMs: number,
    view: RecordView,
  ): void {
    if (offset < this.position) return;
    if (this.fetchRecords === 0) this.fetchFirstTimestampMs = timestampMs;
    this.fetchRecords++;
    if (view.valueIsNull || !this.deps.kind.parse(buf, start, end, view, this.event)) {
      this.fetchFailures++;
      if (this.fetchFirstFailure < 0) this.fetchFirstFailure = offset;
      return;
    }
    this.fetchBytes += end - start;
    this.aggregator!.record(this.event);
  }

  private afterFetch(result: DecodeResult, highWatermark: number): FetchOutcome {
    const { partition } = this.opts;
    const { counters } = this.deps;
    const aggregator = this.aggregator!;
    // The decoder's next offset also steps over control batches and aborted transactions.
    if (result.nextOffset > this.position) this.position = result.nextOffset;
    const position = this.position;
    this.flusher.noteConsumed(this.fetchBytes, this.fetchFirstTimestampMs);
    counters.add(partition, Field.records, this.fetchRecords);
    counters.add(partition, Field.bytes, this.fetchBytes);
    if (this.fetchFailures > 0) this.onBadRecords(this.fetchFailures, String(this.fetchFirstFailure));
    counters.set(partition, Field.position, position);
    counters.set(partition, Field.highWatermark, highWatermark);
    counters.set(partition, Field.activeRoutes, aggregator.activeRoutes);

    if (this.overPendingBound()) {
      this.pause();
      void this.flush();
    } else if (aggregator.openWindows >= this.opts.settings.maxOpenWindows) {
      // Keep each atomic flush small enough not to stall Redis (docs/redis-keys.md).
      void this.flush();
    }
    // 'end' is the usual stop; a corrupt batch is fetched again (after a backoff), one this
    // process cannot read stops the partition (the fetcher reports it through onFatal).
    const error = result.stopReason === 'end' || result.stopReason === 'partial' ? null : result.error;
    return { nextOffset: result.nextOffset, error };
  }

  /**
   * The fetch offset is outside the log (PartitionFetcherSink). Below the log start,
   * retention deleted records we never aggregated: count them and go on from the log
   * start; the next flush covers the gap (its batch ends at the new position), as a
   * claim below the log start does. Above the log end (the log was truncated or the
   * topic re-created), reading again from an earlier offset would count records twice:
   * wait and ask again, loudly.
   */
  async onOutOfRange(fetchOffset: number, bounds: LogBounds): Promise<number> {
    const { topic, partition, policy } = this.opts;
    const { counters, logger } = this.deps;
    if (fetchOffset < bounds.low) {
      logger.warn(
        { topic, partition, offset: fetchOffset, low: bounds.low },
        'fetch offset is below the log start; skipping',
      );
      counters.add(partition, Field.skippedByRetention, bounds.low - fetchOffset);
      if (bounds.low > this.position) this.position = bounds.low;
      counters.set(partition, Field.position, this.position);
      return bounds.low;
    }
    logger.error(
      { topic, partition, offset: fetchOffset, low: bounds.low, high: bounds.high },
      'fetch offset is past the log end (truncated or re-created topic); waiting for the log to reach it',
    );
    await sleep(Math.min(policy.backoffMaxMs, 1000));
    return fetchOffset;
  }

  /** A retryable fetch failure (PartitionFetcherSink): a decision, and the backoff it says. */
  onRetry(err: RoutemeterError, attempt: number): number {
    const { topic, partition, policy } = this.opts;
    const failure = { kind: 'fetch-unavailable', attempt, code: err.code } as const;
    const directive = decide(failure, policy);
    decisionEvent(this.deps.logger, { topic, partition, err: err.message }, failure, directive);
    this.deps.post({ code: 'decision', topic: this.opts.topic, partition, failure, directive });
    return directive.action === 'retry' ? directive.delayMs : policy.backoffMaxMs;
  }

  /** A fetch failure that will not pass (PartitionFetcherSink): the partition stops and the supervisor decides. */
  onFatal(err: unknown): void {
    void this.stop('failed', err);
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
    this.deps.post({ code: 'decision', topic: this.opts.topic, partition, failure, directive });
  }

  /** This partition's unflushed records, or the thread's unflushed bytes, past their bound. */
  private overPendingBound(): boolean {
    return this.position - this.flusher.stored >= this.opts.maxPendingRecords || this.pending.over;
  }

  private pause(): void {
    if (this.paused || !this.fetcher) return;
    this.paused = true;
    this.fetcher.pause();
    this.deps.counters.set(this.opts.partition, Field.paused, 1);
  }

  private resume(): void {
    if (!this.paused || !this.fetcher) return;
    this.paused = false;
    this.fetcher.resume();
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
    // the fetcher is stopped under it.
    if (wasStarting && this.starting) {
      await withTimeout(
        this.starting.catch(() => {}),
        this.opts.shutdownTimeoutMs,
      ).catch(() => {});
    }
    try {
      // No fetch in flight, no connection left: nothing is consumed past this point.
      await withTimeout(
        this.fetcher?.stop() ?? Promise.resolve(),
        Math.min(settings.disconnectTimeoutMs, Math.max(1, deadline - Date.now())),
      );
    } catch (err) {
      logger.warn({ topic, partition, err: (err as Error).message }, 'fetcher stop failed');
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
      // A stop before the fetch began reports what was claimed, never a made-up 0.
      nextOffset: this.flusherBegun ? String(this.flusher.stored) : this.claimedNext,
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
        this.deps.post({ code: 'decision', topic: this.opts.topic, partition, failure, directive });
        await sleep(directive.action === 'retry' ? directive.delayMs : policy.backoffMaxMs);
      }
    }
  }
}
