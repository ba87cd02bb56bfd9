/**
 * bench/drain-encode.ts: what one produce call costs the drain's producer thread, per
 * record, before it reaches the socket: kafkajs 2.2.4's own path against the replacements
 * the producer thread installs (kafkajs-message-grouping.ts, kafkajs-produce-encoder.ts),
 * on the same records in the same run.
 *
 * Setup: the seeded 100-line batches of bench/drain.ts go through the drain's parser into
 * record slabs, 8 requests per produce call (~770 records over 6 partitions, what the drain
 * coalesced under load), then, timed in this thread's CPU time (gzip runs in libuv's pool
 * and is counted too: process CPU), per call:
 *   slabsToTopicMessages → groupMessagesPerPartition (KeyPartitioner) → Produce v3 encode
 * for kafkajs (its grouping, its request encoder, with routemeter's record encoder) and for
 * routemeter's, uncompressed and gzip. No broker: the socket write and the answer are not
 * in it. Prints µs of CPU per record and the ratio kafkajs / routemeter.
 *
 *   npm run build && node dist/bench/drain-encode.js [--calls 400]
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { buildBatchRecords } from '../src/ingest/batch-records.js';
import { groupMessagesPerPartition } from '../src/kafka/kafkajs-message-grouping.js';
import { createFastProduceRequest } from '../src/kafka/kafkajs-produce-encoder.js';
import { installFastRecordEncoder } from '../src/kafka/kafkajs-record-encoder.js';
import { KeyPartitioner } from '../src/kafka/key-partitioner.js';
import { type RecordSlab, slabsToTopicMessages } from '../src/kafka/record-slab.js';
import { makeBatches } from './drain-harness.js';

const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { calls: { type: 'string', default: '400' } } });
const calls = Number(values.calls);
const perCall = 8;
const partitions = 6;

// kafkajs is loaded (imported above), so its own grouping stays in place: both are at hand.
void kafkajs;
installFastRecordEncoder();
type Group = typeof groupMessagesPerPartition;
const kafkajsGroup = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Group;
const originalRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js');
const Long = require('kafkajs/src/utils/long.js');
const { lookupCodec, Types } = require('kafkajs/src/protocol/message/compression/index.js');
const fastRequest = createFastProduceRequest(originalRequest, {
  Encoder: require('kafkajs/src/protocol/encoder.js'),
  longFromInt: (v) => Long.fromInt(v),
  lookupCodec,
  crc32C: require('kafkajs/src/protocol/recordBatch/crc32C/index.js'),
});

const { batches } = makeBatches(200);
const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, i) => ({
  partitionId: i,
  leader: 0,
  partitionErrorCode: 0,
  replicas: [0],
  isr: [0],
}));
const slabsFor = (call: number): RecordSlab[] =>
  Array.from(
    { length: perCall },
    (_, k) =>
      buildBatchRecords(Buffer.from(batches[(call * perCall + k) % batches.length]!.body), {
        drainToken: 'd.bench',
        frameId: `F${call}-${k}`,
        receivedAtMs: Date.now(),
        appOutput: 'drop',
        platformTopic: false,
      }).slab,
  );

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(group: Group, request: typeof originalRequest, compression: number): Promise<number> {
  let records = 0;
  let spent = 0;
  for (let call = 0; call < calls; call++) {
    const slabs = slabsFor(call); // not timed: the HTTP thread's work
    const t0 = cpuMs();
    const topicData = slabsToTopicMessages(slabs, 'router-logs', null).map(({ topic, messages }) => {
      const perPartition = group({ topic, partitionMetadata, messages, partitioner: KeyPartitioner() });
      records += messages.length;
      return {
        topic,
        partitions: Object.keys(perPartition).map((p) => ({
          partition: Number(p),
          firstSequence: call,
          messages: perPartition[Number(p)]!,
        })),
      };
    });
    const encoded = await request({
      acks: -1,
      timeout: 3000,
      compression,
      topicData,
      producerId: Long.fromInt(7),
      producerEpoch: 0,
    }).encode();
    if (encoded.buffer.length === 0) throw new Error('empty request');
    if (call >= calls / 4)
      spent += cpuMs() - t0; // the first quarter warms the JIT up
    else records = 0;
  }
  return (spent * 1000) / records;
}

const results: string[] = [];
for (const [name, compression] of [
  ['none', Types.None],
  ['gzip', Types.GZIP],
] as const) {
  const theirs = await measure(kafkajsGroup, originalRequest, compression);
  const ours = await measure(groupMessagesPerPartition, fastRequest, compression);
  results.push(
    `${name}: kafkajs ${theirs.toFixed(2)} µs/record, routemeter ${ours.toFixed(2)} µs/record, ${(theirs / ours).toFixed(1)}x`,
  );
}
console.log(`drain-encode (${perCall} requests per produce call, CPU per record): ${results.join(' | ')}`);
