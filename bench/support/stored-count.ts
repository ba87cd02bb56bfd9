import { unpackStats } from '../../src/sinks/redis/packed-values.js';
import type { RedisClient } from '../../src/sinks/redis/redis-client.js';
import {
  parsePartitionMember,
  partitionAppsKey,
  partitionsKey,
  partitionTag,
  windowIndexKey,
  windowKey,
} from '../../src/sinks/redis/redis-keys.js';

/**
 * Sum of the `count` stats of every route and window of one resolution, walking the key
 * schema (docs/redis-keys.md): every partition in {p}parts → its apps → their windows.
 * The benches' exactness check: it must equal the records consumed.
 */
export async function storedCount(
  redis: RedisClient,
  prefix: string,
  resolutionSeconds: number,
): Promise<number> {
  let total = 0;
  for (const member of await redis.smembers(partitionsKey(prefix))) {
    const { topic, partition } = parsePartitionMember(member);
    const tag = partitionTag(topic, partition);
    for (const app of await redis.zrange(partitionAppsKey(prefix, tag), 0, -1)) {
      const starts = await redis.zrange(windowIndexKey(prefix, tag, resolutionSeconds, app), 0, -1);
      const hashes = await Promise.all(
        starts.map((s) => redis.hgetallBuffer(windowKey(prefix, tag, resolutionSeconds, app, Number(s)))),
      );
      for (const hash of hashes) {
        for (const [field, value] of Object.entries(hash)) {
          if (field.endsWith('|s')) total += unpackStats(value)[0] ?? 0;
        }
      }
    }
  }
  return total;
}

/**
 * Redis memory per (route, window) of one resolution: `MEMORY USAGE` of every window hash
 * (all samples) divided by its routes (one stats field each). For sizing (docs/scaling.md).
 */
export async function bytesPerRouteWindow(
  redis: RedisClient,
  prefix: string,
  resolutionSeconds: number,
): Promise<{ bytes: number; routeWindows: number }> {
  let bytes = 0;
  let fields = 0;
  for (const member of await redis.smembers(partitionsKey(prefix))) {
    const { topic, partition } = parsePartitionMember(member);
    const tag = partitionTag(topic, partition);
    for (const app of await redis.zrange(partitionAppsKey(prefix, tag), 0, -1)) {
      for (const s of await redis.zrange(windowIndexKey(prefix, tag, resolutionSeconds, app), 0, -1)) {
        const key = windowKey(prefix, tag, resolutionSeconds, app, Number(s));
        bytes += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        fields += (await redis.hkeys(key)).filter((f) => f.endsWith('|s')).length;
      }
    }
  }
  return { bytes, routeWindows: fields };
}
