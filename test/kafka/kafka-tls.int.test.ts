import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RoutemeterError } from '../../src/errors/routemeter-error.js';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { startDrain } from '../../src/ingest/drain-server.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { type RunningRuntime, runRuntime } from '../../src/runtime/run-runtime.js';
import { AUTH, post, readTopic, useDrain } from '../ingest/drain-fixture.js';
import {
  deleteKeys,
  testLogger as logger,
  oracleTotals,
  readStoredTotals,
  runtimeConfig,
  seed,
  storedTotals,
  testRedis,
  waitFlushed,
} from '../runtime/runtime-harness.js';
import { uniqueName, useTopic } from '../support/kafka.js';
import { makeRouterLines } from '../support/router-lines.js';

/**
 * routemeter over `kafka+ssl://`, as on Heroku Kafka: the stack's broker has an SSL listener
 * (scripts/stack.sh: a throwaway CA, `ssl.client.auth=required`), and the certificates go in
 * as PEM *text* in KAFKA_TRUSTED_CERT, KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY, as Heroku
 * sets them. Same broker as KAFKA_URL, so topics are made, seeded and cleaned over plaintext.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface TlsEnv {
  KAFKA_URL: string;
  KAFKA_TRUSTED_CERT: string;
  KAFKA_CLIENT_CERT: string;
  KAFKA_CLIENT_CERT_KEY: string;
}

function stackTls(): TlsEnv {
  const { KAFKA_TLS_URL, KAFKA_TLS_CA_FILE, KAFKA_TLS_CLIENT_CERT_FILE, KAFKA_TLS_CLIENT_KEY_FILE } =
    process.env;
  if (!KAFKA_TLS_URL || !KAFKA_TLS_CA_FILE || !KAFKA_TLS_CLIENT_CERT_FILE || !KAFKA_TLS_CLIENT_KEY_FILE) {
    throw new Error(
      'KAFKA_TLS_URL and KAFKA_TLS_{CA,CLIENT_CERT,CLIENT_KEY}_FILE are not set: the broker was started ' +
        "without the SSL listener (an older scripts/stack.sh). Run 'npm run stack down' and 'npm run stack up'.",
    );
  }
  return {
    KAFKA_URL: KAFKA_TLS_URL,
    KAFKA_TRUSTED_CERT: readFileSync(KAFKA_TLS_CA_FILE, 'utf8'),
    KAFKA_CLIENT_CERT: readFileSync(KAFKA_TLS_CLIENT_CERT_FILE, 'utf8'),
    KAFKA_CLIENT_CERT_KEY: readFileSync(KAFKA_TLS_CLIENT_KEY_FILE, 'utf8'),
  };
}

/** Asks the drain to start with `env`; resolves to the error it fails with (or throws if it starts). */
async function drainStartError(env: Record<string, string>): Promise<RoutemeterError> {
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    ROUTER_TOPIC: uniqueName('tls-refused'),
    PLATFORM_TOPIC: '',
    DRAIN_USERS: 'logplex:s3cret',
    LOG_LEVEL: 'silent',
    ...env,
  });
  try {
    const handle = await startDrain(config, pino({ level: 'silent' }), new Registry(), { port: 0 });
    await handle.close();
  } catch (err) {
    expect(err).toBeInstanceOf(RoutemeterError);
    return err as RoutemeterError;
  }
  throw new Error('the drain started although its TLS settings are wrong');
}

describe('Kafka over TLS with client certificates (the stack SSL listener)', () => {
  let tls: TlsEnv;
  // A second, unrelated CA with a client certificate of its own (same script as the stack's).
  let other: { dir: string; ca: string; cert: string; key: string };

  beforeAll(() => {
    tls = stackTls();
    const dir = mkdtempSync(join(tmpdir(), 'rm-other-ca-'));
    execFileSync('bash', [join(ROOT, 'scripts/stack.sh'), 'tls', join(dir, 'tls')], { stdio: 'ignore' });
    const pem = (f: string) => readFileSync(join(dir, 'tls', f), 'utf8');
    other = { dir, ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') };
  });
  afterAll(() => {
    if (other) rmSync(other.dir, { recursive: true, force: true });
  });

  it('the drain produces over kafka+ssl:// and acknowledges a logplex batch; every line is in Kafka', async () => {
    const drain = await useDrain({ ...tls });
    const gen = createLineGenerator({ seed: 9, appOutputRate: 0, runtimeMetricsRate: 0 });
    const lines = Array.from({ length: 200 }, () => gen().line);
    const batch = buildLogplexBatch(lines, 'd.tls-test');
    const res = await post(drain.url, batch.body, { ...batch.headers, authorization: AUTH });
    expect(res.status).toBe(204);
    const got = await readTopic(drain.routerTopic, lines.length);
    expect(got.map((r) => r.value.toString('utf8')).sort()).toEqual([...lines].sort());
    expect(await drain.metric('routemeter_drain_lines_total', { result: 'accepted', reason: 'router' })).toBe(
      lines.length,
    );
  });

  it('the runtime consumes over kafka+ssl:// and stores exact totals', async () => {
    const topic = await useTopic('tls-rt', 3);
    const lines = makeRouterLines(6000, { seed: 11, apps: 4 });
    await seed(topic, lines);
    const config = runtimeConfig(topic, { ...tls });
    expect(config.kafka.ssl).not.toBe(false);
    const redis = testRedis(config);
    let runtime: RunningRuntime | null = null;
    try {
      runtime = await runRuntime(config, logger, { metricsPort: 0 });
      await waitFlushed(redis, config);
      expect(runtime.supervisor.ownedPartitions).toEqual([0, 1, 2]);
      const stored = await readStoredTotals(redis, config.redis.prefix, config.runtime.windowSeconds);
      expect(storedTotals(stored)).toEqual(oracleTotals(lines));
    } finally {
      await runtime?.stop();
      await deleteKeys(redis, config.redis.prefix);
      await redis.quit();
    }
  });

  it('a broker certificate from another CA is refused with a clear error, not a hang', async () => {
    const err = await drainStartError({ ...tls, KAFKA_TRUSTED_CERT: other.ca });
    expect(err.code).toBe('RM_ERR_KAFKA_UNAVAILABLE');
    // "drain could not reach Kafka: Connection error: unable to verify the first certificate"
    expect(err.message).toMatch(/drain could not reach Kafka: .*certificate/i);
  }, 60_000); // a hang would run into this, far above the drain's own retries

  it('the broker requires a client certificate its CA signed (ssl.client.auth=required)', async () => {
    // Without one, and with one from another CA: no metadata, the connection is refused.
    for (const client of [
      { cert: undefined, key: undefined },
      { cert: other.cert, key: other.key },
    ]) {
      const admin = createKafka(
        loadConfig({
          ...tls,
          KAFKA_CLIENT_CERT: client.cert ?? '',
          KAFKA_CLIENT_CERT_KEY: client.key ?? '',
          KAFKA_RETRIES: '1',
        }),
        'routemeter-tls-test',
      ).admin();
      const outcome = await admin
        .connect()
        .then(() => admin.listTopics())
        .then(
          () => 'served',
          (e: Error) => e.message,
        );
      await admin.disconnect().catch(() => {});
      // the broker's TLS alert, e.g. "Connection error: …:SSL alert number 42" (bad certificate)
      expect(outcome).toMatch(
        /^Connection error: .*alert (bad certificate|certificate unknown|certificate required)/,
      );
    }
  });
});
