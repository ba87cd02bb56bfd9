import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { ensureCompactedTopic } from '../kafka/ensure-topics.js';
import { createKafka } from '../kafka/kafka-client.js';
import type { Logger } from '../telemetry/logger.js';
import { DynoSummaryPublisher } from './dyno-summary-publisher.js';

/**
 * The compacted dyno summary topic (DYNO_SUMMARY_TOPIC; dyno-summary-publisher.ts):
 * its own producer, connected (and the topic created, compacted) at the first send,
 * again after a failure. Null when the topic is off.
 */
export function dynoSummary(
  config: Config,
  logger: Logger,
  registry: Registry,
): { publisher: DynoSummaryPublisher; close(): Promise<void> } | null {
  const topic = config.topics.dynoSummary;
  if (topic === null) return null;
  const kafka = createKafka(config, `routemeter-dyno-summary-${process.pid}`);
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  let connected: Promise<void> | null = null;
  const connect = () => {
    connected ??= (async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureCompactedTopic(admin, topic, config.topics.partitions, logger);
      } finally {
        await admin.disconnect().catch(() => {});
      }
      await producer.connect();
    })().catch((err: unknown) => {
      connected = null;
      throw err;
    });
    return connected;
  };
  const sent = new Counter({
    name: 'routemeter_dyno_summary_records_total',
    help: 'Records written to the compacted dyno summary topic (the latest memory sample per dyno), by result',
    labelNames: ['result'],
    registers: [registry],
  });
  const publisher = new DynoSummaryPublisher({
    topic,
    logger,
    producer: {
      async send(record) {
        await connect();
        return producer.send(record);
      },
    },
    onSent: (n) => sent.inc({ result: 'sent' }, n),
    onError: () => sent.inc({ result: 'failed' }),
  });
  return {
    publisher,
    async close() {
      // the last samples, within a short budget: the topic is at-least-once and refreshed every ~20 s anyway
      await Promise.race([publisher.stop(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await producer.disconnect().catch(() => {});
    },
  };
}
