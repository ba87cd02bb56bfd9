import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupMessagesPerPartition } from '../../src/kafka/kafkajs-message-grouping.js';

const require = createRequire(import.meta.url);
// kafkajs's own, read from its file (this process's require cache may hold the replacement)
const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');

describe('linear groupMessagesPerPartition', () => {
  it('groups like kafkajs: same partitions, same order within each, the partitioner called once per message', async () => {
    const { readFileSync } = await import('node:fs');
    const mod = { exports: {} as unknown };
    new Function('module', 'exports', 'require', readFileSync(path, 'utf8'))(mod, mod.exports, require);
    const kafkajs = mod.exports as typeof groupMessagesPerPartition;
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ maxLength: 12 }), { nil: null }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 12 }),
        (keys, partitions) => {
          const messages = keys.map((key, i) => ({ key, value: String(i) }));
          const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
            partitionId: i,
            leader: 0,
          }));
          // a partitioner with state (keyless messages in turn), fresh for each run: both runs see the same sequence
          let calls = 0;
          const partitioner = () => {
            let turn = 0;
            return ({ message }: { message: { key: string | null } }) => {
              calls++;
              return message.key === null ? turn++ % partitions : message.key.length % partitions;
            };
          };
          const ours = groupMessagesPerPartition({
            topic: 't',
            partitionMetadata,
            messages,
            partitioner: partitioner(),
          });
          expect(calls).toBe(messages.length);
          const theirs = kafkajs({ topic: 't', partitionMetadata, messages, partitioner: partitioner() });
          expect(ours).toEqual(theirs);
          expect(Object.keys(ours)).toEqual(Object.keys(theirs));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns no partitions without partition metadata', () => {
    expect(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{}], partitioner: () => 0 }),
    ).toEqual({});
  });
});
