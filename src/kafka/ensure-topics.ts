import type { Admin } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * Creates the topics that are missing, with `partitions` partitions (names
 * already carry KAFKA_PREFIX). Existing topics are left as they are: their
 * partition count is the runtime's to own. Several processes of a fleet may
 * start at once; losing that race is fine as long as the topics exist after.
 */
export async function ensureTopics(
  admin: Admin,
  names: string[],
  partitions: number,
  logger: Logger,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });
    logger.info({ event: 'topics_created', topics: missing, partitions }, 'topics created');
  } catch (err) {
    const now = new Set(await admin.listTopics());
    if (missing.some((t) => !now.has(t))) throw err;
    logger.debug({ topics: missing }, 'topics were created by another process');
  }
}

/** The drain's topics: the router topic, and the platform topic unless it is off. */
export function drainTopicNames(topics: Config['topics']): string[] {
  return [topics.router, ...(topics.platform === null ? [] : [topics.platform])];
}

/**
 * Creates a compacted topic (`cleanup.policy=compact`: Kafka keeps the last record per
 * key) if it is missing; an existing topic is left as it is.
 */
export async function ensureCompactedTopic(
  admin: Admin,
  name: string,
  partitions: number,
  logger: Logger,
): Promise<void> {
  if ((await admin.listTopics()).includes(name)) return;
  try {
    await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      waitForLeaders: true,
    });
    logger.info({ event: 'topics_created', topics: [name], partitions, compacted: true }, 'topics created');
  } catch (err) {
    if (!(await admin.listTopics()).includes(name)) throw err;
  }
}
