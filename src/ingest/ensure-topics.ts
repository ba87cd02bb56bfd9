import type { Admin } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * Creates the drain's topics if they are missing, with `config.topics.partitions`
 * partitions (the prefix, KAFKA_PREFIX, is already part of the names). Existing
 * topics are left as they are: their partition count is the runtime's to own.
 */
export async function ensureDrainTopics(
  admin: Admin,
  topics: Config['topics'],
  logger: Logger,
): Promise<void> {
  const wanted = [topics.router, ...(topics.platform === null ? [] : [topics.platform])];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    topics: missing.map((topic) => ({ topic, numPartitions: topics.partitions })),
    waitForLeaders: true,
  });
  logger.info(
    { event: 'drain.topics_created', topics: missing, partitions: topics.partitions },
    'topics created',
  );
}
