import type { FlushBatch, WindowDelta } from '../../actors/flush-batch.js';
import { RoutemeterError } from '../../errors/routemeter-error.js';
import { packCodes, packHistogram, packStats } from './packed-values.js';
import type { RedisClient } from './redis-client.js';
import { routemeterCommands } from './redis-commands.js';
import { toRedisError } from './redis-errors.js';
import { offsetKey, partitionAppsKey, partitionTag, windowIndexKey, windowKey } from './redis-keys.js';
import { longestTtl, type Retention, ttlFor } from './retention.js';

/**
 * Stores one partition flush effectively once (see flush-script.ts for the Lua
 * side and docs/redis-keys.md for the protocol):
 *
 *   applied          the batch was applied and next := batch.nextOffset
 *   already-applied  the same batch had been applied before (a retry after a lost
 *                    reply, or ioredis re-sending it after a reconnect): nothing
 *                    was written; treat as success
 *   throws RM_ERR_FLUSH_FENCED           a newer owner claimed the partition:
 *                                        stop, drop the state, do not retry
 *   throws RM_ERR_FLUSH_OFFSET_MISMATCH  the store is elsewhere in the partition:
 *                                        drop the state, re-claim, resume from the
 *                                        stored offset
 *   throws RM_ERR_REDIS_UNAVAILABLE      retry later with the SAME batch object
 *
 * "Already applied" is recognised as: same epoch, stored next == batch.nextOffset
 * != batch.fromOffset. Within one epoch a single owner flushes consecutive
 * ranges, so no other batch can have ended at that offset.
 *
 * A stored epoch LOWER than the batch's means the store lost our claim: Redis
 * replicates asynchronously, so a primary that dies right after acknowledging a
 * claim can hand its slots to a replica that never saw it. No newer owner exists;
 * the store merely went back in time. That is reported as an offset mismatch
 * (re-claim, resume from the stored offset), not as fenced, which would make the
 * runtime give the partition up for good. Lost flushes look the same way (stored
 * next behind fromOffset) and are re-aggregated from Kafka.
 */
export interface FlushOptions {
  retention: Retention;
}

export interface FlushResult {
  status: 'applied' | 'already-applied';
  /** deltas in the batch (sent even when the outcome is already-applied) */
  deltas: number;
  /** distinct (resolution, app, window) hashes touched */
  windows: number;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

type FlushArg = string | number | Buffer;

export async function flushPartition(
  redis: RedisClient,
  prefix: string,
  batch: FlushBatch,
  options: FlushOptions,
): Promise<FlushResult> {
  validate(batch);
  const { keys, args, windows } = encodeFlush(prefix, batch, options.retention);
  let reply: Array<string | number>;
  try {
    reply = await routemeterCommands(redis).rmFlush(keys.length, keys, args);
  } catch (err) {
    throw toRedisError(
      err,
      `flush ${batch.topic}/${batch.partition} [${batch.fromOffset}, ${batch.nextOffset})`,
    );
  }
  const status = String(reply[0]);
  const where = `${batch.topic}/${batch.partition}`;
  switch (status) {
    case 'ok':
      return { status: 'applied', deltas: batch.deltas.length, windows };
    case 'fenced':
      if (reply[1] !== '' && Number(reply[1]) < batch.epoch) {
        throw new RoutemeterError(
          'RM_ERR_FLUSH_OFFSET_MISMATCH',
          `flush of ${where} with epoch ${batch.epoch}: the store holds the older epoch ${reply[1]} (a failover lost the claim); re-claim`,
          { details: { storedEpoch: reply[1], storedNext: reply[2], epoch: batch.epoch } },
        );
      }
      throw new RoutemeterError(
        'RM_ERR_FLUSH_FENCED',
        `flush of ${where} with epoch ${batch.epoch} rejected: the stored epoch is ${reply[1] || 'none (never claimed)'}`,
        { details: { storedEpoch: reply[1], storedNext: reply[2], epoch: batch.epoch } },
      );
    case 'mismatch': {
      const storedNext = String(reply[2]);
      if (storedNext === batch.nextOffset)
        return { status: 'already-applied', deltas: batch.deltas.length, windows };
      throw new RoutemeterError(
        'RM_ERR_FLUSH_OFFSET_MISMATCH',
        `flush of ${where} starts at ${batch.fromOffset} but the stored next offset is ${storedNext}`,
        { details: { storedNext, fromOffset: batch.fromOffset, nextOffset: batch.nextOffset } },
      );
    }
    default:
      throw new RoutemeterError(
        'RM_ERR_REDIS_SCRIPT',
        `flush script returned an unknown status ${JSON.stringify(reply)}`,
      );
  }
}

function validate(batch: FlushBatch): void {
  const bad = (what: string) => new RoutemeterError('RM_ERR_INVALID_BATCH', `invalid FlushBatch: ${what}`);
  if (!Number.isInteger(batch.epoch) || batch.epoch < 1) throw bad(`epoch ${batch.epoch}`);
  if (!DECIMAL.test(batch.fromOffset)) throw bad(`fromOffset ${batch.fromOffset}`);
  if (!DECIMAL.test(batch.nextOffset)) throw bad(`nextOffset ${batch.nextOffset}`);
  if (compareOffsets(batch.nextOffset, batch.fromOffset) < 0) {
    throw bad(`nextOffset ${batch.nextOffset} < fromOffset ${batch.fromOffset}`);
  }
}

/** Compares two canonical decimal offsets (any length) */
export function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The flat KEYS/ARGV of the flush script (exported for tests and for measuring). */
export function encodeFlush(
  prefix: string,
  batch: FlushBatch,
  retention: Retention,
): { keys: string[]; args: FlushArg[]; windows: number } {
  // Group by window hash so each hash gets one EXPIRE and one index update.
  const tag = partitionTag(batch.topic, batch.partition);
  const groups = new Map<string, WindowDelta[]>();
  for (const d of batch.deltas) {
    const key = windowKey(prefix, tag, d.resolutionSeconds, d.app, d.windowStart);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [d]);
    else group.push(d);
  }
  // all keys carry the partition's hash tag: one slot on Redis Cluster (redis-keys.ts)
  const keys = [offsetKey(prefix, batch.topic, batch.partition), partitionAppsKey(prefix, tag)];
  const args: FlushArg[] = [
    batch.epoch,
    batch.fromOffset,
    batch.nextOffset,
    batch.watermarkMs === undefined ? '' : batch.watermarkMs,
    longestTtl(retention),
    groups.size,
  ];
  for (const [key, deltas] of groups) {
    const first = deltas[0]!;
    keys.push(key, windowIndexKey(prefix, tag, first.resolutionSeconds, first.app));
    args.push(first.app, first.windowStart, ttlFor(retention, first.resolutionSeconds), deltas.length);
    for (const d of deltas) pushDelta(args, d);
  }
  return { keys, args, windows: groups.size };
}

function pushDelta(args: FlushArg[], d: WindowDelta): void {
  args.push(
    d.route,
    packStats(d),
    packCodes(d.codes),
    packHistogram(d.serviceHistogram),
    packHistogram(d.connectHistogram),
  );
}
