/**
 * Helpers for integration tests against the local broker (`npm run stack up`).
 *
 * Every test gets its own topic and group (`uniqueName`) and removes them when it ends
 * (`useTopic` registers the delete next to the create), so tests never see each other's
 * data and can run against a long-lived developer broker.
 */
import { randomBytes } from 'node:crypto';
import { type Admin, type ITopicConfig, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { onTestFinished } from 'vitest';

/**
 * `KAFKA_URL` as Heroku and scripts/stack.sh write it: comma-separated
 * `kafka://host:port` URLs (`kafka+ssl://` is accepted, but these helpers never use TLS: the
 * stack's SSL listener is KAFKA_TLS_URL, used by test/kafka/kafka-tls.int.test.ts).
 * Returns `host:port` strings for kafkajs.
 */
export function kafkaBrokers(url: string | undefined = process.env.KAFKA_URL): string[] {
  if (!url) throw new Error('KAFKA_URL is not set (run `npm run stack up`)');
  const brokers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((part) => {
      const m = /^(?:kafka(?:\+ssl)?:\/\/)?([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(part);
      if (!m) throw new Error(`KAFKA_URL: "${part}" is not kafka://host:port`);
      return `${m[1]}:${m[2]}`;
    });
  if (brokers.length === 0) throw new Error('KAFKA_URL: no broker URL given');
  return brokers;
}

/** The broker release the stack runs (from .stack/env), for test names and skips. */
export function kafkaVersion(): string {
  return process.env.KAFKA_VERSION ?? 'unknown';
}

/** `prefix-<time>-<random>`: a legal, unique Kafka topic / group id / Redis key prefix. */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A kafkajs client for the local broker; quiet unless `logLevel` is given. */
export function testKafka(overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'routemeter-test',
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
    ...overrides,
  });
}

/** Runs `fn` with a connected admin client and always disconnects it. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka({ clientId: 'routemeter-test-admin' }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(
  name: string,
  partitions = 1,
  configEntries: ITopicConfig['configEntries'] = [],
): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1, configEntries }],
      // Not kafkajs's waitForLeaders: it retries LEADER_NOT_AVAILABLE only, and a broker
      // whose metadata cache has not seen the topic yet answers UNKNOWN_TOPIC_OR_PARTITION,
      // which failed the create outright (seen on the shared stack). The wait below retries both.
      waitForLeaders: false,
    });
    // CreateTopics can answer before every partition has a leader in the metadata cache.
    await waitFor(
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: [name] });
        const ps = md.topics[0]?.partitions ?? [];
        return ps.length === partitions && ps.every((p) => p.leader >= 0);
      },
      { timeoutMs: 20_000, message: `leaders for every partition of ${name}` },
    );
  });
}

/** Deletes topics; unknown topics are ignored (cleanup must not fail a test twice). */
export async function deleteTopic(...names: string[]): Promise<void> {
  if (names.length === 0) return;
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 15_000 });
  });
}

/** Deletes consumer groups (they must be empty: disconnect consumers first); errors ignored. */
export async function deleteGroup(...groupIds: string[]): Promise<void> {
  if (groupIds.length === 0) return;
  await withAdmin(async (admin) => {
    await admin.deleteGroups(groupIds).catch(() => undefined);
  });
}

/** Creates a unique topic for the current test and deletes it when the test finishes. */
export async function useTopic(prefix: string, partitions = 1): Promise<string> {
  const name = uniqueName(prefix);
  await createTopic(name, partitions);
  onTestFinished(() => deleteTopic(name));
  return name;
}

/** A unique group id for the current test, deleted when the test finishes. */
export function useGroup(prefix: string): string {
  const groupId = uniqueName(prefix);
  onTestFinished(() => deleteGroup(groupId));
  return groupId;
}

/** Sum of the high watermarks of a topic's partitions (= messages produced, with no deletes). */
export async function topicMessageCount(topic: string): Promise<number> {
  return withAdmin(async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  });
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  message?: string;
}

/** Polls `check` until it returns true; throws `message` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 30_000, intervalMs = 100, message = 'condition' }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`, { cause: lastError });
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/**
 * The broker's supported version range per API, from a raw ApiVersions v0 request (no client
 * library in between, so the answer is the broker's own). Wire format (big-endian):
 *
 *   request:  int32 size | int16 api_key=18 | int16 api_version=0 | int32 correlation_id
 *             | int16 client_id length | client_id bytes
 *   response: int32 size | int32 correlation_id | int16 error_code
 *             | int32 count | count × (int16 api_key, int16 min_version, int16 max_version)
 */
export async function brokerApiVersions(broker = kafkaBrokers()[0]): Promise<ApiVersionRange[]> {
  const { connect } = await import('node:net');
  const idx = broker.lastIndexOf(':');
  const host = broker.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(idx + 1));
  const clientId = Buffer.from('routemeter-test');
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  req.writeInt32BE(req.length - 4, 0);
  req.writeInt16BE(18, 4);
  req.writeInt16BE(0, 6);
  req.writeInt32BE(1, 8);
  req.writeInt16BE(clientId.length, 12);
  clientId.copy(req, 14);
  const res = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`ApiVersions to ${broker}: timeout`)));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(req));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const buf = Buffer.concat(chunks);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        socket.end();
        resolve(buf);
      }
    });
  });
  const errorCode = res.readInt16BE(8);
  if (errorCode !== 0) throw new Error(`ApiVersions to ${broker}: error code ${errorCode}`);
  const count = res.readInt32BE(10);
  const out: ApiVersionRange[] = [];
  for (let i = 0, o = 14; i < count; i++, o += 6) {
    out.push({
      apiKey: res.readInt16BE(o),
      minVersion: res.readInt16BE(o + 2),
      maxVersion: res.readInt16BE(o + 4),
    });
  }
  return out;
}
