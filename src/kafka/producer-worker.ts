// First, for its side effect: it replaces a kafkajs module before kafkajs loads.
import './kafkajs-message-grouping.js';
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka } from 'kafkajs';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { serializeError } from '../errors/serialize-error.js';
import { redirectSocketFactory } from './broker-redirect.js';
import { DrainProducer, type ProducerLogger } from './drain-producer.js';
import { kafkaClientConfig } from './kafka-client.js';
import { registerCodec } from './kafka-codecs.js';
import { linearGrouping } from './kafkajs-message-grouping.js';
import { installFastProduceEncoder } from './kafkajs-produce-encoder.js';
import { installFastRecordEncoder } from './kafkajs-record-encoder.js';
import type { MainToProducer, ProducerToMain, ProducerWorkerData } from './producer-protocol.js';
import { slabsToTopicMessages } from './record-slab.js';

/**
 * The drain's producer thread: turns record slabs into kafkajs messages and produces
 * them (kafkajs encodes every record in JavaScript; here that work leaves the thread
 * that serves HTTP). See producer-protocol.ts for the messages.
 */
const port = parentPort;
if (port === null)
  throw new RoutemeterError('RM_ERR_INTERNAL', 'producer-worker.ts must run as a worker thread');
const data = workerData as ProducerWorkerData;

const post = (msg: ProducerToMain) => port.postMessage(msg);
const logger: ProducerLogger = {
  warn: (fields, msg) => post({ code: 'log', level: 'warn', fields, msg: msg ?? '' }),
};

// Before the first produce: kafkajs loads its record encoder lazily.
const fastRecords = installFastRecordEncoder();
if (!fastRecords.installed) {
  logger.warn(
    { event: 'drain.fast_record_encoder_off', reason: fastRecords.reason },
    'using kafkajs record encoder',
  );
}
if (!linearGrouping.installed) {
  logger.warn(
    { event: 'drain.linear_grouping_off', reason: linearGrouping.reason },
    'using kafkajs message grouping',
  );
}
const fastProduce = await installFastProduceEncoder();
if (!fastProduce.installed) {
  logger.warn(
    { event: 'drain.fast_produce_encoder_off', reason: fastProduce.reason },
    'using kafkajs produce request encoder',
  );
}

const kafka = new Kafka({
  ...kafkaClientConfig({ kafka: data.kafka }, 'routemeter-drain'),
  requestTimeout: data.requestTimeoutMs,
  ...(data.brokerRedirect ? { socketFactory: redirectSocketFactory(data.brokerRedirect) } : {}),
});
const producer = new DrainProducer({
  kafka,
  compression: registerCodec(data.compression),
  ackTimeoutMs: data.ackTimeoutMs,
  logger,
});

port.on('message', (msg: MainToProducer) => {
  const reply = (p: Promise<void>) =>
    p.then(
      () => post({ code: 'done', id: msg.id }),
      (err: unknown) => post({ code: 'failed', id: msg.id, error: serializeError(err) }),
    );
  switch (msg.code) {
    case 'connect':
      reply(producer.connect());
      return;
    case 'send':
      reply(producer.send(slabsToTopicMessages(msg.slabs, data.routerTopic, data.platformTopic)));
      return;
    case 'disconnect':
      reply(producer.disconnect()).then(() => port.close());
      return;
    default: {
      const unknown: never = msg;
      post({
        code: 'failed',
        id: (unknown as { id: number }).id,
        error: {
          code: 'RM_ERR_PROTOCOL',
          message: `unknown message ${JSON.stringify(unknown)}`,
          canRetry: false,
        },
      });
    }
  }
});
