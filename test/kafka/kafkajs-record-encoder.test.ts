import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFastRecordEncoder, installFastRecordEncoder } from '../../src/kafka/kafkajs-record-encoder.js';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const original = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');

describe('fast kafkajs record encoder', () => {
  const fast = createFastRecordEncoder(Encoder);
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u)),
    fc.string({ maxLength: 50 }),
  );

  it('writes exactly the bytes kafkajs writes', () => {
    fc.assert(
      fc.property(
        fc.record({
          offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          timestampDelta: fc.integer({ min: 0, max: 2 ** 40 }),
          key: fc.option(bytes, { nil: null }),
          value: fc.option(bytes, { nil: null }),
          headers: fc.dictionary(
            fc.string({ maxLength: 20 }),
            fc.oneof(bytes, fc.array(bytes, { maxLength: 3 })),
          ),
        }),
        (args) => {
          expect(fast(args).buffer.equals(original(args).buffer)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('installs on kafkajs 2.2.4 after its self-check', () => {
    expect(installFastRecordEncoder()).toMatchObject({ installed: true });
    expect(require('kafkajs/src/protocol/recordBatch/record/v0/index.js').fast).toBe(true);
  });
});
