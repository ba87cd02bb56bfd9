import type { Admin, Consumer, Kafka } from 'kafkajs';
import { RoutemeterError } from '../errors/routemeter-error.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';

/**
 * The replay's Kafka side: a consumer of the router topic in a group of its own.
 *
 *   start   live tail: every partition's high watermark now;
 *           --from T:  offsets-for-times(T − slack) (admin.fetchTopicOffsetsByTimestamp)
 *   end     --to T:    offsets-for-times(T + slack), exclusive; none for a live tail
 *
 * Kafka's record timestamp is when the drain produced the line, a little after its
 * event time (logplex buffers, retries); the slack widens the offset range so no
 * line of the range is missed, and the engine then keeps exactly the lines whose
 * event time is in [from, to). The consumer seeks every partition to its start
 * right after joining (kafkajs drops batches fetched before a pending seek);
 * admin.setOffsets would do the same through a throwaway consumer that costs a
 * whole join and a 5 s fetch wait. Commits afterwards only show progress.
 */
export interface SourceRecord {
  partition: number;
  offset: string;
  value: Buffer;
}

export interface RecordSourceOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  /** null = live tail */
  fromMs: number | null;
  /** null = no end */
  toMs: number | null;
  slackMs: number;
  logger: Logger;
}

export interface PartitionRange {
  partition: number;
  start: number;
  /** exclusive; null = unbounded */
  end: number | null;
}

export interface RecordSource {
  readonly ranges: readonly PartitionRange[];
  /** records in the offset ranges (before filtering), null for an unbounded source */
  readonly total: number | null;
  /** starts consuming; `onRecord` must not block (the engine queues) */
  start(onRecord: (record: SourceRecord) => void): Promise<void>;
  /** resolves when every partition has reached its end offset (never, for a live tail) */
  readonly finished: Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

async function startOffsets(admin: Admin, topic: string, atMs: number | null): Promise<Map<number, number>> {
  const list =
    atMs === null
      ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, atMs);
  return new Map(list.map((p) => [p.partition, Number(p.offset)]));
}

export async function openRecordSource(opts: RecordSourceOptions): Promise<RecordSource> {
  const { kafka, topic, groupId, logger } = opts;
  const admin = kafka.admin();
  await admin.connect();
  let ranges: PartitionRange[];
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new RoutemeterError(
        'RM_ERR_REPLAY_OPTION',
        `the router topic ${topic} does not exist (ROUTER_TOPIC, with KAFKA_PREFIX): nothing was ever drained there`,
      );
    }
    const starts = await startOffsets(admin, topic, opts.fromMs === null ? null : opts.fromMs - opts.slackMs);
    const ends = opts.toMs === null ? null : await startOffsets(admin, topic, opts.toMs + opts.slackMs);
    ranges = [...starts].map(([partition, start]) => {
      const end = ends?.get(partition) ?? null;
      return { partition, start, end: end === null ? null : Math.max(start, end) };
    });
  } finally {
    await admin.disconnect();
  }
  const total = ranges.every((r) => r.end !== null)
    ? ranges.reduce((n, r) => n + ((r.end as number) - r.start), 0)
    : null;
  logger.info({ event: 'replay_source', topic, groupId, ranges }, 'replay source positioned');

  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 250,
    retry: { retries: 5 },
  });
  const done = new Set(ranges.filter((r) => r.end !== null && r.end <= r.start).map((r) => r.partition));
  const endOf = new Map(ranges.map((r) => [r.partition, r.end]));
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });
  const checkFinished = () => {
    if (total !== null && done.size === ranges.length) resolveFinished();
  };
  checkFinished();
  let paused = false;
  const openPartitions = () => ranges.map((r) => r.partition).filter((p) => !done.has(p));

  return {
    ranges,
    total,
    finished,
    async start(onRecord) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      // Seek when the group is joined, before the first fetch: kafkajs emits GROUP_JOIN after
      // SyncGroup and only then starts fetching. Seeking after run() resolves is not enough:
      // a join that crashed and restarted under load leaves no group to seek on ("Consumer
      // group was not initialized"). Only the first join seeks; a later one resumes from
      // the group's own commits.
      let seeked = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (seeked) return;
        seeked = true;
        for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: String(r.start) });
        // Paused partitions at start (already at their end) are never fetched.
        if (done.size > 0) consumer.pause([{ topic, partitions: [...done] }]);
      });
      await consumer.run({
        autoCommitInterval: 5000,
        eachMessage: async ({ partition, message }) => {
          const end = endOf.get(partition);
          if (done.has(partition)) return;
          if (end !== null && end !== undefined && Number(message.offset) >= end) {
            done.add(partition);
            consumer.pause([{ topic, partitions: [partition] }]);
            checkFinished();
            return;
          }
          if (message.value) onRecord({ partition, offset: message.offset, value: message.value });
          if (end !== null && end !== undefined && Number(message.offset) + 1 >= end) {
            done.add(partition);
            consumer.pause([{ topic, partitions: [partition] }]);
            checkFinished();
          }
        },
      });
    },
    pause() {
      if (paused) return;
      paused = true;
      // Always by partition list: kafkajs's topic-wide pause is undone by a later per-partition pause.
      consumer.pause([{ topic, partitions: ranges.map((r) => r.partition) }]);
    },
    resume() {
      if (!paused) return;
      paused = false;
      const open = openPartitions();
      if (open.length > 0) consumer.resume([{ topic, partitions: open }]);
    },
    async close() {
      await withTimeout(consumer.disconnect(), 10_000, 'replay consumer disconnect').catch((err: Error) =>
        logger.warn({ err }, 'replay consumer did not disconnect cleanly'),
      );
    },
  };
}

/** Deletes the replay's own group when it was made up for this run (best effort). */
export async function deleteReplayGroup(kafka: Kafka, groupId: string, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch (err) {
    logger.debug({ err, groupId }, 'replay group not deleted');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
