import type { RedisClient } from '../sinks/redis/redis-client.js';
import {
  parsePartitionMember,
  partitionAppsKey,
  partitionsKey,
  partitionTag,
  platformAppsKey,
} from '../sinks/redis/redis-keys.js';

/**
 * Both apps indexes, for the readers that ask whether routemeter knows an app at all
 * (appLastSeen, listApps): an app with only dyno data (a worker app, or one whose router
 * lines go elsewhere) is as known as one with router data. A partition is a router or a
 * platform one, so one of its two indexes does not exist; a ZSCORE or ZRANGE of a missing
 * key costs Redis next to nothing and goes out with the others (still one round trip per
 * node), which is cheaper than telling the readers which topic is which.
 */
export const APP_INDEXES: ReadonlyArray<(prefix: string, tag: string) => string> = [
  partitionAppsKey,
  platformAppsKey,
];

/** Which apps index to look in, and optionally only the partitions of one topic. */
export interface AppIndex {
  /** `partitionAppsKey` (router data, the default) or `platformAppsKey` (dyno data) */
  appsKey?: (prefix: string, tag: string) => string;
  topic?: string;
}

/**
 * The hash tags (`{topic:partition}`) of the partitions that hold data of `app`:
 * SMEMBERS {p}parts, then one ZSCORE {p}apps:{t:P} (or {p}dapps:{t:P}) per partition,
 * issued together. Cost: one round trip per Redis node, whatever the number of keys (no
 * SCAN). With the drain's key = app, an app normally lives on one partition; after a
 * change of partition count, during a key migration, or when DRAIN_HOT_APPS spreads it
 * (keys `host#s`, docs/kafka-records.md) it is on several, and the reader merges them.
 */
export async function findAppPartitions(
  redis: RedisClient,
  prefix: string,
  app: string,
  index: AppIndex = {},
): Promise<string[]> {
  const appsKey = index.appsKey ?? partitionAppsKey;
  const tags = await allPartitionTags(redis, prefix, index.topic);
  const scores = await Promise.all(tags.map((tag) => redis.zscore(appsKey(prefix, tag), app)));
  return tags.filter((_, i) => scores[i] !== null);
}

/** Every partition's tag (of `topic`, when given), for readers that walk all partitions (listApps). */
export async function allPartitionTags(
  redis: RedisClient,
  prefix: string,
  topic?: string,
): Promise<string[]> {
  return (await redis.smembers(partitionsKey(prefix)))
    .map(parsePartitionMember)
    .filter((m) => topic === undefined || m.topic === topic)
    .map((m) => partitionTag(m.topic, m.partition))
    .sort();
}
