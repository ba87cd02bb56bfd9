import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Races `promise` against a timer; the timer is always cleared. Used wherever a
 * deadline is owed to someone else: logplex's 5 s, Heroku's 30 s after SIGTERM.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RoutemeterError('RM_ERR_TIMEOUT', `${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
