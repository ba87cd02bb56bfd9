import { describe, expect, it } from 'vitest';
import { FailureWindow } from '../../src/replay/failure-window.js';

describe('FailureWindow', () => {
  it('does not trip before minRequests, however bad the start', () => {
    const w = new FailureWindow({ windowMs: 10_000, ratio: 0.5, minRequests: 10 });
    for (let i = 0; i < 9; i++) expect(w.record(i, true)).toBe(false);
    expect(w.record(9, true)).toBe(true);
  });

  it('trips when the ratio over the window reaches the threshold', () => {
    const w = new FailureWindow({ windowMs: 1000, ratio: 0.5, minRequests: 4 });
    expect(w.record(0, false)).toBe(false);
    expect(w.record(1, false)).toBe(false);
    expect(w.record(2, true)).toBe(false);
    expect(w.record(3, false)).toBe(false);
    expect(w.record(4, true)).toBe(false); // 2 of 5
    expect(w.record(5, true)).toBe(true); // 3 of 6
  });

  it('forgets outcomes older than the window', () => {
    const w = new FailureWindow({ windowMs: 1000, ratio: 0.5, minRequests: 4 });
    for (let i = 0; i < 4; i++) w.record(i, true);
    expect(w.tripped()).toBe(true);
    for (let i = 0; i < 4; i++) expect(w.record(2000 + i, false)).toBe(false);
    expect(w.state(2003)).toEqual({ failures: 0, requests: 4 });
  });
});
