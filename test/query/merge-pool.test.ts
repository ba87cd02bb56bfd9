import { afterAll, describe, expect, it } from 'vitest';
import { INLINE_MERGE_MAX_HASHES, MergePool } from '../../src/query/merge-pool.js';
import { mergeRouteFields } from '../../src/query/merge-route-fields.js';

describe('MergePool', () => {
  const pool = new MergePool({ maxThreads: 1 });
  afterAll(() => pool.close());

  it('merges small inputs inline and large ones on a worker thread, with the same result', async () => {
    expect(await pool.merge([], { app: 'a', spanMs: 60_000 })).toEqual([]);
    expect(pool.completed).toBe(0);
    const empty = Array.from({ length: INLINE_MERGE_MAX_HASHES + 1 }, () => ({}));
    const pooled = await pool.merge(empty, { app: 'a', spanMs: 60_000 });
    expect(pooled).toEqual(mergeRouteFields(empty, { app: 'a', spanMs: 60_000 }));
    expect(pool.completed).toBe(1);
  });
});
