import type { WindowDelta } from '../../src/actors/flush-batch.js';

/** A WindowDelta with every counter at zero, overridden by `fields` (test fixture). */
export function windowDelta(fields: Partial<WindowDelta>): WindowDelta {
  return {
    resolutionSeconds: 10,
    windowStart: 0,
    app: 'a',
    route: 'GET /',
    count: 0,
    serviceSumMs: 0,
    serviceCount: 0,
    serviceMaxMs: 0,
    connectSumMs: 0,
    connectCount: 0,
    bytes: 0,
    statusClasses: [0, 0, 0, 0, 0, 0],
    codes: {},
    serviceHistogram: [],
    connectHistogram: [],
    ...fields,
  };
}
