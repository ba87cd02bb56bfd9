import { describe, expect, it } from 'vitest';
import { RoutemeterError } from '../../../src/errors/routemeter-error.js';
import { toRedisError } from '../../../src/sinks/redis/redis-errors.js';

function replyError(message: string): Error {
  const e = new Error(message);
  e.name = 'ReplyError';
  return e;
}

describe('toRedisError', () => {
  it.each([
    ['a closed connection', new Error('Connection is closed.'), true],
    [
      'ECONNREFUSED',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      true,
    ],
    ['BUSY (a long script)', replyError('BUSY Redis is busy running a script.'), true],
    ['LOADING', replyError('LOADING Redis is loading the dataset in memory'), true],
    ['READONLY (failover)', replyError("READONLY You can't write against a read only replica."), true],
    ['OOM', replyError('OOM command not allowed when used memory > maxmemory'), true],
    ['a script error', replyError('ERR user_script:12: attempt to compare nil with number'), false],
    ['WRONGTYPE', replyError('WRONGTYPE Operation against a key holding the wrong kind of value'), false],
  ])('%s → retryable: %s', (_, err, retryable) => {
    const mapped = toRedisError(err, 'flush router/0');
    if (retryable) {
      expect(mapped).toBeInstanceOf(RoutemeterError);
      expect(mapped).toMatchObject({ code: 'RM_ERR_REDIS_UNAVAILABLE', canRetry: true, cause: err });
      expect((mapped as Error).message).toMatch(/^flush router\/0: /);
    } else {
      // not an outage: typed, never retried forever (the partition stops, the budget is spent)
      expect(mapped).toMatchObject({ code: 'RM_ERR_REDIS_SCRIPT', canRetry: false, cause: err });
    }
  });

  it('passes RoutemeterErrors through', () => {
    const err = new RoutemeterError('RM_ERR_FLUSH_FENCED', 'fenced');
    expect(toRedisError(err, 'x')).toBe(err);
  });
});
