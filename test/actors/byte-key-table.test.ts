import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteKeyCache, ByteKeyTable, hashBytes } from '../../src/actors/byte-key-table.js';

const key = (s: string) => Buffer.from(s);

describe('ByteKeyTable', () => {
  it('agrees with a Map on random keys read from inside other buffers, until it is full', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.nat(3)), { maxLength: 300 }), (ops) => {
        const table = new ByteKeyTable<number>(64, 8);
        const oracle = new Map<string, number>();
        ops.forEach(([s, pad], i) => {
          const buf = Buffer.concat([Buffer.alloc(pad, 0xff), key(s), Buffer.alloc(2, 0xfe)]);
          const end = pad + Buffer.byteLength(s);
          const h = hashBytes(buf, pad, end);
          expect(table.get(buf, pad, end, h)).toBe(oracle.get(s));
          const stored = table.set(buf, pad, end, h, i);
          const fits = Buffer.byteLength(s) <= 8 && (oracle.has(s) || oracle.size < 64);
          expect(stored).toBe(fits);
          if (stored) oracle.set(s, i);
          buf.fill(0); // the table copied the key
          expect(table.get(key(s), 0, Buffer.byteLength(s), hashBytes(key(s), 0, Buffer.byteLength(s)))).toBe(
            oracle.get(s),
          );
        });
        expect(table.size).toBe(oracle.size);
      }),
    );
  });

  it('tells apart keys whose hashes collide', () => {
    const table = new ByteKeyTable<string>(8);
    table.set(key('a'), 0, 1, 5, 'a');
    table.set(key('b'), 0, 1, 5, 'b');
    expect(table.get(key('a'), 0, 1, 5)).toBe('a');
    expect(table.get(key('b'), 0, 1, 5)).toBe('b');
    expect(table.get(key('c'), 0, 1, 5)).toBeUndefined();
  });
});

describe('ByteKeyCache', () => {
  it('keeps what is used every generation, forgets the rest, and stays bounded', () => {
    const cache = new ByteKeyCache<number>(100);
    const hot = key('/hot');
    const hh = hashBytes(hot, 0, hot.length);
    cache.set(hot, 0, hot.length, hh, 1);
    for (let i = 0; i < 10_000; i++) {
      const k = key(`/cold/${i}`);
      cache.set(k, 0, k.length, hashBytes(k, 0, k.length), i);
      if (i % 50 === 0) expect(cache.get(hot, 0, hot.length, hh)).toBe(1);
      expect(cache.size).toBeLessThanOrEqual(200);
    }
    const first = key('/cold/0');
    expect(cache.get(first, 0, first.length, hashBytes(first, 0, first.length))).toBeUndefined();
  });
});
