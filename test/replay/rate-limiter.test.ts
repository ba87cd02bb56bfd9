import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/replay/rate-limiter.js';

describe('RateLimiter', () => {
  it('never lets more than rps requests through in any second', () => {
    const rps = 20;
    const limiter = new RateLimiter(rps);
    const sent: number[] = [];
    // a caller asking every millisecond for 5 s
    for (let t = 0; t < 5000; t++) if (limiter.take(t) === 0) sent.push(t);
    expect(sent.length).toBeGreaterThanOrEqual(5 * rps - 1);
    for (let i = rps; i < sent.length; i++)
      expect((sent[i] as number) - (sent[i - rps] as number)).toBeGreaterThanOrEqual(1000 - 1);
  });

  it('says how long to wait', () => {
    const limiter = new RateLimiter(10);
    expect(limiter.take(0)).toBe(0);
    expect(limiter.take(0)).toBe(100);
    expect(limiter.take(60)).toBe(40);
    expect(limiter.take(100)).toBe(0);
  });

  it('max is no cap', () => {
    const limiter = new RateLimiter(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1000; i++) expect(limiter.take(0)).toBe(0);
  });
});
