import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/kafka/frame-pool.js';

describe('FramePool', () => {
  it('reuses released buffers big enough, in powers of two, and keeps a bounded number', () => {
    const pool = new FramePool(1024, 2);
    const a = pool.acquire(1500);
    expect(a.length).toBe(2048);
    pool.release(a);
    expect(pool.acquire(2000)).toBe(a); // fits: reused
    pool.release(a);
    const b = pool.acquire(3000); // too big for a: a new one
    expect(b).not.toBe(a);
    expect(b.length).toBe(4096);
    pool.release(b);
    pool.release(pool.acquire(5000));
    expect(pool.size).toBe(2);
  });

  it('does not pool small frames', () => {
    const pool = new FramePool(1024, 2);
    const s = pool.acquire(100);
    expect(s.length).toBe(100);
    pool.release(s);
    expect(pool.size).toBe(0);
  });
});
