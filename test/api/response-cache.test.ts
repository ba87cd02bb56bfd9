import { describe, expect, it } from 'vitest';
import { etagOf, ResponseCache } from '../../src/api/response-cache.js';

describe('ResponseCache', () => {
  it('computes once per key and period; concurrent callers share the computation', async () => {
    let t = 0;
    let calls = 0;
    const cache = new ResponseCache(5000, 10, () => t);
    const compute = async () => ({ n: ++calls });
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    t = 4999;
    expect((await cache.get('k', compute)).json).toBe('{"n":1}');
    t = 5000;
    expect((await cache.get('k', compute)).json).toBe('{"n":2}');
  });

  it('forgets failures and keeps at most maxEntries', async () => {
    const cache = new ResponseCache(5000, 2, () => 0);
    await expect(cache.get('bad', () => Promise.reject(new Error('redis down')))).rejects.toThrow(
      'redis down',
    );
    expect(cache.size).toBe(0);
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => k);
    expect(cache.size).toBe(2);
  });

  it('the ETag follows the bytes', () => {
    expect(etagOf('{"a":1}')).toBe(etagOf('{"a":1}'));
    expect(etagOf('{"a":1}')).not.toBe(etagOf('{"a":2}'));
  });
});
