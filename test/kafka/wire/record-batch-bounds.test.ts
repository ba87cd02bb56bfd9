import { describe, expect, it } from 'vitest';
import { recordBatchBounds } from '../../../src/kafka/wire/record-batch-bounds.js';
import { encodeBatch } from '../kafkajs-batches.js';

const rec = (i: number) => ({ key: null, value: Buffer.from(`v${i}`), headers: {}, timestampDelta: i });

describe('recordBatchBounds', () => {
  it('finds the end of the complete batches and the offset after them; a cut batch is left out', async () => {
    const a = await encodeBatch({
      baseOffset: 100,
      baseTimestamp: 1,
      codec: 0,
      records: [rec(0), rec(1), rec(2)],
    });
    const b = await encodeBatch({ baseOffset: 103, baseTimestamp: 1, codec: 1, records: [rec(3), rec(4)] });
    const pad = Buffer.from('xyz');
    const buf = Buffer.concat([pad, a, b]);
    expect(recordBatchBounds(buf, 3, buf.length)).toEqual({
      end: buf.length,
      nextOffset: 105,
      firstBatchBytes: 0,
    });
    for (const cut of [1, 20, b.length - 1]) {
      expect(recordBatchBounds(buf, 3, buf.length - cut)).toEqual({
        end: 3 + a.length,
        nextOffset: 103,
        firstBatchBytes: 0,
      });
    }
    // not even the first batch: how many bytes it needs
    expect(recordBatchBounds(buf, 3, 3 + a.length - 1)).toEqual({
      end: 3,
      nextOffset: -1,
      firstBatchBytes: a.length,
    });
    expect(recordBatchBounds(buf, 3, 3)).toEqual({ end: 3, nextOffset: -1, firstBatchBytes: 0 });
  });

  it('never reads past the range on garbage', () => {
    for (let seed = 0; seed < 500; seed++) {
      const buf = Buffer.alloc(80, seed * 7919);
      buf.writeInt32BE((seed * 31) % 200, 8);
      const r = recordBatchBounds(buf, 0, (seed * 13) % 81);
      expect(r.end).toBeLessThanOrEqual(80);
    }
  });
});
