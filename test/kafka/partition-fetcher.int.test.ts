import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseKafkaUrl } from '../../src/config/kafka-url.js';
import type { RoutemeterError } from '../../src/errors/routemeter-error.js';
import {
  type FetchedBatches,
  type LogBounds,
  PartitionFetcher,
  type PartitionFetcherOptions,
} from '../../src/kafka/partition-fetcher.js';
import {
  createTopic,
  deleteTopic,
  kafkaBrokers,
  testKafka,
  uniqueName,
  useTopic,
  waitFor,
} from '../support/kafka.js';
import { startPrivateKafka } from '../support/private-kafka.js';

/**
 * The partition fetcher against a real broker: the shared one (plaintext and its TLS
 * listener with client certificates) and a private one it may stop and restart.
 * Records are produced with kafkajs; what the fetcher hands over is checked by the
 * record counts in the batch headers (RecordBatch v2: int32 record count at byte 57)
 * and by the values, read with a minimal decoder of uncompressed batches below.
 */

/** Values of the records of uncompressed v2 batches in [start, end), from `from` on. */
function values(f: FetchedBatches, from: number): Map<number, string> {
  const out = new Map<number, string>();
  const b = f.buffer;
  let p = f.start;
  const varint = (at: { p: number }) => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const byte = b[at.p++]!;
      v |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return (v >>> 1) ^ -(v & 1);
  };
  while (p < f.end) {
    const base = Number(b.readBigInt64BE(p));
    const size = 12 + b.readInt32BE(p + 8);
    const attributes = b.readInt16BE(p + 21);
    expect(attributes & 7).toBe(0);
    const count = b.readInt32BE(p + 57);
    const at = { p: p + 61 };
    for (let i = 0; i < count; i++) {
      varint(at); // length
      at.p++; // attributes
      varint(at); // timestamp delta
      const offsetDelta = varint(at);
      const keyLength = varint(at);
      if (keyLength > 0) at.p += keyLength;
      const valueLength = varint(at);
      const value = b.toString('utf8', at.p, at.p + valueLength);
      at.p += valueLength;
      const headers = varint(at);
      for (let h = 0; h < headers; h++) {
        at.p += varint(at);
        const n = varint(at);
        if (n > 0) at.p += n;
      }
      if (base + offsetDelta >= from) out.set(base + offsetDelta, value);
    }
    p += size;
  }
  return out;
}

interface Harness {
  fetcher: PartitionFetcher;
  got: Map<number, string>;
  fetches: FetchedBatches[];
  retries: RoutemeterError[];
  outOfRange: { offset: number; bounds: LogBounds }[];
  fatal: unknown[];
}

function useFetcher(
  topic: string,
  overrides: Partial<PartitionFetcherOptions> = {},
  outOfRange: (offset: number, bounds: LogBounds) => number = (_, b) => b.low,
): Harness {
  const h: Harness = {
    fetcher: null as unknown as PartitionFetcher,
    got: new Map(),
    fetches: [],
    retries: [],
    outOfRange: [],
    fatal: [],
  };
  h.fetcher = new PartitionFetcher(
    {
      topic,
      partition: 0,
      brokers: kafkaBrokers(),
      ssl: false,
      clientId: 'routemeter-test-fetcher',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 10_000,
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 64 * 1024,
      prefetch: true,
      ...overrides,
    },
    {
      onRecords(f) {
        h.fetches.push(f);
        for (const [o, v] of values(f, f.fetchOffset)) h.got.set(o, v);
        return { nextOffset: f.nextOffset, error: null };
      },
      async onOutOfRange(offset, bounds) {
        h.outOfRange.push({ offset, bounds });
        return outOfRange(offset, bounds);
      },
      onRetry(err) {
        h.retries.push(err);
        return 50;
      },
      onFatal(err) {
        h.fatal.push(err);
      },
    },
  );
  onTestFinished(() => h.fetcher.stop());
  return h;
}

async function produce(kafka: Kafka, topic: string, from: number, n: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = from; i < from + n; i += 500) {
      const messages = [];
      for (let j = i; j < Math.min(from + n, i + 500); j++)
        messages.push({ value: `line ${j} ${'x'.repeat(j % 50)}` });
      await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    }
  } finally {
    await producer.disconnect();
  }
}

function expectLines(got: Map<number, string>, from: number, to: number): void {
  const missing: number[] = [];
  for (let o = from; o < to; o++) {
    if (got.get(o) !== `line ${o} ${'x'.repeat(o % 50)}`) missing.push(o);
  }
  expect(missing.slice(0, 5)).toEqual([]);
  expect([...got.keys()].filter((o) => o < from || o >= to)).toEqual([]);
}

describe('PartitionFetcher (real Kafka)', () => {
  it('fetches from a given offset to the high watermark, fetch after fetch, every record once', async () => {
    const topic = await useTopic('fetcher-offset');
    const kafka = testKafka();
    await produce(kafka, topic, 0, 5000);
    const h = useFetcher(topic);
    const bounds = await h.fetcher.logBounds();
    expect(bounds).toEqual({ low: 0, high: 5000 });
    h.fetcher.start(1234);
    await waitFor(() => h.got.size >= 5000 - 1234, { message: 'records 1234…4999' });
    expectLines(h.got, 1234, 5000);
    // each fetch starts where the previous one's complete batches ended, and max bytes held
    for (let i = 1; i < h.fetches.length; i++)
      expect(h.fetches[i]!.fetchOffset).toBe(h.fetches[i - 1]!.nextOffset);
    expect(h.fetches.length).toBeGreaterThan(1);
    expect(Math.max(...h.fetches.map((f) => f.end - f.start))).toBeLessThanOrEqual(64 * 1024);
    expect(h.fetches.at(-1)!.highWatermark).toBe(5000);
    // records produced while it waits at the end arrive too
    await produce(kafka, topic, 5000, 300);
    await waitFor(() => h.got.size >= 5300 - 1234, { message: 'records after the first end' });
    expectLines(h.got, 1234, 5300);
    expect(h.retries).toEqual([]);
  });

  it('reports an offset below the log start or past the end, and goes on where the caller says', async () => {
    const topic = await useTopic('fetcher-range');
    const kafka = testKafka();
    await produce(kafka, topic, 0, 1000);
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '400' }] });

    const below = useFetcher(topic);
    below.fetcher.start(100);
    await waitFor(() => below.got.size >= 600, { message: 'records 400…999' });
    expect(below.outOfRange).toEqual([{ offset: 100, bounds: { low: 400, high: 1000 } }]);
    expectLines(below.got, 400, 1000);

    const past = useFetcher(topic, {}, (offset, b) => (offset > b.high ? b.high : b.low));
    past.fetcher.start(5000);
    await waitFor(() => past.outOfRange.length > 0, { message: 'out of range past the end' });
    expect(past.outOfRange[0]).toEqual({ offset: 5000, bounds: { low: 400, high: 1000 } });
    await produce(kafka, topic, 1000, 10);
    await waitFor(() => past.got.size >= 10, { message: 'records 1000…1009' });
    expectLines(past.got, 1000, 1010);
  });

  it('retries an unknown topic (surfaced as UNKNOWN_TOPIC_OR_PARTITION) until it exists, then fetches', async () => {
    const topic = uniqueName('fetcher-later');
    onTestFinished(() => deleteTopic(topic));
    const h = useFetcher(topic);
    h.fetcher.start(0);
    await waitFor(() => h.retries.length >= 2, { message: 'retries on the unknown topic' });
    expect(h.retries[0]).toMatchObject({
      code: 'RM_ERR_KAFKA_RETRIABLE',
      canRetry: true,
      details: { kafkaCode: 3 },
    });
    await createTopic(topic);
    await produce(testKafka(), topic, 0, 200);
    await waitFor(() => h.got.size >= 200, { timeoutMs: 60_000, message: 'records once the topic exists' });
    expectLines(h.got, 0, 200);
    expect(h.fatal).toEqual([]);
  });

  it('stops promptly with a long poll in flight, and pauses and resumes', async () => {
    const topic = await useTopic('fetcher-pause');
    const kafka = testKafka();
    const h = useFetcher(topic, { maxWaitMs: 5000 });
    h.fetcher.start(0);
    await produce(kafka, topic, 0, 10);
    await waitFor(() => h.got.size >= 10, { message: 'first records' });
    h.fetcher.pause();
    // at most the one fetch already in flight lands after a pause
    const seen = h.fetches.length;
    await produce(kafka, topic, 10, 10);
    await new Promise((r) => setTimeout(r, 300));
    await produce(kafka, topic, 20, 10);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fetches.length).toBeLessThanOrEqual(seen + 1);
    expect(h.got.size).toBeLessThan(30);
    h.fetcher.resume();
    await waitFor(() => h.got.size >= 30, { message: 'records after resume' });
    expectLines(h.got, 0, 30);
    const t0 = Date.now();
    await h.fetcher.stop();
    // the 5 s long poll was cut, not waited out (a bound, not a speed measurement)
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('fetches over TLS with client certificates, as KAFKA_URL=kafka+ssl:// configures', async () => {
    const { KAFKA_TLS_URL, KAFKA_TLS_CA_FILE, KAFKA_TLS_CLIENT_CERT_FILE, KAFKA_TLS_CLIENT_KEY_FILE } =
      process.env;
    if (!KAFKA_TLS_URL || !KAFKA_TLS_CA_FILE || !KAFKA_TLS_CLIENT_CERT_FILE || !KAFKA_TLS_CLIENT_KEY_FILE) {
      throw new Error(
        'KAFKA_TLS_URL and KAFKA_TLS_*_FILE are not set: start the stack with its SSL listener',
      );
    }
    const conn = parseKafkaUrl(KAFKA_TLS_URL, {
      trustedCert: readFileSync(KAFKA_TLS_CA_FILE, 'utf8'),
      clientCert: readFileSync(KAFKA_TLS_CLIENT_CERT_FILE, 'utf8'),
      clientCertKey: readFileSync(KAFKA_TLS_CLIENT_KEY_FILE, 'utf8'),
    });
    const topic = await useTopic('fetcher-tls');
    await produce(testKafka(), topic, 0, 700);
    const h = useFetcher(topic, { brokers: conn.brokers, ssl: conn.ssl });
    expect(await h.fetcher.logBounds()).toEqual({ low: 0, high: 700 });
    h.fetcher.start(0);
    await waitFor(() => h.got.size >= 700, { message: 'records over TLS' });
    expectLines(h.got, 0, 700);

    // without the client certificate the broker (ssl.client.auth=required) refuses the handshake
    const anonymous = useFetcher(topic, {
      brokers: conn.brokers,
      ssl: conn.ssl === false ? false : { ca: conn.ssl.ca },
    });
    await expect(anonymous.fetcher.logBounds()).rejects.toMatchObject({ canRetry: true });
  });

  it('follows a broker restart mid-fetch: retries while it is down, loses and repeats nothing', async () => {
    const broker = await startPrivateKafka();
    onTestFinished(() => broker.close());
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({
      clientId: 'routemeter-test',
      brokers: [broker.broker],
      logLevel: logLevel.NOTHING,
      retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    const topic = uniqueName('fetcher-restart');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await produce(kafka, topic, 0, 3000);
    const h = useFetcher(topic, { brokers: [broker.broker], maxBytes: 16 * 1024 });
    h.fetcher.start(0);
    await waitFor(() => h.got.size > 0, { message: 'first records' });
    await broker.stop();
    await waitFor(() => h.retries.length > 0, { message: 'retries while the broker is down' });
    expect(h.retries.every((e) => e.canRetry)).toBe(true);
    await broker.start();
    await produce(kafka, topic, 3000, 1000);
    await waitFor(() => h.got.size >= 4000, { timeoutMs: 90_000, message: 'every record after the restart' });
    expectLines(h.got, 0, 4000);
    // nothing handed over twice: each fetch starts where the previous one ended
    for (let i = 1; i < h.fetches.length; i++)
      expect(h.fetches[i]!.fetchOffset).toBe(h.fetches[i - 1]!.nextOffset);
    expect(h.fatal).toEqual([]);
  });
});
