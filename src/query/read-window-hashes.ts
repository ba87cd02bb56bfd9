import { RoutemeterError } from '../errors/routemeter-error.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';

/**
 * The read every range query does, for route windows (queryRoutes, querySeries) and dyno
 * windows (queryDynos) alike: per partition holding the app, `ZRANGEBYSCORE` of its
 * window index for the starts in [fromSeconds, toMs), then `HGETALL` (as buffers) of each
 * window hash. Partitions live in different slots, so on Redis Cluster the commands go to
 * several nodes at once (ioredis auto-pipelines them per node). Windows of the same start
 * from different partitions are all returned: callers merge them like windows of
 * different starts. An index entry can outlive its hash by a moment (both expire): such
 * empty hashes are skipped.
 */
export interface StoredWindow {
  start: number;
  hash: Record<string, Buffer>;
}

export async function readWindowHashes(
  redis: RedisClient,
  tags: readonly string[],
  fromSeconds: number,
  toMs: number,
  indexKey: (tag: string) => string,
  hashKey: (tag: string, start: number) => string,
): Promise<StoredWindow[]> {
  const perTag = await Promise.all(
    tags.map(async (tag) => {
      const starts = (await redis.zrangebyscore(indexKey(tag), fromSeconds, `(${toMs / 1000}`)).map(Number);
      const found = await Promise.all(starts.map((start) => redis.hgetallBuffer(hashKey(tag, start))));
      return starts.map((start, i) => ({ start, hash: found[i]! }));
    }),
  );
  return perTag.flat().filter((w) => Object.keys(w.hash).length > 0);
}

/** RM_ERR_INVALID_QUERY unless fromMs < toMs, both finite. */
export function checkRange(fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_QUERY',
      `query range must have fromMs < toMs, got ${fromMs}..${toMs}`,
    );
  }
}

/** RM_ERR_INVALID_QUERY unless `resolution` (seconds) is a positive integer. */
export function checkResolution(resolution: number): void {
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_QUERY',
      `query resolution must be a positive integer, got ${resolution}`,
    );
  }
}
