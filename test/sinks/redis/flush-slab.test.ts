import { describe, expect, it } from 'vitest';
import { FlushSlab } from '../../../src/sinks/redis/flush-slab.js';
import { decodeMsgpack } from '../../../src/sinks/redis/msgpack.js';

describe('FlushSlab', () => {
  it('writes names and values back to back, with 1-based spans; none and reuse write no bytes', () => {
    const slab = new FlushSlab();
    slab.reset(9);
    slab.int(1_700_000_000);
    slab.name('GET /é');
    slab.begin().arrayHeader(2).number(1).number(300);
    const span = slab.end();
    slab.none();
    slab.reuse(span);
    const { blob, spans } = slab.finish();
    expect(blob.toString('hex')).toBe(`${Buffer.from('GET /é').toString('hex')}9201cd012c`);
    expect(decodeMsgpack(spans)).toEqual([1_700_000_000, 1, 7, 8, 5, 0, 0, 8, 5]);
    expect(decodeMsgpack(blob.subarray(7, 12))).toEqual([1, 300]);
  });

  it('refuses to finish when the spans written are not the ones declared', () => {
    const slab = new FlushSlab();
    slab.reset(4);
    slab.name('x');
    expect(() => slab.finish()).toThrow(/2 span integers written, 4 declared/);
    slab.reset(0);
    expect(decodeMsgpack(slab.finish().spans)).toEqual([]);
  });

  it('hands out copies: the next flush does not change an earlier one', () => {
    const slab = new FlushSlab();
    slab.reset(2);
    slab.name('a');
    const first = slab.finish();
    slab.reset(2);
    slab.name('b');
    slab.finish();
    expect(first.blob.toString()).toBe('a');
  });
});
