import type { RedisClient } from '../sinks/redis/redis-client.js';
import {
  parsePartitionMember,
  partitionAppsKey,
  partitionsKey,
  partitionTag,
} from '../sinks/redis/redis-keys.js';

/**
 * The hash tags (`{topic:partition}`) of the partitions that hold data of `app`:
 * SMEMBERS {p}parts, then one ZSCORE {p}apps:{t:P} per partition, issued together.
 * Cost: one round trip per Redis node, whatever the number of keys (no SCAN). With
 * the drain's key = app, an app normally lives on one partition; after a change of
 * partition count or during a key migration it can be on several, and the reader
 * merges them.
 */
export async function findAppPartitions(redis: RedisClient, prefix: string, app: string): Promise<string[]> {
  const tags = await allPartitionTags(redis, prefix);
  const scores = await Promise.all(tags.map((tag) => redis.zscore(partitionAppsKey(prefix, tag), app)));
  return tags.filter((_, i) => scores[i] !== null);
}

/** Every partition's tag, for readers that walk all partitions (listApps). */
export async function allPartitionTags(redis: RedisClient, prefix: string): Promise<string[]> {
  return (await redis.smembers(partitionsKey(prefix)))
    .map(parsePartitionMember)
    .map(({ topic, partition }) => partitionTag(topic, partition))
    .sort();
}
