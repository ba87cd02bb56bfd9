import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's `groupMessagesPerPartition` (messages of one topic → `{ [partition]: messages }`)
 * in linear time. kafkajs copies the partition's array for every message
 * (`[...current, message]`): quadratic in the messages per partition, 1–2 µs per record
 * for the drain's produce calls of several hundred records (measured on the producer
 * thread), and the reason the bench preloads used small batches (docs/benchmarks.md).
 * Same result: the partitioner is called once per message, in order, and each
 * partition's messages keep their order.
 *
 * kafkajs binds this module when it loads (`producer/sendMessages.js` requires it at the
 * top), so the replacement must be in the require cache before kafkajs is first loaded in
 * the thread: this module installs it when it is imported, and the producer thread
 * imports it first (producer-worker.ts). It installs only on kafkajs 2.2.4.
 */
const require = createRequire(import.meta.url);

interface GroupArgs<M, P> {
  topic: string;
  partitionMetadata: P[];
  messages: M[];
  partitioner: (args: { topic: string; partitionMetadata: P[]; message: M }) => number;
}

export function groupMessagesPerPartition<M, P>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs<M, P>): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list === undefined) result[partition] = [message];
    else list.push(message);
  }
  return result;
}

const MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';

function install(): { installed: boolean; reason: string } {
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (version !== '2.2.4') return { installed: false, reason: `kafkajs ${version}, not 2.2.4` };
    const path = require.resolve(MODULE);
    const sendMessages = require.resolve('kafkajs/src/producer/sendMessages.js');
    if (require.cache[sendMessages] !== undefined) {
      return { installed: false, reason: 'kafkajs was loaded before the grouping could be replaced' };
    }
    require(MODULE);
    require.cache[path]!.exports = groupMessagesPerPartition;
    return { installed: true, reason: 'ok' };
  } catch (err) {
    return { installed: false, reason: (err as Error).message };
  }
}

/** Whether this thread's kafkajs groups in linear time, and why not. */
export const linearGrouping = install();
