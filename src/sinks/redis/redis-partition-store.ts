import type { FlushBatch } from '../../actors/flush-batch.js';
import { advanceOffset } from './advance-offset.js';
import { claimPartition, type PartitionClaim } from './claim-partition.js';
import { type FlushResult, flushPartition } from './flush-partition.js';
import { readOffsets, type StoredOffset } from './read-offsets.js';
import type { RedisClient } from './redis-client.js';
import type { Retention } from './retention.js';

/**
 * The sink's functions bound to one client, prefix and retention: the shape the
 * runtime's PartitionStorePort expects (claim / flush / advance).
 */
export class RedisPartitionStore {
  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly retention: Retention,
  ) {}

  claim(topic: string, partition: number): Promise<PartitionClaim> {
    return claimPartition(this.redis, this.prefix, topic, partition);
  }

  flush(batch: FlushBatch): Promise<FlushResult> {
    return flushPartition(this.redis, this.prefix, batch, { retention: this.retention });
  }

  /** Moves next from `from` to `to` (records deleted by Kafka retention); a no-op if already past `to`. */
  async advance(topic: string, partition: number, epoch: number, from: string, to: string): Promise<void> {
    await advanceOffset(this.redis, this.prefix, {
      topic,
      partition,
      epoch,
      expectedOffset: from,
      toOffset: to,
    });
  }

  offsets(topic: string): Promise<StoredOffset[]> {
    return readOffsets(this.redis, this.prefix, topic);
  }
}
