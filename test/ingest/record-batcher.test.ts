import { describe, expect, it } from 'vitest';
import { RecordBatcher } from '../../src/ingest/record-batcher.js';

type Item = { topic: string; n: number };

function controlledSend() {
  const calls: Array<{ items: Item[]; resolve: () => void; reject: (e: Error) => void }> = [];
  const send = (items: Item[]) =>
    new Promise<void>((resolve, reject) => calls.push({ items, resolve, reject }));
  return { calls, send };
}

/** submit(item, records, bytes) for an item of `n` records */
const sub = (b: RecordBatcher<Item>, topic: string, n: number, bytes: number) =>
  b.submit({ topic, n }, n, bytes);

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('RecordBatcher', () => {
  it('coalesces concurrent submissions into one send after the linger, resolving each on ack', async () => {
    const { calls, send } = controlledSend();
    const b = new RecordBatcher<Item>({ send, lingerMs: 5, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    const t1 = sub(b, 'r', 3, 300);
    const t2 = sub(b, 'p', 3, 300);
    expect(calls).toHaveLength(0);
    await tick(20);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.items).toEqual([
      { topic: 'r', n: 3 },
      { topic: 'p', n: 3 },
    ]);
    expect(b.queuedBytes).toBe(600);
    calls[0]!.resolve();
    await expect(Promise.all([t1.done, t2.done])).resolves.toBeDefined();
    expect(b.queuedBytes).toBe(0);
  });

  it('sends what arrived during a send as soon as it returns, one send at a time', async () => {
    const { calls, send } = controlledSend();
    const b = new RecordBatcher<Item>({ send, lingerMs: 1, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    sub(b, 'r', 1, 10);
    await tick(10);
    const later = [sub(b, 'r', 1, 10), sub(b, 'r', 1, 10)];
    await tick(10);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.items).toHaveLength(2);
    calls[1]!.resolve();
    await Promise.all(later.map((t) => t.done));
  });

  it('splits at maxBatchBytes and flushes at once when it is reached', async () => {
    const { calls, send } = controlledSend();
    const b = new RecordBatcher<Item>({ send, lingerMs: 10_000, maxBatchBytes: 100, maxQueuedBytes: 1e7 });
    sub(b, 'r', 1, 60);
    sub(b, 'r', 1, 60);
    await tick();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.items).toHaveLength(1);
    calls[0]!.resolve();
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
  });

  it('rejects every submission of a failed send with RM_ERR_KAFKA_UNAVAILABLE', async () => {
    const { calls, send } = controlledSend();
    const b = new RecordBatcher<Item>({ send, lingerMs: 0, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    const t = sub(b, 'r', 1, 10);
    await tick(5);
    calls[0]!.reject(new Error('broker gone'));
    await expect(t.done).rejects.toMatchObject({ code: 'RM_ERR_KAFKA_UNAVAILABLE', canRetry: true });
  });

  it('is bounded: past maxQueuedBytes a submission fails at once (saturated)', async () => {
    const { send } = controlledSend();
    const b = new RecordBatcher<Item>({ send, lingerMs: 0, maxBatchBytes: 1e6, maxQueuedBytes: 100 });
    sub(b, 'r', 1, 80);
    const t = sub(b, 'r', 1, 80);
    await expect(t.done).rejects.toMatchObject({ code: 'RM_ERR_PRODUCER_SATURATED' });
  });

  it('a pending submission can be withdrawn and is then never sent; a sent one cannot', async () => {
    const { calls, send } = controlledSend();
    const b = new RecordBatcher<Item>({ send, lingerMs: 0, maxBatchBytes: 1e6, maxQueuedBytes: 1e7 });
    const first = sub(b, 'r', 1, 10);
    await tick(5);
    const second = sub(b, 'r', 2, 10);
    expect(first.cancel()).toBe(false);
    expect(first.sent).toBe(true);
    expect(second.cancel()).toBe(true);
    await expect(second.done).rejects.toMatchObject({ code: 'RM_ERR_PRODUCE_TIMEOUT' });
    calls[0]!.resolve();
    await first.done;
    await tick(5);
    expect(calls).toHaveLength(1);
  });

  it('flush() sends everything and close() refuses new work', async () => {
    const sent: number[] = [];
    const b = new RecordBatcher<Item>({
      send: async (items) => {
        sent.push(items[0]!.n);
      },
      lingerMs: 10_000,
      maxBatchBytes: 1e6,
      maxQueuedBytes: 1e7,
    });
    const t = sub(b, 'r', 4, 10);
    b.close();
    await b.flush();
    await t.done;
    expect(sent).toEqual([4]);
    await expect(sub(b, 'r', 1, 1).done).rejects.toMatchObject({ code: 'RM_ERR_DRAIN_CLOSING' });
  });

  it('validates its options, naming the field', () => {
    expect(
      () => new RecordBatcher({ send: async () => {}, lingerMs: -1, maxBatchBytes: 1, maxQueuedBytes: 1 }),
    ).toThrowError(/lingerMs/);
  });
});
