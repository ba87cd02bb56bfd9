import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyPartitioner, murmur2 } from '../../src/kafka/key-partitioner.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  k: Buffer,
) => number;

describe('KeyPartitioner', () => {
  it('murmur2 equals kafkajs (and so Java) for any key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (u) => {
        expect(murmur2(u)).toBe(kafkajsMurmur2(Buffer.from(u)));
      }),
      { numRuns: 2000 },
    );
    // Java's Utils.murmur2("21".getBytes()) = -973932308 (Kafka's own test vector)
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
  });

  it('keys go to murmur2 % partitions; an explicit partition wins; no key is round robin', () => {
    const p = KeyPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    }));
    const key = Buffer.from('lumberjack-store.timber.io');
    const want = (murmur2(key) & 0x7fffffff) % 3;
    expect(p({ topic: 't', partitionMetadata, message: { key, value: 'x' } })).toBe(want);
    expect(
      p({ topic: 't', partitionMetadata, message: { key: 'lumberjack-store.timber.io', value: 'x' } }),
    ).toBe(want);
    expect(p({ topic: 't', partitionMetadata, message: { key, value: 'x', partition: 2 } })).toBe(2);
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) seen.add(p({ topic: 't', partitionMetadata, message: { value: 'x' } }));
    expect(seen.size).toBe(3);
  });
});
