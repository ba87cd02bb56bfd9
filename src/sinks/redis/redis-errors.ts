import { RoutemeterError } from '../../errors/routemeter-error.js';

/**
 * Replies that mean "Redis cannot serve this right now" rather than "this
 * command is wrong": the same call may succeed later.
 */
const TRANSIENT_REPLY = /^(BUSY|LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS|UNBLOCKED)\b/;

/**
 * Maps an ioredis failure to RM_ERR_REDIS_UNAVAILABLE (canRetry) when it is a
 * connection problem or a transient reply; any other reply error (a script bug,
 * a wrong type) becomes RM_ERR_REDIS_SCRIPT (canRetry false), so that the
 * partition stops and the supervisor spends its restart budget instead of
 * retrying it forever.
 */
export function toRedisError(err: unknown, what: string): unknown {
  if (err instanceof RoutemeterError) return err;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'ReplyError' && !TRANSIENT_REPLY.test(e.message ?? '')) {
    return new RoutemeterError('RM_ERR_REDIS_SCRIPT', `${what}: ${e.message ?? String(err)}`, { cause: err });
  }
  return new RoutemeterError('RM_ERR_REDIS_UNAVAILABLE', `${what}: ${e?.message ?? String(err)}`, {
    cause: err,
  });
}
