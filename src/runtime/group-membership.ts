import type { Consumer, Kafka } from 'kafkajs';
import type { MembershipSettings } from '../config/config.js';
import type { Logger } from '../telemetry/logger.js';
import type { Assignment } from './kafka-cluster.js';

/**
 * The process's membership in the real consumer group (`CONSUMER_GROUP`, with
 * KAFKA_PREFIX). This consumer never processes a record: its topic is paused
 * as soon as it runs. It exists so that Kafka's group protocol decides which
 * process of the fleet owns which partition, and so that flushed offsets are
 * committed where lag tools (kafka-consumer-groups.sh, Prometheus exporters)
 * look for them.
 *
 * kafkajs reports a new assignment only after a rebalance completes
 * (GROUP_JOIN); there is no revoke callback. Between the moment another process
 * gets a partition and the moment we learn we lost it, both may consume it:
 * the fencing epoch in Redis makes the old owner's flushes fail, so nothing is
 * counted twice.
 *
 * With PLATFORM_TOPIC on, the group subscribes both topics: the assignor spreads
 * the platform partitions over the fleet like the router partitions, with the
 * same fencing and commits.
 */
export interface MembershipOptions {
  groupId: string;
  topic: string;
  /** the platform topic, or null when PLATFORM_TOPIC is off */
  platformTopic?: string | null;
  settings: MembershipSettings;
}

export class GroupMembership {
  private consumer: Consumer | null = null;
  private running = false;
  /** `topic:partition` → the latest flushed offset not yet committed */
  private readonly pendingCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: MembershipOptions,
    private readonly logger: Logger,
    private readonly onAssignment: (assignment: Assignment) => void,
    private readonly onCrash: (err: Error, willRestart: boolean) => void,
  ) {}

  private get topics(): string[] {
    const { topic, platformTopic } = this.opts;
    return platformTopic ? [topic, platformTopic] : [topic];
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.settings.sessionTimeoutMs,
      rebalanceTimeout: this.opts.settings.rebalanceTimeoutMs,
      heartbeatInterval: this.opts.settings.heartbeatIntervalMs,
      maxWaitTimeInMs: this.opts.settings.maxWaitTimeMs,
      retry: { retries: this.opts.settings.retries },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const of = (topic: string | null | undefined) =>
        topic ? [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b) : [];
      const assignment = { router: of(this.opts.topic), platform: of(this.opts.platformTopic) };
      this.logger.info(
        {
          groupId: this.opts.groupId,
          memberId: e.payload.memberId,
          partitions: assignment.router,
          platform: assignment.platform,
        },
        'group assignment',
      );
      // Keep the topics paused across rebalances: workers do the fetching.
      consumer.pause(this.topics.map((topic) => ({ topic })));
      this.onAssignment(assignment);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.onCrash(e.payload.error, e.payload.restart);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Never reached once paused; a batch fetched before the pause is ignored
      // (not resolved, not committed).
      eachBatch: async () => {},
    });
    try {
      consumer.pause(this.topics.map((topic) => ({ topic })));
    } catch (err) {
      // kafkajs throws here when run() resolved before its consumer group exists (a join
      // that crashed and restarts): the GROUP_JOIN handler pauses the topics on every join,
      // before the first fetch, so nothing is fetched unpaused either way.
      this.logger.debug({ err }, 'pause after run() deferred to the group join');
    }
    this.running = true;
    this.commitTimer = setInterval(() => void this.commitPending(), this.opts.settings.commitIntervalMs);
  }

  /** Remembers the latest flushed offset; commits are batched every few seconds. */
  commitLater(topic: string, partition: number, nextOffset: string): void {
    this.pendingCommits.set(`${topic}:${partition}`, { topic, partition, offset: nextOffset });
  }

  async commitPending(): Promise<void> {
    if (!this.consumer || !this.running || this.pendingCommits.size === 0) return;
    const offsets = [...this.pendingCommits.values()];
    this.pendingCommits.clear();
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (err) {
      // Not assigned any more, or a rebalance is in progress: the new owner commits.
      this.logger.debug({ err: (err as Error).message }, 'offset commit to Kafka skipped');
    }
  }

  /** Leaves the group: the remaining members get our partitions at once. */
  async stop(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commitPending();
    this.running = false;
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}
