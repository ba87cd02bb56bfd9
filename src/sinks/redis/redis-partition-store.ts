import type { PlatformFlushBatch } from '../../actors/dyno-flush-batch.js';
import type { FlushBatch } from '../../actors/flush-batch.js';
import { withTimeout } from '../../util/with-timeout.js';
import { advanceOffset } from './advance-offset.js';
import { claimPartition, type PartitionClaim } from './claim-partition.js';
import type { FlushResult } from './flush-outcome.js';
import { flushPartition } from './flush-partition.js';
import { flushPlatformPartition } from './flush-platform-partition.js';
import { readOffsets, type StoredOffset } from './read-offsets.js';
import type { RedisClient } from './redis-client.js';
import type { Retention } from './retention.js';

/**
 * The sink's functions bound to one client, prefix and retention: the shape the
 * runtime's PartitionStorePort expects (claim / flush / advance); `flushPlatform` for
 * platform partitions, which are claimed and advanced like router partitions.
 *
 * Every call has a deadline (`deadlineMs`, 0 = none). ioredis times out a command that
 * reached a connection, but a Redis Cluster client can hold a command in its own offline
 * queue while it re-learns the slot map after a failover, and a command held there has no
 * timeout: without a deadline one flush could wedge its partition forever. A flush that
 * misses the deadline is retried like any store outage (RM_ERR_TIMEOUT, canRetry); if the
 * held one is applied after all, the retry finds it already applied (flush-partition.ts).
 */
export class RedisPartitionStore {
  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly retention: Retention,
    readonly deadlineMs = 0,
  ) {}

  #bounded<T>(what: string, op: Promise<T>): Promise<T> {
    return this.deadlineMs > 0 ? withTimeout(op, this.deadlineMs, what) : op;
  }

  claim(topic: string, partition: number): Promise<PartitionClaim> {
    return this.#bounded(
      `claim ${topic}/${partition}`,
      claimPartition(this.redis, this.prefix, topic, partition),
    );
  }

  flush(batch: FlushBatch): Promise<FlushResult> {
    return this.#bounded(
      `flush ${batch.topic}/${batch.partition}`,
      flushPartition(this.redis, this.prefix, batch, { retention: this.retention }),
    );
  }

  /** A platform (dyno) partition's flush: same claim, fencing, outcomes and deadline as `flush`. */
  flushPlatform(batch: PlatformFlushBatch): Promise<FlushResult> {
    return this.#bounded(
      `flush ${batch.topic}/${batch.partition}`,
      flushPlatformPartition(this.redis, this.prefix, batch, { retention: this.retention }),
    );
  }

  /** Moves next from `from` to `to` (records deleted by Kafka retention); a no-op if already past `to`. */
  async advance(topic: string, partition: number, epoch: number, from: string, to: string): Promise<void> {
    await this.#bounded(
      `advance ${topic}/${partition}`,
      advanceOffset(this.redis, this.prefix, { topic, partition, epoch, expectedOffset: from, toOffset: to }),
    );
  }

  offsets(topic: string): Promise<StoredOffset[]> {
    return this.#bounded(`offsets of ${topic}`, readOffsets(this.redis, this.prefix, topic));
  }
}
