/**
 * Supervision is data (after Proto.Actor): every failure is classified, a pure
 * `decide()` maps it to a directive, and the supervisor only carries the
 * directive out. Restarts are capped by a budget within a sliding window;
 * exhausting it escalates, and the process exits non-zero so that the
 * orchestrator (Heroku, Kubernetes, compose) restarts it.
 */
export type Failure =
  /** a record that could not be parsed: counted, skipped */
  | { kind: 'bad-record' }
  /** Redis refused or timed out a flush: keep the batch, pause, retry */
  | { kind: 'flush-unavailable' }
  /** a newer owner claimed the partition: drop it, the group will sort it out */
  | { kind: 'fenced' }
  /** a worker thread exited or threw */
  | { kind: 'worker-crashed'; workerId: number }
  /** the group membership consumer crashed and kafkajs will not restart it */
  | { kind: 'membership-lost' };

export type Directive =
  | { action: 'resume' }
  | { action: 'retry'; delayMs: number }
  | { action: 'stop-partition' }
  | { action: 'restart'; delayMs: number }
  | { action: 'escalate'; reason: string };

export interface SupervisionPolicy {
  /** restarts allowed within `windowMs` before escalating */
  maxRestarts: number;
  windowMs: number;
  /** exponential backoff for restarts: base · 2^(n-1), capped */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_POLICY: SupervisionPolicy = {
  maxRestarts: 5,
  windowMs: 60_000,
  backoffBaseMs: 200,
  backoffMaxMs: 10_000,
};

/** Sliding-window restart budget: timestamps of recent restarts. */
export class RestartBudget {
  private readonly times: number[] = [];

  constructor(private readonly policy: SupervisionPolicy) {}

  /** Records a restart at `now`; returns how many restarts are in the window, this one included. */
  spend(now: number): number {
    const cutoff = now - this.policy.windowMs;
    while (this.times.length > 0 && this.times[0]! <= cutoff) this.times.shift();
    this.times.push(now);
    return this.times.length;
  }

  get recent(): number {
    return this.times.length;
  }
}

export function backoffDelay(policy: SupervisionPolicy, attempt: number): number {
  const exp = policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(policy.backoffMaxMs, exp);
}

/**
 * Pure: the directive for a failure, given the budget's count of restarts in
 * the window *including* this one (only consulted for crashes).
 */
export function decide(failure: Failure, policy: SupervisionPolicy, restartsInWindow = 0): Directive {
  switch (failure.kind) {
    case 'bad-record':
      return { action: 'resume' };
    case 'flush-unavailable':
      return { action: 'retry', delayMs: policy.backoffBaseMs };
    case 'fenced':
      return { action: 'stop-partition' };
    case 'worker-crashed':
      if (restartsInWindow > policy.maxRestarts) {
        return {
          action: 'escalate',
          reason: `${restartsInWindow - 1} worker restarts within ${policy.windowMs} ms (budget ${policy.maxRestarts})`,
        };
      }
      return { action: 'restart', delayMs: backoffDelay(policy, restartsInWindow) };
    case 'membership-lost':
      return { action: 'escalate', reason: 'the consumer-group membership crashed' };
  }
}
