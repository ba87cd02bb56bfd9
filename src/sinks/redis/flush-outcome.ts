import { RoutemeterError } from '../../errors/routemeter-error.js';
import { toRedisError } from './redis-errors.js';

/**
 * What a partition flush script's reply means, the same for router and platform
 * partitions (flush-script-parts.ts has the script side, docs/redis-keys.md the protocol):
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
export interface FlushResult {
  status: 'applied' | 'already-applied';
  /** deltas in the batch (sent even when the outcome is already-applied) */
  deltas: number;
  /** distinct (resolution, app, window) hashes touched */
  windows: number;
}

/** The part of a router or platform flush batch the protocol looks at. */
export interface FlushRange {
  topic: string;
  partition: number;
  epoch: number;
  fromOffset: string;
  nextOffset: string;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Throws RM_ERR_INVALID_BATCH unless the epoch and offsets are well-formed (`batchName` names the type). */
export function validateFlushRange(batch: FlushRange, batchName: string): void {
  const bad = (what: string) => new RoutemeterError('RM_ERR_INVALID_BATCH', `invalid ${batchName}: ${what}`);
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

/**
 * Runs one partition flush: checks the batch's range, encodes it, runs the script and
 * reads its reply. A Redis failure becomes RM_ERR_REDIS_UNAVAILABLE (canRetry) or
 * RM_ERR_REDIS_SCRIPT (toRedisError).
 */
export async function runFlush(
  batch: FlushRange & { deltas: readonly unknown[] },
  batchName: string,
  encode: () => { keys: string[]; args: Array<string | number | Buffer>; windows: number },
  script: (numKeys: number, keys: string[], args: Array<string | number | Buffer>) => Promise<ScriptReply>,
): Promise<FlushResult> {
  validateFlushRange(batch, batchName);
  const { keys, args, windows } = encode();
  let reply: ScriptReply;
  try {
    reply = await script(keys.length, keys, args);
  } catch (err) {
    throw toRedisError(
      err,
      `flush ${batch.topic}/${batch.partition} [${batch.fromOffset}, ${batch.nextOffset})`,
    );
  }
  return flushOutcome(reply, batch, { deltas: batch.deltas.length, windows });
}

type ScriptReply = Array<string | number>;

/** The script's reply → the result, or the typed error (see above). */
export function flushOutcome(
  reply: Array<string | number>,
  batch: FlushRange,
  counts: { deltas: number; windows: number },
): FlushResult {
  const status = String(reply[0]);
  const where = `${batch.topic}/${batch.partition}`;
  switch (status) {
    case 'ok':
      return { status: 'applied', ...counts };
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
      if (storedNext === batch.nextOffset) return { status: 'already-applied', ...counts };
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
