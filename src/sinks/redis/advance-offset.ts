import { RoutemeterError } from '../../errors/routemeter-error.js';
import type { RedisClient } from './redis-client.js';
import { routemeterCommands } from './redis-commands.js';
import { toRedisError } from './redis-errors.js';
import { offsetKey } from './redis-keys.js';

export interface AdvanceRequest {
  topic: string;
  partition: number;
  /** the epoch of the current claim */
  epoch: number;
  /** new next offset, typically the partition's log start offset */
  toOffset: string;
  /** if given, the stored next offset must equal it (compare-and-set) */
  expectedOffset?: string;
}

export interface AdvanceResult {
  /** false when the stored offset was already at or past `toOffset` */
  advanced: boolean;
  nextOffset: string;
}

/**
 * Skips a retention gap: when the stored next offset is below the log start
 * (Kafka deleted records before they were aggregated), moves it to `toOffset`
 * under the same fencing as a flush. Never moves it backwards.
 * Throws RM_ERR_FLUSH_FENCED or RM_ERR_FLUSH_OFFSET_MISMATCH like flushPartition.
 */
export async function advanceOffset(
  redis: RedisClient,
  prefix: string,
  req: AdvanceRequest,
): Promise<AdvanceResult> {
  if (!/^(0|[1-9][0-9]*)$/.test(req.toOffset)) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_BATCH',
      `advanceOffset: toOffset must be a decimal offset, got ${req.toOffset}`,
    );
  }
  let reply: Array<string | number>;
  try {
    reply = await routemeterCommands(redis).rmAdvance(
      offsetKey(prefix, req.topic, req.partition),
      req.epoch,
      req.expectedOffset ?? '',
      req.toOffset,
    );
  } catch (err) {
    throw toRedisError(err, `advance ${req.topic}/${req.partition}`);
  }
  const where = `${req.topic}/${req.partition}`;
  switch (reply[0]) {
    case 'ok':
      return { advanced: true, nextOffset: String(reply[1]) };
    case 'unchanged':
      return { advanced: false, nextOffset: String(reply[1]) };
    case 'fenced':
      throw new RoutemeterError(
        'RM_ERR_FLUSH_FENCED',
        `advance of ${where} with epoch ${req.epoch} rejected: the stored epoch is ${reply[1] || 'none'}`,
        { details: { storedEpoch: reply[1], storedNext: reply[2] } },
      );
    case 'mismatch':
      throw new RoutemeterError(
        'RM_ERR_FLUSH_OFFSET_MISMATCH',
        `advance of ${where} expected next ${req.expectedOffset} but the stored next offset is ${reply[2] || 'none'}`,
        { details: { storedNext: reply[2], expectedOffset: req.expectedOffset } },
      );
    default:
      throw new RoutemeterError(
        'RM_ERR_REDIS_SCRIPT',
        `advance script returned an unknown status ${JSON.stringify(reply)}`,
      );
  }
}
