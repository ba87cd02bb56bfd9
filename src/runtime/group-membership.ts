import type { Consumer, Kafka } from 'kafkajs';
import type { MembershipSettings } from '../config/config.js';
import type { Logger } from '../telemetry/logger.js';

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
 */
export interface MembershipOptions {
  groupId: string;
  topic: string;
  settings: MembershipSettings;
}

export class GroupMembership {
  private consumer: Consumer | null = null;
  private running = false;
  private readonly pendingCommits = new Map<number, string>();
  private commitTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: MembershipOptions,
    private readonly logger: Logger,
    private readonly onAssignment: (partitions: number[]) => void,
    private readonly onCrash: (err: Error, willRestart: boolean) => void,
  ) {}

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
      const partitions = [...(e.payload.memberAssignment[this.opts.topic] ?? [])].sort((a, b) => a - b);
      this.logger.info(
        { groupId: this.opts.groupId, memberId: e.payload.memberId, partitions },
        'group assignment',
      );
      // Keep the topic paused across rebalances: workers do the fetching.
      consumer.pause([{ topic: this.opts.topic }]);
      this.onAssignment(partitions);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.onCrash(e.payload.error, e.payload.restart);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Never reached once paused; a batch fetched before the pause is ignored
      // (not resolved, not committed).
      eachBatch: async () => {},
    });
    consumer.pause([{ topic: this.opts.topic }]);
    this.running = true;
    this.commitTimer = setInterval(() => void this.commitPending(), this.opts.settings.commitIntervalMs);
  }

  /** Remembers the latest flushed offset; commits are batched every few seconds. */
  commitLater(partition: number, nextOffset: string): void {
    this.pendingCommits.set(partition, nextOffset);
  }

  async commitPending(): Promise<void> {
    if (!this.consumer || !this.running || this.pendingCommits.size === 0) return;
    const offsets = [...this.pendingCommits].map(([partition, offset]) => ({
      topic: this.opts.topic,
      partition,
      offset,
    }));
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
