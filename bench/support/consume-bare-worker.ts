/**
 * A worker thread of measurement (c') in bench/consume.ts (see consume-bare.ts):
 * one kafkajs consumer per partition it is given, each in its own group
 * `<prefix>.p<n>` with routemeter's pinned assigner and fetch settings, decoding
 * every record with `parseRouterEvent` and discarding it. Counts go to a
 * SharedArrayBuffer (per partition: records, value bytes, parse failures), so the
 * hot loop posts no messages. On `{code: 'stop'}` it disconnects and answers
 * `{code: 'stopped'}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import { parseRouterEvent } from '../../src/logplex/router-line.js';
import { BARE_SLOTS, type BareWorkerData, RUNTIME_FETCH } from './consume-bare.js';
import { pinnedPartitionAssigner } from './pinned-partition-assigner.js';

if (!parentPort) throw new Error('consume-bare-worker.ts must run in a worker thread');
const port = parentPort;
const data = workerData as BareWorkerData;
const counts = new Float64Array(data.counters);
const kafka = new Kafka({
  clientId: 'bench-consume-bare-worker',
  brokers: data.brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 3000,
  requestTimeout: 30_000,
});
const event = createRouterEvent();
const consumers: Consumer[] = [];

async function start(partition: number): Promise<void> {
  const consumer = kafka.consumer({
    groupId: `${data.groupPrefix}.p${partition}`,
    partitionAssigners: [pinnedPartitionAssigner(data.topic, partition)],
    sessionTimeout: 10_000,
    heartbeatInterval: 3000,
    ...RUNTIME_FETCH,
  });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: data.topic, fromBeginning: true });
  const base = partition * BARE_SLOTS;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      let n = 0;
      let bytes = 0;
      let failures = 0;
      for (const m of batch.messages) {
        const v = m.value;
        if (v === null || !parseRouterEvent(v, 0, v.length, event)) failures++;
        else bytes += v.length;
        n++;
      }
      counts[base]! += n;
      counts[base + 1]! += bytes;
      counts[base + 2]! += failures;
    },
  });
}

port.on('message', (msg: { code: string }) => {
  if (msg.code !== 'stop') throw new Error(`consume-bare-worker: unknown message code ${msg.code}`);
  void Promise.allSettled(consumers.map((c) => c.disconnect())).then(() =>
    port.postMessage({ code: 'stopped' }),
  );
});

for (const p of data.partitions) {
  // a consumer that cannot start fails the thread: the parent sees its 'error'
  start(p).catch((err) =>
    setImmediate(() => {
      throw err;
    }),
  );
}
