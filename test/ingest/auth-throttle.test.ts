import { describe, expect, it } from 'vitest';
import { type AuthFailureSummary, AuthThrottle } from '../../src/ingest/auth-throttle.js';

describe('auth throttle', () => {
  it('throttles an address after N failures in a minute, not others, and forgets at the next minute', () => {
    let now = 120_000;
    const logs: AuthFailureSummary[] = [];
    const t = new AuthThrottle({ maxFailuresPerMinute: 3, log: (s) => logs.push(s), now: () => now });
    try {
      for (let i = 0; i < 3; i++) {
        expect(t.throttled('10.0.0.1')).toBe(false);
        t.failure('10.0.0.1', 'bad_credentials');
      }
      expect(t.throttled('10.0.0.1')).toBe(true);
      expect(t.throttled('10.0.0.2')).toBe(false);
      now += 60_000;
      expect(t.throttled('10.0.0.1')).toBe(false);
    } finally {
      t.close();
    }
  });

  it('logs one summary line per interval with the counts, none when nothing happened', () => {
    const logs: AuthFailureSummary[] = [];
    const t = new AuthThrottle({ maxFailuresPerMinute: 2, log: (s) => logs.push(s), now: () => 0 });
    for (let i = 0; i < 500; i++) {
      const addr = `10.0.0.${i % 3}`;
      if (!t.throttled(addr)) t.failure(addr, i % 2 === 0 ? 'bad_credentials' : 'missing_credentials');
    }
    t.flushLog();
    t.flushLog(); // nothing new: no line
    t.close();
    expect(logs).toHaveLength(1);
    const s = logs[0]!;
    expect(s.failures).toEqual({ bad_credentials: 3, missing_credentials: 3 });
    expect(s.throttled).toBe(494);
    expect(s.addresses).toBe(3);
    expect(s.top[0]!.failures).toBeGreaterThan(100);
  });

  it('tracks at most maxAddresses addresses (a flood from many cannot grow it)', () => {
    const logs: AuthFailureSummary[] = [];
    const t = new AuthThrottle({
      maxFailuresPerMinute: 1,
      maxAddresses: 10,
      log: (s) => logs.push(s),
      now: () => 0,
    });
    for (let i = 0; i < 1000; i++) t.failure(`a${i}`, 'bad_credentials');
    t.close();
    expect(logs[0]!.addresses).toBe(10);
    expect(logs[0]!.failures.bad_credentials).toBe(1000);
    expect(t.throttled('a5')).toBe(true);
    expect(t.throttled('a500')).toBe(false);
  });
});
