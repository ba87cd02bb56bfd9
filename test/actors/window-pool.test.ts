import { describe, expect, it } from 'vitest';
import { WindowPool } from '../../src/actors/window-pool.js';

describe('WindowPool', () => {
  it('keeps the larger of the last two releases, so an interval a little busier than the last reuses windows', () => {
    const pool = new WindowPool();
    const cycle = (open: number) => {
      const ws = Array.from({ length: open }, (_, i) => pool.acquire(i));
      for (const w of ws) pool.release(w);
      pool.trim(open);
    };
    cycle(100);
    cycle(90); // keeps 100: the previous interval needed them
    expect(pool.size).toBe(100);
    const before = pool.created;
    cycle(100);
    expect(pool.created).toBe(before); // nothing built afresh
    cycle(10);
    expect(pool.size).toBe(100);
    cycle(10); // a burst is given back two drains later
    expect(pool.size).toBe(10);
  });

  it('hands out reset windows at the asked start', () => {
    const pool = new WindowPool();
    const w = pool.acquire(60);
    w.count = 5;
    pool.release(w);
    pool.trim(1);
    const again = pool.acquire(120);
    expect(again).toBe(w);
    expect(again.start).toBe(120);
    expect(again.count).toBe(0);
  });
});
