import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_POLICY,
  decide,
  RestartBudget,
  type SupervisionPolicy,
} from '../../src/runtime/supervision-decider.js';

const policy: SupervisionPolicy = {
  maxRestarts: 3,
  windowMs: 10_000,
  backoffBaseMs: 100,
  backoffMaxMs: 1000,
};

describe('decide', () => {
  it.each([
    [{ kind: 'bad-record' } as const, 'resume'],
    [{ kind: 'flush-unavailable' } as const, 'retry'],
    [{ kind: 'fenced' } as const, 'stop-partition'],
    [{ kind: 'membership-lost' } as const, 'escalate'],
  ])('maps %o to %s', (failure, action) => {
    expect(decide(failure, policy).action).toBe(action);
  });

  it('restarts a crashed worker with growing backoff until the budget is spent, then escalates', () => {
    const crash = { kind: 'worker-crashed', workerId: 0 } as const;
    expect(decide(crash, policy, 1)).toEqual({ action: 'restart', delayMs: 100 });
    expect(decide(crash, policy, 2)).toEqual({ action: 'restart', delayMs: 200 });
    expect(decide(crash, policy, 3)).toEqual({ action: 'restart', delayMs: 400 });
    expect(decide(crash, policy, 4).action).toBe('escalate');
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

describe('backoffDelay', () => {
  it('doubles and caps', () => {
    expect(backoffDelay(DEFAULT_POLICY, 1)).toBe(DEFAULT_POLICY.backoffBaseMs);
    expect(backoffDelay(DEFAULT_POLICY, 2)).toBe(DEFAULT_POLICY.backoffBaseMs * 2);
    expect(backoffDelay(DEFAULT_POLICY, 50)).toBe(DEFAULT_POLICY.backoffMaxMs);
  });
});
