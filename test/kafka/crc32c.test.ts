import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cImplementation, crc32cJs } from '../../src/kafka/crc32c.js';

const require = createRequire(import.meta.url);
// kafkajs's own CRC-32C: an independent implementation to compare with.
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

describe('crc32c', () => {
  it('gives the standard check value', () => {
    const check = Buffer.from('123456789');
    expect(crc32cJs(check, 0, 9)).toBe(0xe3069283);
    expect(crc32c(check, 0, 9)).toBe(0xe3069283);
  });

  it('uses the native implementation on this platform', () => {
    expect(crc32cImplementation).toBe('native');
  });

  it('agrees with kafkajs on any slice, JS and native alike', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), (u, a, b) => {
        const buf = Buffer.from(u);
        const start = u.length === 0 ? 0 : a % u.length;
        const end = start + (u.length === 0 ? 0 : b % (u.length - start + 1));
        const want = kafkajsCrc32C(buf.subarray(start, end)) >>> 0;
        expect(crc32cJs(buf, start, end)).toBe(want);
        expect(crc32c(buf, start, end)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });
});
