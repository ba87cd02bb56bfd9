import { describe, expect, it } from 'vitest';
import { decide, RestartBudget, spendsBudget } from '../../src/runtime/supervision-decider.js';
import { testPolicy } from '../support/supervision-policy.js';

const policy = testPolicy;

describe('decide', () => {
  it.each([
    [{ kind: 'bad-record' } as const, 'resume'],
    [{ kind: 'store-unavailable', attempt: 1 } as const, 'retry'],
    [{ kind: 'fenced' } as const, 'stop-partition'],
    [{ kind: 'flush-rejected', code: 'RM_ERR_FLUSH_OFFSET_MISMATCH' } as const, 'stop-partition'],
    [{ kind: 'membership-lost' } as const, 'escalate'],
  ])('maps %o to %s', (failure, action) => {
    expect(decide(failure, policy).action).toBe(action);
  });

  it('restarts a crashed worker with growing backoff until the budget is spent, then escalates', () => {
    const crash = { kind: 'worker-crashed', workerId: 0 } as const;
    expect(decide(crash, policy, 1)).toEqual({ action: 'restart', delayMs: 100, fetchScale: 1 });
    expect(decide(crash, policy, 2)).toEqual({ action: 'restart', delayMs: 200, fetchScale: 1 });
    expect(decide(crash, policy, 3)).toEqual({ action: 'restart', delayMs: 400, fetchScale: 1 });
    expect(decide(crash, policy, 4).action).toBe('escalate');
  });

  it('retries an unavailable store with the backoff of its attempt, from the policy', () => {
    expect(decide({ kind: 'store-unavailable', attempt: 1 }, policy)).toEqual({
      action: 'retry',
      delayMs: 100,
    });
    expect(decide({ kind: 'store-unavailable', attempt: 3 }, policy)).toEqual({
      action: 'retry',
      delayMs: 400,
    });
    expect(decide({ kind: 'store-unavailable', attempt: 30 }, policy)).toEqual({
      action: 'retry',
      delayMs: 1000,
    });
  });

  it.each([
    { kind: 'partition-failed', partition: 2, code: 'RM_ERR_FLUSH_OFFSET_MISMATCH' } as const,
    { kind: 'start-failed', partition: 2, code: 'RM_ERR_REDIS_SCRIPT' } as const,
  ])('re-claims a partition after %o with backoff and spends the budget', (failure) => {
    expect(decide(failure, policy, 1)).toEqual({ action: 'restart-partition', delayMs: 100 });
    expect(decide(failure, policy, 3)).toEqual({ action: 'restart-partition', delayMs: 400 });
    const over = decide(failure, policy, 4);
    expect(over.action).toBe('escalate');
    expect(over.action === 'escalate' && over.reason).toContain(failure.code);
    expect(spendsBudget(failure)).toBe(true);
  });

  it('never spends the budget on bad records, retries or fences', () => {
    expect(spendsBudget({ kind: 'bad-record' })).toBe(false);
    expect(spendsBudget({ kind: 'store-unavailable', attempt: 9 })).toBe(false);
    expect(spendsBudget({ kind: 'fenced' })).toBe(false);
  });

  it('restarts an out-of-memory worker later, with half the fetch, and escalates once it cannot shrink', () => {
    const oom = (fetchScale: number) => ({ kind: 'worker-out-of-memory', workerId: 1, fetchScale }) as const;
    // not a tight loop: at least oomBackoffMs even on the first restart
    expect(decide(oom(1), policy, 1)).toEqual({ action: 'restart', delayMs: 2000, fetchScale: 0.5 });
    expect(decide(oom(0.5), policy, 2)).toEqual({ action: 'restart', delayMs: 2000, fetchScale: 0.25 });
    expect(decide(oom(0.25), policy, 3)).toEqual({
      action: 'restart',
      delayMs: 2000,
      fetchScale: 0.125,
    });
    const floor = decide(oom(0.125), policy, 1);
    expect(floor.action).toBe('escalate');
    expect(floor.action === 'escalate' && floor.reason).toContain('WORKER_MAX_HEAP_MB');
    // the budget still applies
    expect(decide(oom(1), policy, 4).action).toBe('escalate');
  });
});

describe('RestartBudget', () => {
  it('counts restarts within a sliding window only', () => {
    const budget = new RestartBudget(policy);
    expect(budget.spend(0)).toBe(1);
    expect(budget.spend(5_000)).toBe(2);
    expect(budget.spend(9_999)).toBe(3);
    // the first restart falls out of the window
    expect(budget.spend(10_000)).toBe(3);
    expect(budget.spend(30_000)).toBe(1);
  });
});

describe('backoff', () => {
  it('doubles and caps (restarts and flush retries alike)', () => {
    const retry = (attempt: number) => decide({ kind: 'store-unavailable', attempt }, policy);
    expect(retry(1)).toEqual({ action: 'retry', delayMs: policy.backoffBaseMs });
    expect(retry(2)).toEqual({ action: 'retry', delayMs: policy.backoffBaseMs * 2 });
    expect(retry(50)).toEqual({ action: 'retry', delayMs: policy.backoffMaxMs });
  });
});
