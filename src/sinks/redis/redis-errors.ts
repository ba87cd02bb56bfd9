import { RoutemeterError } from '../../errors/routemeter-error.js';

/**
 * Replies that mean "Redis cannot serve this right now" rather than "this
 * command is wrong": the same call may succeed later.
 */
const TRANSIENT_REPLY = /^(BUSY|LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS|UNBLOCKED)\b/;

/**
 * Maps an ioredis failure to RM_ERR_REDIS_UNAVAILABLE (canRetry) when it is a
 * connection problem or a transient reply; anything else (a script bug, a wrong
 * type) is returned unchanged so that it is not retried forever.
 */
export function toRedisError(err: unknown, what: string): unknown {
  if (err instanceof RoutemeterError) return err;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'ReplyError' && !TRANSIENT_REPLY.test(e.message ?? '')) return err;
  return new RoutemeterError('RM_ERR_REDIS_UNAVAILABLE', `${what}: ${e?.message ?? String(err)}`, {
    cause: err,
  });
}
