/**
 * kafkajs 2.2.4 × the broker of the local stack: everything routemeter asks of Kafka.
 *
 * kafkajs has not been released since 2023 and picks, per API, the highest version both it
 * and the broker support (ApiVersions). Kafka 4.0 removed the oldest protocol versions
 * (KIP-896), so this file is the check that a broker release still speaks what kafkajs
 * needs: admin (CreateTopics, Metadata, ListOffsets, DeleteTopics), produce with acks=-1,
 * the classic consumer-group protocol (FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * OffsetCommit, OffsetFetch, LeaveGroup), seek, idempotent produce (InitProducerId) and
 * gzip record batches. Run it against each Kafka release we support:
 *
 *   npm run stack down && KAFKA_VERSION=3.9.2 npm run stack up && npx vitest run test/compat
 *
 * Results are recorded in docs/local-stack.md.
 */

import { createRequire } from 'node:module';
import {
  CompressionTypes,
  type Consumer,
  type ConsumerConfig,
  type KafkaMessage,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  brokerApiVersions,
  kafkaBrokers,
  kafkaVersion,
  testKafka,
  topicMessageCount,
  useGroup,
  useTopic,
  waitFor,
  withAdmin,
} from '../support/kafka.js';

interface Received {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

async function connectedProducer(config: ProducerConfig = {}): Promise<Producer> {
  const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  await producer.connect();
  onTestFinished(() => producer.disconnect());
  return producer;
}

/** Starts a consumer in `groupId` on `topic` from the beginning; records every message it gets. */
async function startConsumer(
  topic: string,
  groupId: string,
  { autoCommit = false, ...config }: Partial<ConsumerConfig> & { autoCommit?: boolean } = {},
): Promise<{ consumer: Consumer; received: Received[] }> {
  const consumer = testKafka().consumer({
    groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 200,
    ...config,
  });
  const received: Received[] = [];
  onTestFinished(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit,
    eachMessage: async ({ partition, message }) => {
      received.push(toReceived(partition, message));
    },
  });
  return { consumer, received };
}

function toReceived(partition: number, m: KafkaMessage): Received {
  return {
    partition,
    offset: Number(m.offset),
    key: m.key?.toString() ?? '',
    value: m.value?.toString() ?? '',
  };
}

function messages(n: number, partitions: number, tag = 'm'): Message[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    value: `${tag}-${i}`,
    partition: i % partitions,
  }));
}

/** Commits "next offset to read" for every partition seen in `received`. */
async function commitReceived(consumer: Consumer, topic: string, received: Received[]): Promise<void> {
  const next = new Map<number, number>();
  for (const r of received) next.set(r.partition, Math.max(next.get(r.partition) ?? 0, r.offset + 1));
  await consumer.commitOffsets(
    [...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The APIs routemeter's producer, consumers and admin calls send (kafkajs names). */
const APIS_WE_USE = [
  'ApiVersions',
  'Metadata',
  'Produce',
  'Fetch',
  'ListOffsets',
  'GroupCoordinator', // FindCoordinator
  'JoinGroup',
  'SyncGroup',
  'Heartbeat',
  'LeaveGroup',
  'OffsetCommit',
  'OffsetFetch',
  'DescribeGroups',
  'DeleteGroups',
  'InitProducerId',
  'CreateTopics',
  'DeleteTopics',
];

/**
 * kafkajs sends, per API, min(its newest implemented version, the broker's max) and never looks
 * at the broker's *min* (src/protocol/requests/index.js `lookup`). So a broker that dropped old
 * versions (KIP-896, Kafka 4.0) breaks kafkajs exactly where kafkajs' newest < broker's min.
 */
function negotiated(
  broker: Map<number, { minVersion: number; maxVersion: number }>,
): { api: string; kafkajs: string; broker: string; sent: number | null; ok: boolean }[] {
  // kafkajs ships no types for these internals; pinned at 2.2.4 in package.json.
  const require = createRequire(import.meta.url);
  const { requests } = require('kafkajs/src/protocol/requests') as {
    requests: Record<string, { versions: string[] | number[] }>;
  };
  const apiKeys = require('kafkajs/src/protocol/requests/apiKeys') as Record<string, number>;
  return Object.entries(apiKeys)
    .filter(([name]) => (requests[name]?.versions.length ?? 0) > 0)
    .map(([name, key]) => {
      const vs = requests[name].versions.map(Number);
      const ours = Math.max(...vs);
      const b = broker.get(key);
      const sent = b ? Math.min(ours, b.maxVersion) : null;
      return {
        api: name,
        kafkajs: `${Math.min(...vs)}..${ours}`,
        broker: b ? `${b.minVersion}..${b.maxVersion}` : 'absent',
        sent,
        ok: b !== undefined && sent !== null && sent >= b.minVersion,
      };
    });
}

describe(`kafkajs 2.2.4 × Kafka ${kafkaVersion()} (${kafkaBrokers().join(',')})`, () => {
  it('every API routemeter uses has a version both kafkajs and the broker speak', async () => {
    const ranges = new Map((await brokerApiVersions()).map((r) => [r.apiKey, r]));
    const table = negotiated(ranges);
    const lines = table.map(
      (t) =>
        `${t.api.padEnd(28)} kafkajs ${t.kafkajs.padEnd(6)} broker ${t.broker.padEnd(7)} -> ${t.ok ? `v${t.sent}` : 'NONE'}`,
    );
    console.info(`kafkajs 2.2.4 × Kafka ${kafkaVersion()} API versions:\n${lines.join('\n')}`);
    const broken = table.filter((t) => APIS_WE_USE.includes(t.api) && !t.ok);
    expect(broken.map((t) => `${t.api}: kafkajs ${t.kafkajs}, broker ${t.broker}`)).toEqual([]);
  });

  it('admin: creates a topic with several partitions, lists it and reads its metadata', async () => {
    const topic = await useTopic('compat-admin', 4);
    await withAdmin(async (admin) => {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      expect(await admin.listTopics()).toContain(topic);
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => o.high)).toEqual(['0', '0', '0', '0']);
    });
  });

  it('produces with acks=-1 and consumes in a group; committed offsets survive a restart', async () => {
    const topic = await useTopic('compat-group', 3);
    const groupId = useGroup('compat-group');
    const producer = await connectedProducer();
    await producer.send({ topic, acks: -1, messages: messages(30, 3, 'first') });
    expect(await topicMessageCount(topic)).toBe(30);

    const first = await startConsumer(topic, groupId);
    await waitFor(() => first.received.length >= 30, { message: '30 messages' });
    expect(new Set(first.received.map((r) => r.value)).size).toBe(30);
    for (const p of [0, 1, 2]) {
      const offsets = first.received.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // in order within a partition
    }
    await commitReceived(first.consumer, topic, first.received);
    await withAdmin(async (admin) => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
        [0, '10'],
        [1, '10'],
        [2, '10'],
      ]);
    });
    await first.consumer.disconnect();

    await producer.send({ topic, acks: -1, messages: messages(6, 3, 'second') });
    const second = await startConsumer(topic, groupId);
    await waitFor(() => second.received.length >= 6, { message: '6 new messages' });
    await sleep(1000); // nothing older than the committed offsets may follow
    expect(second.received.map((r) => r.value).sort()).toEqual(
      messages(6, 3, 'second')
        .map((m) => String(m.value))
        .sort(),
    );
  });

  it('two consumers in one group split the partitions (JoinGroup/SyncGroup rebalance)', async () => {
    const topic = await useTopic('compat-rebalance', 4);
    const groupId = useGroup('compat-rebalance');
    const a = await startConsumer(topic, groupId);
    const b = await startConsumer(topic, groupId);
    // wait until both members hold partitions, then produce
    await waitFor(
      async () =>
        withAdmin(async (admin) => {
          const { groups } = await admin.describeGroups([groupId]);
          return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
        }),
      { message: 'a stable group of 2 members' },
    );
    const producer = await connectedProducer();
    await producer.send({ topic, acks: -1, messages: messages(40, 4) });
    await waitFor(() => a.received.length + b.received.length >= 40, { message: '40 messages' });
    const pa = new Set(a.received.map((r) => r.partition));
    const pb = new Set(b.received.map((r) => r.partition));
    expect(pa.size).toBeGreaterThan(0);
    expect(pb.size).toBeGreaterThan(0);
    expect([...pa].filter((p) => pb.has(p))).toEqual([]);
  });

  it('seek rewinds a partition of a running consumer', async () => {
    const topic = await useTopic('compat-seek', 1);
    const groupId = useGroup('compat-seek');
    const producer = await connectedProducer();
    await producer.send({ topic, acks: -1, messages: messages(10, 1) });
    const { consumer, received } = await startConsumer(topic, groupId);
    await waitFor(() => received.length >= 10, { message: '10 messages' });
    consumer.seek({ topic, partition: 0, offset: '3' });
    await waitFor(() => received.length >= 17, { message: 'offsets 3..9 again after seek' });
    expect(received.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('idempotent producer (idempotent, maxInFlightRequests 1, acks -1) writes each message once', async () => {
    const topic = await useTopic('compat-idempotent', 3);
    const groupId = useGroup('compat-idempotent');
    const producer = await connectedProducer({ idempotent: true, maxInFlightRequests: 1 });
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({ topic, acks: -1, messages: messages(20, 3, `b${batch}`) });
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: messages(9, 3, 'batch') }],
    });
    expect(await topicMessageCount(topic)).toBe(109);
    const { received } = await startConsumer(topic, groupId);
    await waitFor(() => received.length >= 109, { message: '109 messages' });
    expect(new Set(received.map((r) => r.value)).size).toBe(109);
  });

  it('gzip-compressed batches round-trip', async () => {
    const topic = await useTopic('compat-gzip', 2);
    const groupId = useGroup('compat-gzip');
    const producer = await connectedProducer();
    const line = '<158>1 2024-01-01T00:00:00+00:00 host heroku router - at=info method=GET path="/x" ';
    const values = Array.from({ length: 50 }, (_, i) => `${line.repeat(20)}#${i}`);
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: values.map((value, i) => ({ key: `k${i}`, value, partition: i % 2 })),
    });
    const { received } = await startConsumer(topic, groupId);
    await waitFor(() => received.length >= 50, { message: '50 gzip messages' });
    expect(received.map((r) => r.value).sort()).toEqual([...values].sort());
  });

  it('admin: offsets by timestamp, setOffsets and describeGroups on a group', async () => {
    const topic = await useTopic('compat-offsets', 2);
    const groupId = useGroup('compat-offsets');
    const producer = await connectedProducer();
    await producer.send({ topic, acks: -1, messages: messages(10, 2, 'early') });
    await sleep(50);
    const cut = Date.now();
    await sleep(50);
    await producer.send({ topic, acks: -1, messages: messages(4, 2, 'late') });
    await withAdmin(async (admin) => {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, cut);
      expect(byTime.map((o) => [o.partition, o.offset]).sort()).toEqual([
        [0, '5'],
        [1, '5'],
      ]);
      await admin.setOffsets({ groupId, topic, partitions: byTime.map((o) => ({ ...o })) });
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed.partitions.map((p) => p.offset)).toEqual(['5', '5']);
    });
    const { received } = await startConsumer(topic, groupId);
    await waitFor(() => received.length >= 4, { message: 'the 4 late messages' });
    expect(received.every((r) => r.value.startsWith('late-'))).toBe(true);
    await withAdmin(async (admin) => {
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0].protocolType).toBe('consumer');
      expect(groups[0].members).toHaveLength(1);
    });
  });
});
