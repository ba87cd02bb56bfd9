import type { SupervisionSettings } from '../config/config.js';

/**
 * Supervision is data (after Proto.Actor): every failure a partition or a worker
 * thread can have is classified as a `Failure`, the pure `decide()` maps it to a
 * directive, and the caller only carries the directive out (the worker for the
 * flush path, the supervisor for partitions and threads). Each decision is a
 * named event (runtime-events.ts) that logs and counts.
 *
 *   failure                      where it is decided   directive
 *   ─────────────────────────    ───────────────────   ──────────────────────────────────
 *   bad-record                   worker (per batch)    resume (counted, explained in the log)
 *   store-unavailable            worker                retry after backoff(attempt); fetching pauses
 *   fetch-unavailable            worker (fetcher)      retry after backoff(attempt): leader moved, broker
 *                                                      down, partition not there yet (kafka/partition-fetcher.ts)
 *   flush-rejected (!canRetry)   worker                stop-partition; the supervisor then sees
 *   fenced                       worker, supervisor    stop-partition; claim again after fencedRetryMs
 *   partition-failed             supervisor            restart-partition with backoff, budget spent
 *   start-failed                 supervisor            restart-partition with backoff, budget spent
 *   worker-crashed               supervisor            restart the thread with backoff, budget spent
 *   worker-out-of-memory         supervisor            restart after ≥ oomBackoffMs with half the
 *                                                      fetch size; escalate once it cannot shrink
 *   membership-lost              supervisor            escalate
 *
 * Restarts are capped by one budget within a sliding window; exhausting it
 * escalates, and the process exits non-zero so that the orchestrator (Heroku,
 * Kubernetes, compose) restarts it.
 */
export type Failure =
  /** a record that could not be parsed: counted, skipped */
  | { kind: 'bad-record' }
  /** Redis (or Kafka's admin) refused or timed out a retryable call: keep the batch, pause, retry */
  | { kind: 'store-unavailable'; attempt: number }
  /** a partition's fetch loop met a retryable Kafka failure (leader change, connection lost, unknown partition) */
  | { kind: 'fetch-unavailable'; attempt: number; code: string }
  /** the store rejected a flush with an error that trying again will not fix (`canRetry: false`) */
  | { kind: 'flush-rejected'; code: string }
  /** a newer owner claimed the partition */
  | { kind: 'fenced' }
  /** a partition stopped on its own after a non-retryable error */
  | { kind: 'partition-failed'; partition: number; code: string }
  /** a partition could not be started (claim, offsets, consumer join) */
  | { kind: 'start-failed'; partition: number; code: string }
  /** a worker thread exited or threw */
  | { kind: 'worker-crashed'; workerId: number }
  /** a worker thread hit its heap cap (ERR_WORKER_OUT_OF_MEMORY); `fetchScale` is its current fetch share */
  | { kind: 'worker-out-of-memory'; workerId: number; fetchScale: number }
  /** the group membership consumer crashed and kafkajs will not restart it */
  | { kind: 'membership-lost' };

export type Directive =
  | { action: 'resume' }
  | { action: 'retry'; delayMs: number }
  | { action: 'stop-partition' }
  | { action: 'restart-partition'; delayMs: number }
  /** restart the worker thread after `delayMs`; `fetchScale` multiplies its fetch and pending bounds */
  | { action: 'restart'; delayMs: number; fetchScale: number }
  | { action: 'escalate'; reason: string };

export type SupervisionPolicy = Pick<
  SupervisionSettings,
  'maxRestarts' | 'windowMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'fencedRetryMs' | 'oomBackoffMs'
>;

/** The smallest share of the configured fetch and pending bounds an out-of-memory worker is shrunk to. */
const MIN_FETCH_SCALE = 1 / 8;

/** Sliding-window restart budget: timestamps of recent restarts. */
export class RestartBudget {
  private readonly times: number[] = [];

  constructor(private readonly policy: Pick<SupervisionPolicy, 'windowMs'>) {}

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

function backoffDelay(
  policy: Pick<SupervisionPolicy, 'backoffBaseMs' | 'backoffMaxMs'>,
  attempt: number,
): number {
  const exp = policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(policy.backoffMaxMs, exp);
}

/** Failures whose directive spends the restart budget (the caller spends it before deciding). */
export function spendsBudget(failure: Failure): boolean {
  return (
    failure.kind === 'partition-failed' ||
    failure.kind === 'start-failed' ||
    failure.kind === 'worker-crashed' ||
    failure.kind === 'worker-out-of-memory'
  );
}

function overBudget(policy: SupervisionPolicy, restartsInWindow: number, what: string): Directive | null {
  if (restartsInWindow <= policy.maxRestarts) return null;
  return {
    action: 'escalate',
    reason: `${restartsInWindow - 1} restarts within ${policy.windowMs} ms (budget ${policy.maxRestarts}), then ${what}`,
  };
}

/**
 * Pure: the directive for a failure, given the budget's count of restarts in
 * the window *including* this one (only consulted when `spendsBudget(failure)`).
 */
export function decide(failure: Failure, policy: SupervisionPolicy, restartsInWindow = 0): Directive {
  switch (failure.kind) {
    case 'bad-record':
      return { action: 'resume' };
    case 'store-unavailable':
    case 'fetch-unavailable':
      return { action: 'retry', delayMs: backoffDelay(policy, failure.attempt) };
    case 'flush-rejected':
    case 'fenced':
      return { action: 'stop-partition' };
    case 'partition-failed':
    case 'start-failed':
      return (
        overBudget(policy, restartsInWindow, `partition ${failure.partition} failed (${failure.code})`) ?? {
          action: 'restart-partition',
          delayMs: backoffDelay(policy, restartsInWindow),
        }
      );
    case 'worker-crashed':
      return (
        overBudget(policy, restartsInWindow, `worker ${failure.workerId} crashed`) ?? {
          action: 'restart',
          delayMs: backoffDelay(policy, restartsInWindow),
          fetchScale: 1,
        }
      );
    case 'worker-out-of-memory': {
      // A restart alone would re-read the same backlog with the same fetch sizes and
      // die again: wait longer, and give the new thread half the fetch and pending
      // bounds. Once it cannot shrink further, more restarts will not help.
      if (failure.fetchScale <= MIN_FETCH_SCALE) {
        return {
          action: 'escalate',
          reason: `worker ${failure.workerId} ran out of memory at 1/${Math.round(1 / failure.fetchScale)} of the fetch size (raise WORKER_MAX_HEAP_MB or lower FETCH_MAX_BYTES)`,
        };
      }
      return (
        overBudget(policy, restartsInWindow, `worker ${failure.workerId} ran out of memory`) ?? {
          action: 'restart',
          delayMs: Math.max(policy.oomBackoffMs, backoffDelay(policy, restartsInWindow)),
          fetchScale: Math.max(MIN_FETCH_SCALE, failure.fetchScale / 2),
        }
      );
    }
    case 'membership-lost':
      return { action: 'escalate', reason: 'the consumer-group membership crashed' };
  }
}
