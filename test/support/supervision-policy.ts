import type { SupervisionPolicy } from '../../src/runtime/supervision-decider.js';

/** A small supervision policy for unit tests: 3 restarts per 10 s, backoff 100 ms → 1 s. */
export const testPolicy: SupervisionPolicy = {
  maxRestarts: 3,
  windowMs: 10_000,
  backoffBaseMs: 100,
  backoffMaxMs: 1000,
  fencedRetryMs: 3000,
  oomBackoffMs: 2000,
};
