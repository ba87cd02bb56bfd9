import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaConnection } from '../config/kafka-url.js';
import { isRoutemeterError, RoutemeterError } from '../errors/routemeter-error.js';
import { API_KEY, BrokerConnection } from './broker-connection.js';
import {
  type AbortedTransaction,
  decodeFetchResponse,
  encodeFetchRequest,
  FETCH_VERSIONS,
  type FetchedPartition,
} from './wire/fetch-protocol.js';
import { kafkaErrorAction, kafkaErrorName, NO_ERROR } from './wire/kafka-error-code.js';
import {
  decodeListOffsetsResponse,
  EARLIEST_TIMESTAMP,
  encodeListOffsetsRequest,
  LATEST_TIMESTAMP,
  LIST_OFFSETS_VERSIONS,
  READ_COMMITTED,
  READ_UNCOMMITTED,
} from './wire/list-offsets-protocol.js';
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  METADATA_VERSIONS,
} from './wire/metadata-protocol.js';
import { recordBatchBounds } from './wire/record-batch-bounds.js';

/**
 * The fetch loop of one (topic, partition), with no consumer group: the
 * supervisor pins partitions and Redis holds the offsets (docs/partition-ownership.md).
 *
 *   start(offset)
 *     │
 *     ▼
 *   leader? ── Metadata (a bootstrap broker) → connect to the leader (TLS as KAFKA_URL says)
 *     │
 *     ▼
 *   Fetch(offset, max wait, min bytes, max bytes) ──► complete batches → sink.onRecords (sync)
 *     │   └─ with prefetch, the next Fetch is sent before onRecords runs, so the broker
 *     │      reads the log while this thread decodes
 *     ├─ NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION,
 *     │  connection lost, timeout → forget the leader, back off (sink.onRetry says how long), again
 *     ├─ OFFSET_OUT_OF_RANGE → sink.onOutOfRange decides where to go on
 *     └─ anything that will not pass (authorization, no common API version) → sink.onFatal, stop
 *
 * Offsets are JS numbers (exact below 2^53). The last batch of a fetch may be cut
 * short by max bytes; the next fetch starts after the last complete one.
 */
export interface PartitionFetcherOptions {
  topic: string;
  partition: number;
  /** bootstrap brokers, host:port (KAFKA_URL) */
  brokers: readonly string[];
  ssl: KafkaConnection['ssl'];
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxWaitMs: number;
  minBytes: number;
  /** one fetch's bound, compressed bytes (request max_bytes and partition_max_bytes) */
  maxBytes: number;
  /** send the next fetch before handing the current one to the sink */
  prefetch: boolean;
}

/** One fetch's complete record batches, as a range of the response frame. */
export interface FetchedBatches {
  fetchOffset: number;
  buffer: Buffer;
  start: number;
  end: number;
  /** offset after the last complete batch */
  nextOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: AbortedTransaction[] | null;
}

export interface LogBounds {
  /** log start offset */
  low: number;
  /** high watermark */
  high: number;
}

/**
 * What the sink made of a fetch: where to fetch next (the decoder's next offset:
 * after the last batch it read, or at a batch it could not read), and an error to
 * back off on (retryable: a corrupt batch is fetched again) or to stop with.
 */
export interface FetchOutcome {
  nextOffset: number;
  error: RoutemeterError | null;
}

export interface PartitionFetcherSink {
  /**
   * Hands over one fetch's complete batches. The loop sends nothing new (beyond one
   * prefetch at `records.nextOffset`) until the outcome is known; a promise only when
   * the decode needs an async codec (zstd).
   */
  onRecords(records: FetchedBatches): FetchOutcome | Promise<FetchOutcome>;
  /**
   * The fetch offset is outside [log start, log end]: returns the offset to go on
   * from (the partition consumer's retention-gap rule). A rejection is retried.
   */
  onOutOfRange(fetchOffset: number, bounds: LogBounds): Promise<number>;
  /** A retryable failure (attempt 1, 2, … since the last good fetch): returns how long to back off. */
  onRetry(err: RoutemeterError, attempt: number): number;
  /** A failure that will not pass: the loop has stopped. */
  onFatal(err: unknown): void;
}

interface Leader {
  conn: BrokerConnection;
  epoch: number;
}

/** A fetch's answer; `release` gives its frame back to the connection (frame-pool.ts) once handled. */
type FetchAnswer = { offset: number; partition: FetchedPartition; release: () => void };

export class PartitionFetcher {
  private leader: Leader | null = null;
  private leaderPending: Promise<Leader> | null = null;
  private offset = 0;
  private running = false;
  private stopped = false;
  private paused = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private prefetched: Promise<FetchAnswer> | null = null;
  private bootstrapIndex = 0;
  /** raised above maxBytes for one fetch when the next batch alone is larger */
  private fetchBytes: number;

  constructor(
    private readonly opts: PartitionFetcherOptions,
    private readonly sink: PartitionFetcherSink,
  ) {
    this.fetchBytes = opts.maxBytes;
    this.bootstrapIndex = opts.partition % Math.max(1, opts.brokers.length);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Log start and high watermark, from the leader (errors are typed; retryable ones say so). */
  async logBounds(): Promise<LogBounds> {
    const leader = await this.findLeader();
    const [low, high] = await Promise.all([
      this.listOffset(leader, EARLIEST_TIMESTAMP, READ_UNCOMMITTED),
      this.listOffset(leader, LATEST_TIMESTAMP, READ_UNCOMMITTED),
    ]);
    return { low, high };
  }

  /** Starts fetching at `offset`. */
  start(offset: number): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.offset = offset;
    this.loop = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.wakeUp();
  }

  /** Stops the loop and closes the connection; resolves once the loop has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    this.leader?.conn.close();
    this.leader = null;
    await this.loop;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      if (this.paused) {
        await new Promise<void>((r) => {
          this.wake = r;
        });
        continue;
      }
      try {
        const answer = await (this.prefetched ?? this.fetch(this.offset));
        this.prefetched = null;
        try {
          if (this.stopped) return;
          // A fetch sent before the offset moved (out of range) answers for the old one.
          if (answer.offset !== this.offset) continue;
          await this.handle(answer.partition);
        } finally {
          // The sink decodes within handle and keeps no view of the frame (it copies what
          // it keeps), so the frame may serve the next answer.
          answer.release();
        }
        attempt = 0;
      } catch (err) {
        this.prefetched = null;
        if (this.stopped) return;
        if (!isRoutemeterError(err) || !err.canRetry) {
          this.stopped = true;
          this.closeLeader();
          this.sink.onFatal(err);
          return;
        }
        attempt++;
        this.closeLeader();
        await this.sleepUnlessStopped(this.sink.onRetry(err, attempt));
      }
    }
  }

  private async handle(p: FetchedPartition): Promise<void> {
    if (p.errorCode !== NO_ERROR) {
      const action = kafkaErrorAction(p.errorCode);
      if (action === 'out-of-range') {
        const bounds = await this.logBounds();
        if (this.stopped) return;
        this.offset = await this.sink.onOutOfRange(this.offset, bounds);
        return;
      }
      throw new RoutemeterError(
        action === 'fatal' ? 'RM_ERR_KAFKA_REJECTED' : 'RM_ERR_KAFKA_RETRIABLE',
        `fetch ${this.opts.topic}/${this.opts.partition} at ${this.offset}: ${kafkaErrorName(p.errorCode)}`,
        { details: { kafkaCode: p.errorCode, kafkaError: kafkaErrorName(p.errorCode) } },
      );
    }
    const bounds = recordBatchBounds(p.buffer, p.recordsStart, p.recordsEnd);
    if (bounds.nextOffset === -1) {
      if (p.recordsEnd > p.recordsStart) {
        // Records, but no complete batch: one batch larger than the fetch's bound. Ask
        // for it whole once (the broker returns at least one batch since KIP-74, so
        // this is rare); a batch that claims less than we asked for is corrupt.
        if (bounds.firstBatchBytes <= this.fetchBytes) {
          throw new RoutemeterError(
            'RM_ERR_KAFKA_RETRIABLE',
            `fetch ${this.opts.topic}/${this.opts.partition} at ${this.offset}: no complete record batch in ${p.recordsEnd - p.recordsStart} bytes`,
          );
        }
        this.fetchBytes = bounds.firstBatchBytes;
      }
      return;
    }
    this.fetchBytes = this.opts.maxBytes;
    const fetchOffset = this.offset;
    if (this.opts.prefetch && !this.paused && !this.stopped) {
      const next = this.fetch(bounds.nextOffset);
      next.catch(() => {}); // awaited by the loop; a rejection meanwhile must not count as unhandled
      this.prefetched = next;
    }
    let outcome = this.sink.onRecords({
      fetchOffset,
      buffer: p.buffer,
      start: p.recordsStart,
      end: bounds.end,
      nextOffset: bounds.nextOffset,
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      logStartOffset: p.logStartOffset,
      abortedTransactions: p.abortedTransactions,
    });
    if (outcome instanceof Promise) outcome = await outcome;
    // A prefetch made for another offset is dropped by the loop.
    this.offset = outcome.nextOffset;
    if (outcome.error) throw outcome.error;
  }

  private async fetch(offset: number): Promise<FetchAnswer> {
    const leader = await this.findLeader();
    const { topic, partition, maxWaitMs, minBytes, requestTimeoutMs } = this.opts;
    const version = leader.conn.version(API_KEY.fetch, FETCH_VERSIONS.min, FETCH_VERSIONS.max);
    const maxBytes = this.fetchBytes;
    const r = await leader.conn.request(
      API_KEY.fetch,
      version,
      (w) =>
        encodeFetchRequest(w, version, {
          topic,
          partition,
          fetchOffset: offset,
          maxWaitMs,
          minBytes,
          maxBytes,
          partitionMaxBytes: maxBytes,
          isolationLevel: READ_COMMITTED,
          currentLeaderEpoch: leader.epoch,
        }),
      maxWaitMs + requestTimeoutMs,
    );
    const release = () => r.release();
    const { errorCode, partition: answer } = decodeFetchResponse(r, version, topic, partition);
    if (errorCode !== NO_ERROR) {
      throw new RoutemeterError(
        kafkaErrorAction(errorCode) === 'fatal' ? 'RM_ERR_KAFKA_REJECTED' : 'RM_ERR_KAFKA_RETRIABLE',
        `fetch ${topic}/${partition}: ${kafkaErrorName(errorCode)}`,
        { details: { kafkaCode: errorCode } },
      );
    }
    if (!answer) {
      throw new RoutemeterError(
        'RM_ERR_KAFKA_PROTOCOL',
        `fetch ${topic}/${partition}: the answer lacks the partition`,
      );
    }
    return { offset, partition: answer, release };
  }

  private async listOffset(leader: Leader, timestamp: number, isolationLevel: number): Promise<number> {
    const { topic, partition } = this.opts;
    const version = leader.conn.version(
      API_KEY.listOffsets,
      LIST_OFFSETS_VERSIONS.min,
      LIST_OFFSETS_VERSIONS.max,
    );
    const r = await leader.conn.request(API_KEY.listOffsets, version, (w) =>
      encodeListOffsetsRequest(w, version, {
        topic,
        partition,
        timestamp,
        isolationLevel,
        currentLeaderEpoch: leader.epoch,
      }),
    );
    const answer = decodeListOffsetsResponse(r, version, topic, partition);
    if (!answer) {
      throw new RoutemeterError(
        'RM_ERR_KAFKA_PROTOCOL',
        `list offsets ${topic}/${partition}: no answer for it`,
      );
    }
    if (answer.errorCode !== NO_ERROR) {
      if (kafkaErrorAction(answer.errorCode) !== 'fatal') this.closeLeader();
      throw new RoutemeterError(
        kafkaErrorAction(answer.errorCode) === 'fatal' ? 'RM_ERR_KAFKA_REJECTED' : 'RM_ERR_KAFKA_RETRIABLE',
        `list offsets ${topic}/${partition}: ${kafkaErrorName(answer.errorCode)}`,
        { details: { kafkaCode: answer.errorCode } },
      );
    }
    return answer.offset;
  }

  /** The leader's connection: the one we have, or Metadata from a bootstrap broker and a new one. */
  private findLeader(): Promise<Leader> {
    if (this.leader?.conn.isOpen) return Promise.resolve(this.leader);
    this.leaderPending ??= this.connectLeader().finally(() => {
      this.leaderPending = null;
    });
    return this.leaderPending;
  }

  private async connectLeader(): Promise<Leader> {
    const { topic, partition, brokers } = this.opts;
    const address = brokers[this.bootstrapIndex++ % brokers.length]!;
    const bootstrap = await this.connect(address);
    let keep = false;
    try {
      const version = bootstrap.version(API_KEY.metadata, METADATA_VERSIONS.min, METADATA_VERSIONS.max);
      const r = await bootstrap.request(API_KEY.metadata, version, (w) =>
        encodeMetadataRequest(w, version, [topic]),
      );
      const md = decodeMetadataResponse(r, version);
      const t = md.topics.find((x) => x.name === topic);
      const p = t?.partitions.find((x) => x.partition === partition);
      const topicError = t?.errorCode ?? 3;
      const error = topicError !== NO_ERROR ? topicError : (p?.errorCode ?? 3);
      if (error !== NO_ERROR && !(p && p.leaderId >= 0 && error === 9)) {
        throw new RoutemeterError(
          kafkaErrorAction(error) === 'fatal' ? 'RM_ERR_KAFKA_REJECTED' : 'RM_ERR_KAFKA_RETRIABLE',
          `metadata ${topic}/${partition}: ${kafkaErrorName(error)}`,
          { details: { kafkaCode: error } },
        );
      }
      const broker = md.brokers.find((b) => b.nodeId === p!.leaderId);
      if (!p || p.leaderId < 0 || !broker) {
        throw new RoutemeterError('RM_ERR_KAFKA_RETRIABLE', `metadata ${topic}/${partition}: no leader yet`, {
          details: { kafkaCode: 5 },
        });
      }
      let conn = bootstrap;
      if (`${broker.host}:${broker.port}` !== address)
        conn = await this.connect(`${broker.host}:${broker.port}`);
      else keep = true;
      if (this.stopped) {
        conn.close();
        throw new RoutemeterError('RM_ERR_KAFKA_CONNECTION', 'fetcher stopped');
      }
      this.leader = { conn, epoch: p.leaderEpoch };
      return this.leader;
    } finally {
      if (!keep) bootstrap.close();
    }
  }

  private connect(address: string): Promise<BrokerConnection> {
    const i = address.lastIndexOf(':');
    const { ssl, clientId, connectTimeoutMs, requestTimeoutMs } = this.opts;
    return BrokerConnection.connect({
      host: address.slice(0, i).replace(/^\[|\]$/g, ''),
      port: Number(address.slice(i + 1)),
      ssl,
      clientId,
      connectTimeoutMs,
      requestTimeoutMs,
    });
  }

  private closeLeader(): void {
    this.leader?.conn.close();
    this.leader = null;
  }

  private async sleepUnlessStopped(ms: number): Promise<void> {
    await Promise.race([
      sleep(ms),
      new Promise<void>((r) => {
        this.wake = r;
      }),
    ]);
    this.wake = null;
  }
}
