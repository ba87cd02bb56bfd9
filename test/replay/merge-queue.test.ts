import { describe, expect, it } from 'vitest';
import { MergeQueue } from '../../src/replay/merge-queue.js';

describe('MergeQueue', () => {
  it('merges partitions by event time and keeps each partition in its own order', () => {
    const q = new MergeQueue<{ partition: number; eventMs: number; id: string }>();
    // partition 0 has a router clock going backwards (a2 before a1 in event time)
    q.push({ partition: 0, eventMs: 10, id: 'a0' });
    q.push({ partition: 0, eventMs: 40, id: 'a1' });
    q.push({ partition: 0, eventMs: 35, id: 'a2' });
    q.push({ partition: 1, eventMs: 20, id: 'b0' });
    q.push({ partition: 1, eventMs: 38, id: 'b1' });
    q.push({ partition: 2, eventMs: 5, id: 'c0' });
    const out: string[] = [];
    for (let item = q.shift(); item; item = q.shift()) out.push(item.id);
    expect(out).toEqual(['c0', 'a0', 'b0', 'b1', 'a1', 'a2']);
    expect(q.size).toBe(0);
  });

  it('compacts long lanes without losing items', () => {
    const q = new MergeQueue<{ partition: number; eventMs: number }>();
    for (let i = 0; i < 5000; i++) q.push({ partition: 0, eventMs: i });
    for (let i = 0; i < 4000; i++) expect(q.shift()?.eventMs).toBe(i);
    for (let i = 5000; i < 6000; i++) q.push({ partition: 0, eventMs: i });
    for (let i = 4000; i < 6000; i++) expect(q.shift()?.eventMs).toBe(i);
    expect(q.shift()).toBeUndefined();
  });
});
