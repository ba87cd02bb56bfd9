import { describe, expect, it } from 'vitest';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';
import { BatcherPool } from '../../src/ingest/batcher-pool.js';

type Item = { id: string };

/** One send per shard whose calls the test settles by hand. */
function controlledSends(n: number) {
  const calls: Array<{ shard: number; items: Item[]; resolve: () => void; reject: (e: Error) => void }> = [];
  const sends = Array.from(
    { length: n },
    (_, shard) => (items: Item[]) =>
      new Promise<void>((resolve, reject) => calls.push({ shard, items, resolve, reject })),
  );
  return { calls, sends };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const ids = (items: Item[]) => items.map((i) => i.id);

describe('BatcherPool', () => {
  it('keeps one send in flight per shard: concurrent requests go out in parallel, each whole', async () => {
    const { calls, sends } = controlledSends(2);
    const pool = new BatcherPool<Item>({ sends, lingerMs: 1, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    const a = pool.submit({ id: 'a' }, 3, 300);
    const b = pool.submit({ id: 'b' }, 3, 300);
    await tick(10);
    expect(calls.map((c) => [c.shard, ids(c.items)])).toEqual([
      [0, ['a']],
      [1, ['b']],
    ]);
    expect(pool.queuedBytes).toBe(600);
    calls[1]!.resolve();
    await b.done;
    expect(pool.queuedBytes).toBe(300);
    calls[0]!.resolve();
    await a.done;
    expect(pool.queuedBytes).toBe(0);
  });

  it('puts a request on the shard that holds the fewest bytes, and coalesces behind a busy one', async () => {
    const { calls, sends } = controlledSends(2);
    const pool = new BatcherPool<Item>({ sends, lingerMs: 1, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    pool.submit({ id: 'big' }, 1, 5000); // shard 0
    pool.submit({ id: 'small' }, 1, 100); // shard 1
    await tick(10);
    expect(calls).toHaveLength(2);
    // both busy: the next three go to shard 1 (100 + 100 + 100 + 100 < 5000) and wait for its send
    for (const id of ['c', 'd', 'e']) pool.submit({ id }, 1, 100);
    await tick(10);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await tick(10);
    expect(calls).toHaveLength(3);
    expect([calls[2]!.shard, ids(calls[2]!.items)]).toEqual([1, ['c', 'd', 'e']]);
  });

  it('refuses a submission past maxQueuedBytes over all shards, but always takes the first', async () => {
    const { calls, sends } = controlledSends(3);
    const pool = new BatcherPool<Item>({ sends, lingerMs: 1, maxBatchBytes: 1e6, maxQueuedBytes: 1000 });
    const first = pool.submit({ id: 'huge' }, 1, 5000);
    const refused = pool.submit({ id: 'x' }, 1, 10);
    await expect(refused.done).rejects.toSatisfy((e) => isRoutemeterError(e, 'RM_ERR_PRODUCER_SATURATED'));
    expect(refused.sent).toBe(false);
    await tick(10);
    calls[0]!.resolve();
    await first.done;
    const again = pool.submit({ id: 'y' }, 1, 600);
    const over = pool.submit({ id: 'z' }, 1, 600);
    await expect(over.done).rejects.toSatisfy((e) => isRoutemeterError(e, 'RM_ERR_PRODUCER_SATURATED'));
    await tick(10);
    calls.at(-1)!.resolve();
    await again.done;
  });

  it('withdraws a pending submission at its deadline (never sent); a sent one settles late', async () => {
    const { calls, sends } = controlledSends(1);
    const pool = new BatcherPool<Item>({ sends, lingerMs: 1, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    const sent = pool.submit({ id: 'a' }, 1, 10);
    await tick(10);
    const pending = pool.submit({ id: 'b' }, 1, 10);
    expect(pending.cancel()).toBe(true);
    await expect(pending.done).rejects.toSatisfy((e) => isRoutemeterError(e, 'RM_ERR_PRODUCE_TIMEOUT'));
    expect(sent.sent).toBe(true);
    expect(sent.cancel()).toBe(false);
    calls[0]!.reject(new Error('broker gone'));
    await expect(sent.done).rejects.toSatisfy((e) => isRoutemeterError(e, 'RM_ERR_KAFKA_UNAVAILABLE'));
    await tick(10);
    expect(calls).toHaveLength(1);
  });

  it('close refuses new work; flush sends what every shard holds and waits for it', async () => {
    const { calls, sends } = controlledSends(2);
    const pool = new BatcherPool<Item>({ sends, lingerMs: 10_000, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    const a = pool.submit({ id: 'a' }, 1, 10);
    const b = pool.submit({ id: 'b' }, 1, 10);
    pool.close();
    const late = pool.submit({ id: 'c' }, 1, 10);
    await expect(late.done).rejects.toSatisfy((e) => isRoutemeterError(e, 'RM_ERR_DRAIN_CLOSING'));
    let flushed = false;
    const flushing = pool.flush().then(() => {
      flushed = true;
    });
    await tick();
    expect(calls.map((c) => ids(c.items))).toEqual([['a'], ['b']]);
    calls[0]!.resolve();
    await tick();
    expect(flushed).toBe(false);
    calls[1]!.resolve();
    await flushing;
    await Promise.all([a.done, b.done]);
  });

  it('needs at least one send', () => {
    expect(
      () => new BatcherPool<Item>({ sends: [], lingerMs: 1, maxBatchBytes: 1, maxQueuedBytes: 1 }),
    ).toThrow(/sends/);
  });
});
