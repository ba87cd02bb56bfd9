import { describe, expect, it } from 'vitest';
import { chooseResolution } from '../../src/query/choose-resolution.js';

describe('chooseResolution', () => {
  const res = { windowSeconds: 10, rollupSeconds: 60, windowRetentionSeconds: 2 * 86_400 };
  const now = Date.UTC(2024, 0, 10);
  it.each([
    ['5 minutes ago → short', now - 300_000, now, 10],
    ['exactly 1 hour → short', now - 3_600_000, now, 10],
    ['a day → roll-up', now - 86_400_000, now, 60],
    [
      '10 minutes, 3 days ago (short windows expired) → roll-up',
      now - 3 * 86_400_000,
      now - 3 * 86_400_000 + 600_000,
      60,
    ],
  ])('%s', (_, from, to, expected) => {
    expect(chooseResolution(from, to, res, now)).toBe(expected);
  });
});
