import type { FlushBatch, WindowDelta } from '../../actors/flush-batch.js';
import { encodeGroupedFlush, type FlushEncoding, type FlushLayout } from './flush-encoding.js';
import { type FlushResult, runFlush } from './flush-outcome.js';
import { packCodes, packHistogram, packStats } from './packed-values.js';
import type { RedisClient } from './redis-client.js';
import { routemeterCommands } from './redis-commands.js';
import { partitionAppsKey, windowIndexKey, windowKey } from './redis-keys.js';
import type { Retention } from './retention.js';

/**
 * Stores one router partition flush effectively once (see flush-script.ts for the
 * Lua side, flush-outcome.ts for what the outcomes mean and docs/redis-keys.md for
 * the protocol): `applied` / `already-applied`, or throws RM_ERR_FLUSH_FENCED,
 * RM_ERR_FLUSH_OFFSET_MISMATCH or RM_ERR_REDIS_UNAVAILABLE (retry with the SAME batch).
 */
export interface FlushOptions {
  retention: Retention;
}

export async function flushPartition(
  redis: RedisClient,
  prefix: string,
  batch: FlushBatch,
  options: FlushOptions,
): Promise<FlushResult> {
  return runFlush(
    batch,
    'FlushBatch',
    () => encodeFlush(prefix, batch, options.retention),
    (n, keys, args) => routemeterCommands(redis).rmFlush(n, keys, args),
  );
}

const ROUTER_LAYOUT: FlushLayout<WindowDelta> = {
  appsKey: partitionAppsKey,
  windowKey: (prefix, tag, d) => windowKey(prefix, tag, d.resolutionSeconds, d.app, d.windowStart),
  indexKey: (prefix, tag, d) => windowIndexKey(prefix, tag, d.resolutionSeconds, d.app),
  pushDelta(args, d) {
    args.push(
      d.route,
      packStats(d),
      packCodes(d.codes),
      packHistogram(d.serviceHistogram),
      packHistogram(d.connectHistogram),
    );
  },
};

/** The flat KEYS/ARGV of the flush script (exported for tests and for measuring). */
export function encodeFlush(prefix: string, batch: FlushBatch, retention: Retention): FlushEncoding {
  return encodeGroupedFlush(prefix, batch, retention, ROUTER_LAYOUT);
}
