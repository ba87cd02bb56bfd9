import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerCodec } from '../../src/kafka/kafka-codecs.js';
import {
  createFastProduceRequest,
  installFastProduceEncoder,
} from '../../src/kafka/kafkajs-produce-encoder.js';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Long = require('kafkajs/src/utils/long.js');
const { lookupCodec, Types } = require('kafkajs/src/protocol/message/compression/index.js');
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
const original = require('kafkajs/src/protocol/requests/produce/v3/request.js');

describe('fast kafkajs Produce request encoder', () => {
  const fast = createFastProduceRequest(original, {
    Encoder,
    longFromInt: (v) => Long.fromInt(v),
    lookupCodec,
    crc32C,
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
    fc.string({ maxLength: 40 }),
  );
  const headers = fc.dictionary(
    fc.string({ maxLength: 12 }),
    fc.oneof(bytes, fc.array(bytes, { maxLength: 3 })),
    { maxKeys: 4 },
  );
  const message = fc.record({
    key: fc.option(bytes, { nil: null }),
    value: fc.option(bytes, { nil: null }),
    headers,
  });
  const request = fc.record({
    acks: fc.constantFrom(-1, 1),
    timeout: fc.integer({ min: 0, max: 30_000 }),
    compression: fc.constantFrom(Types.None, Types.GZIP),
    producerId: fc.integer({ min: -1, max: 2 ** 31 - 1 }).map((v) => Long.fromInt(v)),
    producerEpoch: fc.integer({ min: 0, max: 32_767 }),
    transactionalId: fc.constantFrom(null, 'tx-1'),
    topicData: fc.array(
      fc.record({
        topic: fc.string({ minLength: 1, maxLength: 20 }),
        partitions: fc.array(
          fc.record({
            partition: fc.integer({ min: 0, max: 1000 }),
            firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            // a headers object shared by several messages, as the drain builds them
            messages: fc
              .tuple(headers, fc.array(message, { minLength: 1, maxLength: 40 }), fc.boolean())
              .map(([shared, ms, share]) => (share ? ms.map((m) => ({ ...m, headers: shared })) : ms)),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  });

  it('writes exactly the bytes kafkajs writes, uncompressed and gzip', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_760_000_000_123 });
    await fc.assert(
      fc.asyncProperty(request, async (args) => {
        const a = (await fast(args).encode()).buffer;
        const b = (await original(args).encode()).buffer;
        expect(a.equals(b)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(['snappy', 'lz4', 'zstd'] as const)(
    'writes the bytes kafkajs writes with the %s codec the drain registers',
    async (name) => {
      const compression = registerCodec(name);
      vi.useFakeTimers({ toFake: ['Date'], now: 1_760_000_000_123 });
      await fc.assert(
        fc.asyncProperty(request, async (args) => {
          const withCodec = { ...args, compression };
          const a = (await fast(withCodec).encode()).buffer;
          const b = (await original(withCodec).encode()).buffer;
          expect(a.equals(b)).toBe(true);
        }),
        { numRuns: 20 },
      );
    },
  );

  it('leaves a request with its own timestamps to kafkajs', async () => {
    const args = {
      acks: -1,
      timeout: 1000,
      topicData: [
        {
          topic: 't',
          partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: '1700000000000' }] }],
        },
      ],
    };
    vi.useFakeTimers({ toFake: ['Date'], now: 1_760_000_000_123 });
    expect((await fast(args).encode()).buffer.equals((await original(args).encode()).buffer)).toBe(true);
  });

  it('installs on kafkajs 2.2.4 after its self-check', async () => {
    expect(await installFastProduceEncoder()).toMatchObject({ installed: true });
    expect(require('kafkajs/src/protocol/requests/produce/v3/request.js').fast).toBe(true);
  });
});
