import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uncompressSnappyBlock } from '../../src/kafka/snappy-block.js';

const require = createRequire(import.meta.url);
const snappyjs = require('snappyjs') as { compress(b: Buffer): Buffer };

describe('uncompressSnappyBlock', () => {
  it('reads what snappyjs (kafkajs-snappy) writes', () => {
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((u) => Buffer.from(u)),
      fc
        .array(fc.constantFrom('GET ', '/users/', '123', ' status=200', 'host=a.example'), { maxLength: 400 })
        .map((a) => Buffer.from(a.join(''))),
    );
    fc.assert(
      fc.property(text, (raw) => {
        const c = snappyjs.compress(raw);
        const out = uncompressSnappyBlock(c, 0, c.length, 1 << 20);
        expect(out?.equals(raw)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a length above the limit before allocating, and malformed blocks', () => {
    const c = snappyjs.compress(Buffer.alloc(5000, 1));
    expect(uncompressSnappyBlock(c, 0, c.length, 4999)).toBeNull();
    expect(uncompressSnappyBlock(c, 0, c.length - 1, 5000)).toBeNull();
    // A 4-byte literal length with the top bit set (snappyjs walks backwards on it).
    const hostile = Buffer.from([0x10, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x41]);
    expect(uncompressSnappyBlock(hostile, 0, hostile.length, 1 << 20)).toBeNull();
  });
});
