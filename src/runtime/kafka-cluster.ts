import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { ensureTopics } from '../kafka/ensure-topics.js';
import { createKafka } from '../kafka/kafka-client.js';
import type { Logger } from '../telemetry/logger.js';
import { GroupMembership } from './group-membership.js';

/** The process's seat in the fleet's consumer group (a fake in unit tests). */
export interface MembershipPort {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** remembers a flushed offset; committed to the group in batches, for lag tools */
  commitLater(topic: string, partition: number, nextOffset: string): void;
}

/** The partitions the group gave this process, per topic (platform: [] when PLATFORM_TOPIC is off). */
export interface Assignment {
  router: number[];
  platform: number[];
}

/** What the supervisor needs of Kafka: the topic's partition count and a group membership. */
export interface ClusterPort {
  /** Connects, creates the router (and platform) topic if missing; returns the router topic's partition count. */
  prepare(): Promise<number>;
  membership(
    onAssignment: (assignment: Assignment) => void,
    onCrash: (err: Error, willRestart: boolean) => void,
  ): MembershipPort;
  close(): Promise<void>;
}

/** The real cluster: one kafkajs client for the supervisor's admin and its group membership. */
export function kafkaCluster(config: Config, instanceId: string, logger: Logger): ClusterPort {
  const kafka: Kafka = createKafka(config, `routemeter-supervisor-${instanceId}`);
  const admin: Admin = kafka.admin();
  const topic = config.topics.router;
  const platform = config.topics.platform;
  return {
    async prepare() {
      try {
        await admin.connect();
      } catch (err) {
        throw new RoutemeterError(
          'RM_ERR_KAFKA_UNAVAILABLE',
          `cannot reach Kafka at ${config.kafka.brokers.join(',')} (KAFKA_URL): ${(err as Error).message}`,
          { cause: err, details: { variable: 'KAFKA_URL' } },
        );
      }
      await ensureTopics(
        admin,
        platform === null ? [topic] : [topic, platform],
        config.topics.partitions,
        logger,
      );
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const count = meta.topics[0]?.partitions.length ?? 0;
      if (count === 0)
        throw new RoutemeterError('RM_ERR_KAFKA_UNAVAILABLE', `topic ${topic} has no partitions`);
      return count;
    },
    membership(onAssignment, onCrash) {
      return new GroupMembership(
        kafka,
        {
          groupId: config.consumerGroup,
          topic,
          platformTopic: platform,
          settings: config.runtime.membership,
        },
        logger,
        onAssignment,
        onCrash,
      );
    },
    async close() {
      await admin.disconnect().catch(() => {});
    },
  };
}
